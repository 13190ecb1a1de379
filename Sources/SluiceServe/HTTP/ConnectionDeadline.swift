import NIOCore

/// One connection's deadline, kept with at most one scheduled task. Moving the deadline
/// later or clearing it (every request and every body chunk does) schedules nothing: a task
/// that fires before the deadline then in force re-arms itself for it, and one that finds
/// no deadline does nothing. Only a deadline earlier than the armed task reschedules.
/// Scheduling and cancelling a task per request and per phase cost the gateway a task-heap
/// insertion, a cancellation and several allocations each time (Benchmarks/README.md).
/// Touched only on the connection's event loop.
final class ConnectionDeadline {
    private let eventLoop: any EventLoop
    private let expired: () -> Void
    // Touched only on the connection's loop, by reads, assignments and mutating calls of
    // value types that call nothing back: no access can overlap another, so the runtime's
    // exclusivity checks are left out (as in ``RequestHandler``).
    /// When the connection must be done with what it is doing; nil when nothing is timed.
    @exclusivity(unchecked) private var deadline: NIODeadline?
    /// The scheduled task and the time it runs at.
    @exclusivity(unchecked) private var task: Scheduled<Void>?
    @exclusivity(unchecked) private var armedFor: NIODeadline?

    /// `expired` runs on the event loop once the deadline in force has passed.
    init(eventLoop: any EventLoop, expired: @escaping () -> Void) {
        self.eventLoop = eventLoop
        self.expired = expired
    }

    /// Puts `deadline` in force (nil: nothing is timed until the next call).
    func set(_ deadline: NIODeadline?) {
        self.deadline = deadline
        guard let deadline else { return }
        if let armedFor, armedFor <= deadline { return }
        arm(deadline)
    }

    /// Clears the deadline and drops the task (the connection is going away).
    func cancel() {
        deadline = nil
        armedFor = nil
        task?.cancel()
        task = nil
    }

    private func arm(_ time: NIODeadline) {
        task?.cancel()
        armedFor = time
        let bound = NIOLoopBound(self, eventLoop: eventLoop)
        task = eventLoop.scheduleTask(deadline: time) { bound.value.fired(at: time) }
    }

    /// The task ran at `time` (by the loop's clock, so an embedded loop's advanced time counts).
    private func fired(at time: NIODeadline) {
        guard armedFor == time else { return }
        task = nil
        armedFor = nil
        guard let deadline else { return }
        if deadline <= time {
            self.deadline = nil
            expired()
        } else {
            arm(deadline)
        }
    }
}
