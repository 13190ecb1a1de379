import NIOConcurrencyHelpers

/// The request body bytes one listener's connections hold together, bounded by
/// ``ServerLimits/bufferedBodies``: each connection reserves a chunk before keeping it and
/// gives its bytes back once the request is answered or the connection closes.
package final class BodyBudget: Sendable {
    private let limit: Int
    private let held = NIOLockedValueBox(0)

    package init(limit: Int) {
        self.limit = limit
    }

    /// Takes `bytes` from the budget; false (and nothing taken) if that would exceed it.
    package func reserve(_ bytes: Int) -> Bool {
        held.withLockedValue { held in
            guard held + bytes <= limit else { return false }
            held += bytes
            return true
        }
    }

    /// Gives back `bytes` taken earlier.
    package func release(_ bytes: Int) {
        guard bytes > 0 else { return }
        held.withLockedValue { $0 = max(0, $0 - bytes) }
    }
}
