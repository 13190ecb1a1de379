extension RolloutState {
    /// Why a model is where it is, in one word. Extensible: a state saved by a newer Sluice
    /// keeps a reason this one does not know. The raw values are stored in the state
    /// directory and shown by the API, `sluice status` and the metrics, so they never change.
    public struct Reason: OpenVocabulary {
        /// The word, as stored and shown.
        public var rawValue: String
        /// The word named by `rawValue`, known to this version or not.
        public init(rawValue: String) { self.rawValue = rawValue }

        /// Nothing was decided for the model yet.
        public static let new = Reason(rawValue: "New")
        /// The first deployment was applied.
        public static let deployed = Reason(rawValue: "Deployed")
        /// Traffic changed without a new version gaining traffic.
        public static let updated = Reason(rawValue: "Updated")
        /// Git returned to a recent stable spec.
        public static let fastRollback = Reason(rawValue: "FastRollback")
        /// What runs is what git asks for.
        public static let synced = Reason(rawValue: "Synced")
        /// Versions that should serve are not ready yet.
        public static let waitingForReadiness = Reason(rawValue: "WaitingForReadiness")
        /// A rollout is moving traffic step by step.
        public static let canary = Reason(rawValue: "Canary")
        /// A rollout waits at an approval step for `sluice promote`.
        public static let awaitingApproval = Reason(rawValue: "AwaitingApproval")
        /// A rollout paused on inconclusive analysis.
        public static let inconclusive = Reason(rawValue: "Inconclusive")
        /// The candidate became stable.
        public static let promoted = Reason(rawValue: "Promoted")
        /// The new versions were not ready within the progress deadline; aborted.
        public static let progressDeadlineExceeded = Reason(rawValue: "ProgressDeadlineExceeded")
        /// Analysis failed more often than allowed; aborted.
        public static let analysisFailed = Reason(rawValue: "AnalysisFailed")
        /// Analysis could not measure too many times in a row; aborted.
        public static let analysisError = Reason(rawValue: "AnalysisError")
        /// A person aborted the rollout.
        public static let aborted = Reason(rawValue: "Aborted")
        /// A monitor fired during the rollout; aborted.
        public static let monitorFired = Reason(rawValue: "MonitorFired")
        /// A monitor fired on the stable spec; traffic returned to the previous one.
        public static let monitorRollback = Reason(rawValue: "MonitorRollback")
        /// Git asks for a spec that failed before; it is not retried.
        public static let candidateFailed = Reason(rawValue: "CandidateFailed")
        /// The manifest is invalid; the model keeps its last good state.
        public static let invalidManifest = Reason(rawValue: "InvalidManifest")
        /// An artifact outside git is being fetched; what runs stays until it is ready.
        public static let fetchingArtifact = Reason(rawValue: "FetchingArtifact")
        /// An artifact cannot be made ready (missing, digest mismatch, refused, or still
        /// fetching past the progress deadline); the model keeps its last good state.
        public static let artifactUnavailable = Reason(rawValue: "ArtifactUnavailable")
        /// The manifest names a runtime the operator's config does not define; the model keeps
        /// its last good state (nothing, for a model never deployed).
        public static let runtimeUndefined = Reason(rawValue: "RuntimeUndefined")
        /// A change window holds a new rollout or a promotion (``RolloutState/wait`` says until when).
        public static let changeWindow = Reason(rawValue: "ChangeWindow")
        /// The model is gone from git but was not pruned.
        public static let kept = Reason(rawValue: "Kept")
    }
}
