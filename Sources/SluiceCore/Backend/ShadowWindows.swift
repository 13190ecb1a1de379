/// One version's shadow tallies in a fixed ring of tumbling windows (like the gateway's
/// request windows), and in a running total for counters. Copies and shed copies count in
/// the window in which they were sent (or not sent); an outcome counts in the window in
/// which its second answer arrived. So a copy sent near the end of one window and answered
/// in the next is a copy of the first window and a pair of the second, and a window that
/// closed with copies in flight shows more copies than answers.
///
/// Memory is fixed: `windowCount` tallies, each with two latency histograms of at most
/// ``LatencyHistogram/maximumIndex`` buckets and at most a route's agreement tolerances.
/// Times are a monotonic clock's readings in nanoseconds, passed in (Core reads no clock).
public struct ShadowWindows: Sendable {
    /// The length of one window.
    public let windowSeconds: Int
    /// How many windows are kept.
    public let windowCount: Int
    /// The tolerances a new window counts agreement at (sorted, distinct).
    public private(set) var tolerances: [Double]
    /// Everything since the version was first seen (its agreements at the current
    /// tolerances only, each since it was first asked for): the source of the counters.
    /// Its `shed` includes copies of unpaired mirrors, which the windows leave out.
    public private(set) var total: ShadowTally

    private var slots: [Slot]
    private let windowNanoseconds: UInt64

    /// One window: its tally, and whether a paired mirror sent (or shed) anything in it.
    private struct Slot: Sendable {
        /// `now / windowNanoseconds` of the window's events; nil until first used.
        var epoch: UInt64?
        var tally: ShadowTally
        var paired = false
    }

    /// Empty windows counting agreement at `tolerances`.
    /// - Precondition: `windowSeconds` and `windowCount` are at least 1.
    public init(windowSeconds: Int = 10, windowCount: Int = 30, tolerances: [Double] = [0]) {
        precondition(windowSeconds >= 1 && windowCount >= 1, "a window lasts at least a second and at least one is kept")
        self.windowSeconds = windowSeconds
        self.windowCount = windowCount
        self.tolerances = Self.normalized(tolerances)
        total = ShadowTally(tolerances: self.tolerances)
        slots = Array(repeating: Slot(tally: ShadowTally()), count: windowCount)
        windowNanoseconds = UInt64(windowSeconds) * 1_000_000_000
    }

    /// Counts agreement at `tolerances` from now on. A window that already holds pairs keeps
    /// the tolerances it began with (a share counted over part of its pairs would be wrong),
    /// so a new tolerance is readable once the asked-for windows all count it.
    public mutating func count(tolerances newTolerances: [Double]) {
        // Called for every copy: the same (already normal) list costs a comparison only.
        guard newTolerances != tolerances else { return }
        let normalized = Self.normalized(newTolerances)
        guard normalized != tolerances else { return }
        tolerances = normalized
        total.agreements = normalized.map { tolerance in
            ShadowTally.Agreement(tolerance: tolerance, pairs: total.agreements.first { $0.tolerance == tolerance }?.pairs ?? 0)
        }
        for index in slots.indices where slots[index].tally.pairs == 0 {
            slots[index].tally.agreements = normalized.map { ShadowTally.Agreement(tolerance: $0, pairs: 0) }
        }
    }

    /// Counts one copy sent to the candidate of a paired mirror.
    public mutating func recordCopy(now: UInt64) {
        total.copies += 1
        update(now: now) { $0.copies += 1 }
    }

    /// Counts one copy not sent because the version had its cap of copies in flight; a
    /// copy of an unpaired mirror (`paired` false) counts in ``total`` only.
    public mutating func recordShed(paired: Bool, now: UInt64) {
        total.shed += 1
        guard paired else { return }
        update(now: now) { $0.shed += 1 }
    }

    /// Counts how one paired copy ended, once both answers (or a failure) are in.
    public mutating func record(_ outcome: ShadowPairOutcome, now: UInt64) {
        total.record(outcome)
        update(now: now) { $0.record(outcome) }
    }

    /// The windows that cover the last `lastSeconds` (every kept window when nil; at least
    /// the current one) merged; nil when no paired mirror sent or shed anything in them.
    public func tally(lastSeconds: Int?, now: UInt64) -> ShadowTally? {
        let epoch = now / windowNanoseconds
        let count = UInt64(windowsCovering(seconds: lastSeconds))
        var merged = ShadowTally(tolerances: tolerances)
        var any = false
        for slot in slots {
            guard slot.paired, let stored = slot.epoch, stored <= epoch, epoch - stored < count else { continue }
            merged.merge(slot.tally)
            any = true
        }
        return any ? merged : nil
    }

    /// Empties every window (the total stays): the version starts a new life.
    public mutating func clearWindows() {
        for index in slots.indices { slots[index] = Slot(tally: ShadowTally()) }
    }

    /// The number of windows that cover the last `seconds`: all when nil, at least one.
    public func windowsCovering(seconds: Int?) -> Int {
        guard let seconds else { return windowCount }
        let windows = seconds <= 0 ? 1 : (seconds - 1) / windowSeconds + 1
        return min(max(windows, 1), windowCount)
    }

    /// Applies `change` to the window of `now`, first emptying the slot when it still holds
    /// an older window. A stale reading (a thread that read the clock just before the window
    /// turned) counts in the newer window rather than wiping it.
    private mutating func update(now: UInt64, _ change: (inout ShadowTally) -> Void) {
        let epoch = now / windowNanoseconds
        let index = Int(epoch % UInt64(slots.count))
        if let stored = slots[index].epoch, stored >= epoch {
        } else {
            slots[index] = Slot(epoch: epoch, tally: ShadowTally(tolerances: tolerances))
        }
        slots[index].paired = true
        change(&slots[index].tally)
    }

    private static func normalized(_ tolerances: [Double]) -> [Double] {
        Array(Set(tolerances.filter { $0.isFinite && $0 >= 0 })).sorted()
    }
}
