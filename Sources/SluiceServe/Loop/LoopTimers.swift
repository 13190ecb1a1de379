import NIOCore

/// A task an ``EpollEventLoop`` runs at a deadline, or never once cancelled. Touched only on
/// its loop once handed to it.
final class LoopTimer: @unchecked Sendable {
    /// The deadline in `NIODeadline`'s uptime nanoseconds.
    let deadline: UInt64
    let fire: () -> Void
    /// Told instead of `fire` when the timer is cancelled or the loop shuts down first.
    let abandon: (any Error) -> Void
    /// The order of insertion among timers of one deadline: the earlier runs first.
    fileprivate(set) var sequence: UInt64 = 0
    /// Where the timer is in its heap; nil once it left (run, cancelled, or never inserted).
    fileprivate(set) var index: Int?

    init(deadline: NIODeadline, fire: @escaping () -> Void, abandon: @escaping (any Error) -> Void) {
        self.deadline = deadline.uptimeNanoseconds
        self.fire = fire
        self.abandon = abandon
    }

    fileprivate func runsBefore(_ other: LoopTimer) -> Bool {
        deadline != other.deadline ? deadline < other.deadline : sequence < other.sequence
    }
}

/// An ``EpollEventLoop``'s timers: a binary heap by deadline (then insertion order) whose
/// members know their place, so that a cancelled one leaves at once and holds nothing (a
/// connection's deadline task captures its handler) until its time would have come.
struct LoopTimers {
    private var heap: [LoopTimer] = []
    private var inserted: UInt64 = 0

    var isEmpty: Bool { heap.isEmpty }
    var count: Int { heap.count }

    /// The earliest deadline, in uptime nanoseconds.
    var nextDeadline: UInt64? { heap.first?.deadline }

    mutating func insert(_ timer: LoopTimer) {
        precondition(timer.index == nil, "a timer is in one heap once")
        inserted &+= 1
        timer.sequence = inserted
        timer.index = heap.count
        heap.append(timer)
        siftUp(heap.count - 1)
    }

    /// Takes `timer` out; false when it was not in (already run or removed).
    @discardableResult
    mutating func remove(_ timer: LoopTimer) -> Bool {
        guard let index = timer.index, index < heap.count, heap[index] === timer else { return false }
        let last = heap.count - 1
        if index != last {
            swapAt(index, last)
        }
        heap.removeLast()
        timer.index = nil
        if index < heap.count {
            siftDown(index)
            siftUp(index)
        }
        return true
    }

    /// Takes out the earliest timer if its deadline is at or before `now`.
    mutating func popDue(now: UInt64) -> LoopTimer? {
        guard let first = heap.first, first.deadline <= now else { return nil }
        remove(first)
        return first
    }

    /// Takes out every timer (the loop is shutting down).
    mutating func removeAll() -> [LoopTimer] {
        let all = heap
        heap.removeAll()
        for timer in all { timer.index = nil }
        return all
    }

    private mutating func swapAt(_ a: Int, _ b: Int) {
        heap.swapAt(a, b)
        heap[a].index = a
        heap[b].index = b
    }

    private mutating func siftUp(_ start: Int) {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].runsBefore(heap[parent]) else { return }
            swapAt(child, parent)
            child = parent
        }
    }

    private mutating func siftDown(_ start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1
            guard left < heap.count else { return }
            let right = left + 1
            let first = right < heap.count && heap[right].runsBefore(heap[left]) ? right : left
            guard heap[first].runsBefore(heap[parent]) else { return }
            swapAt(first, parent)
            parent = first
        }
    }
}
