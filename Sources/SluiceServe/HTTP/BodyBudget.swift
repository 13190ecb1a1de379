import Atomics

/// The request body bytes one listener's connections hold together, bounded by
/// ``ServerLimits/bufferedBodies``: each connection reserves a chunk before keeping it and
/// gives its bytes back once the request is answered or the connection closes.
package final class BodyBudget: Sendable {
    private let limit: Int
    /// Bytes held, changed by compare-and-exchange: every request body takes and gives back
    /// (a lock cost ~50 instructions each time).
    private let held = ManagedAtomic(0)

    package init(limit: Int) {
        self.limit = limit
    }

    /// Takes `bytes` from the budget; false (and nothing taken) if that would exceed it.
    package func reserve(_ bytes: Int) -> Bool {
        var current = held.load(ordering: .relaxed)
        while true {
            guard bytes <= limit - current else { return false }
            let (exchanged, found) = held.weakCompareExchange(
                expected: current, desired: current + bytes, successOrdering: .relaxed, failureOrdering: .relaxed)
            if exchanged { return true }
            current = found
        }
    }

    /// Gives back `bytes` taken earlier.
    package func release(_ bytes: Int) {
        guard bytes > 0 else { return }
        var current = held.load(ordering: .relaxed)
        while true {
            let (exchanged, found) = held.weakCompareExchange(
                expected: current, desired: max(0, current - bytes), successOrdering: .relaxed, failureOrdering: .relaxed)
            if exchanged { return }
            current = found
        }
    }
}
