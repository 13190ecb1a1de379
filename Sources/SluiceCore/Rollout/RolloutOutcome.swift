/// How a model's last rollout ended: promoted, aborted (by analysis, a person, a monitor, the
/// progress deadline), superseded, or rolled back by a monitor after promotion. Kept in the
/// model's status until the next rollout starts, so an automatic action stays visible after
/// traffic and git are back on the stable spec (the revert's own fast return to it included).
public struct RolloutOutcome: Sendable, Hashable, Codable {
    /// What ended the rollout. Extensible: an outcome saved by a newer Sluice is kept as it is.
    /// The raw values are stored and shown by the API and `sluice status`, so they never change.
    public struct Kind: OpenVocabulary {
        /// The word, as stored and shown.
        public var rawValue: String
        /// The word named by `rawValue`, known to this version or not.
        public init(rawValue: String) { self.rawValue = rawValue }

        /// The candidate became stable.
        public static let promoted = Kind(rawValue: "promoted")
        /// Analysis failed more often than `failureLimit` allows.
        public static let abortedByAnalysis = Kind(rawValue: "abortedByAnalysis")
        /// Analysis could not measure (the metric could not be read) too many times in a row.
        public static let abortedByAnalysisError = Kind(rawValue: "abortedByAnalysisError")
        /// The new versions were not ready within the progress deadline.
        public static let abortedByDeadline = Kind(rawValue: "abortedByDeadline")
        /// A person ran `sluice abort`.
        public static let abortedByPerson = Kind(rawValue: "abortedByPerson")
        /// A monitor with `action: rollback` fired on the candidate.
        public static let abortedByMonitor = Kind(rawValue: "abortedByMonitor")
        /// A monitor with `action: rollback` fired on the promoted spec; traffic went back to
        /// the spec that was stable before it.
        public static let rolledBackByMonitor = Kind(rawValue: "rolledBackByMonitor")
        /// A newer commit, or git returning to the stable spec, cancelled the rollout.
        public static let superseded = Kind(rawValue: "superseded")
    }

    /// The `onAbort: revert` commit that makes git say what runs after an abort.
    public struct Revert: Sendable, Hashable, Codable {
        /// Where the revert stands. Extensible, stored and shown as the bare word.
        public struct Status: OpenVocabulary {
            /// The word, as stored and shown.
            public var rawValue: String
            /// The word named by `rawValue`, known to this version or not.
            public init(rawValue: String) { self.rawValue = rawValue }

            /// Decided and saved; written after traffic is back on stable.
            public static let pending = Status(rawValue: "pending")
            /// The revert commit is on the branch (``Revert/commit``).
            public static let written = Status(rawValue: "written")
            /// The branch no longer held the failed change (already reverted or superseded).
            public static let skipped = Status(rawValue: "skipped")
            /// The commit could not be written (``Revert/message`` says why).
            public static let failed = Status(rawValue: "failed")
        }

        public var status: Status
        /// The revert commit, once written.
        public var commit: String?
        /// What happened, for people (why it failed or was skipped).
        public var message: String

        public init(status: Status, commit: String? = nil, message: String) {
            self.status = status
            self.commit = commit
            self.message = message
        }

        /// A revert decided with the abort, not written yet.
        public static let pending = Revert(status: .pending, message: "the revert commit is written once traffic is back on stable")
    }

    /// What ended the rollout.
    public var kind: Kind
    /// When.
    public var at: Double
    /// The commit of the spec the rollout went toward (for a monitor's rollback: of the spec
    /// rolled back from).
    public var revision: String
    /// The split that spec asks for.
    public var split: String
    /// Why, for people.
    public var message: String
    /// The checks that did not pass in the analysis run that aborted the rollout (value
    /// against threshold); empty for other outcomes.
    public var failedChecks: [CheckMeasurement]
    /// The revert commit of `onAbort: revert`; nil when none was asked for.
    public var revert: Revert?

    public init(kind: Kind, at: Double, revision: String, split: String, message: String, failedChecks: [CheckMeasurement] = [], revert: Revert? = nil) {
        self.kind = kind
        self.at = at
        self.revision = revision
        self.split = split
        self.message = message
        self.failedChecks = failedChecks
        self.revert = revert
    }

    /// The checks of `run` that made it fail or err.
    public static func failedChecks(of run: AnalysisRun?) -> [CheckMeasurement] {
        run?.checks.filter { $0.verdict == .failed || $0.verdict == .error } ?? []
    }
}
