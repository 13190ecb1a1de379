extension RolloutState {
    /// What a model's change waits for, and until when (``RolloutState/wait``): shown in the
    /// status JSON, `sluice status` and the dashboard.
    public struct Wait: Sendable, Hashable, Codable {
        /// What is waited for. Extensible: a state saved by a newer Sluice keeps a reason this
        /// one does not know; the raw values are stored and shown, so they never change.
        public struct Reason: OpenVocabulary {
            /// The word, as stored and shown.
            public var rawValue: String
            /// The word named by `rawValue`, known to this version or not.
            public init(rawValue: String) { self.rawValue = rawValue }

            /// A change window is closed: a deny window is open, or no allow window is.
            public static let changeWindow = Reason(rawValue: "ChangeWindow")
        }

        /// What is waited for.
        public var reason: Reason
        /// When the wait ends (seconds since the epoch); nil when that is more than a year away.
        public var until: Double?
        /// What holds the change, for people.
        public var message: String

        /// Creates a wait.
        public init(reason: Reason, until: Double?, message: String) {
            self.reason = reason
            self.until = until
            self.message = message
        }
    }

    /// `sluice promote --override-window`: a person let the change to `digest` through the
    /// window that held it, until that window closes.
    public struct WindowOverride: Sendable, Hashable, Codable {
        /// The spec digest the override is for; a newer spec waits again.
        public var digest: String
        /// When the overridden window closes (nil: not within a year); the override ends then.
        public var until: Double?
        /// Who overrode it.
        public var actor: String
        /// When.
        public var at: Double

        /// Creates an override.
        public init(digest: String, until: Double?, actor: String, at: Double) {
            self.digest = digest
            self.until = until
            self.actor = actor
            self.at = at
        }

        /// Whether the override still lets the change to `digest` through at `now`.
        public func covers(_ digest: String, at now: Double) -> Bool {
            self.digest == digest && (until.map { now < $0 } ?? true)
        }
    }
}
