import SluiceCore

extension NotificationTarget {
    /// How a target's notifications are paced and retried (`controller.notifications[].delivery`).
    public struct DeliveryPolicy: Sendable, Hashable {
        /// Requests per minute at most; a burst beyond it waits in the outbox, in order.
        public var ratePerMinute: Int
        /// The delay before the first retry; each later one doubles, up to ``retryMax``.
        public var retryInitial: SluiceCore.Duration
        /// The longest delay between two attempts.
        public var retryMax: SluiceCore.Duration
        /// A notification still undeliverable this long after it was queued is dropped, with a
        /// log line naming the target and the event (never the URL or token).
        public var giveUpAfter: SluiceCore.Duration

        /// The documented defaults: 60 a minute, retries after 2s doubling to 10m, given up after 24h.
        public static let defaults = DeliveryPolicy(
            ratePerMinute: 60, retryInitial: .seconds(2), retryMax: .seconds(600), giveUpAfter: .seconds(24 * 3600))

        /// Creates a policy.
        public init(ratePerMinute: Int, retryInitial: SluiceCore.Duration, retryMax: SluiceCore.Duration, giveUpAfter: SluiceCore.Duration) {
            self.ratePerMinute = ratePerMinute
            self.retryInitial = retryInitial
            self.retryMax = retryMax
            self.giveUpAfter = giveUpAfter
        }

        /// The delay after `attempts` failed attempts: `retryInitial` doubled per earlier
        /// failure, at most `retryMax`.
        public func retryDelay(afterAttempts attempts: Int) -> Double {
            let doubled = retryInitial.seconds * Double(1 << min(max(attempts - 1, 0), 30))
            return min(retryMax.seconds, doubled)
        }
    }
}
