/// A set of versions serving with a traffic split: what a model runs as stable, or the
/// target of a rollout.
public struct ServingSet: Sendable, Hashable, Codable {
    /// One version as the data plane runs it.
    public struct Version: Sendable, Hashable, Codable {
        public var name: String
        public var runtime: String
        public var artifact: String
        public var digest: String?

        public init(name: String, runtime: String, artifact: String, digest: String?) {
            self.name = name
            self.runtime = runtime
            self.artifact = artifact
            self.digest = digest
        }
    }

    /// The spec digest of the manifest this set comes from.
    public var digest: String
    /// The commit it comes from.
    public var revision: String
    public var versions: [Version]
    public var weights: [String: Int]
    public var stickyHeader: String?
    public var mirror: Mirror?
    /// The model's replica bounds (`spec.scaling`); nil (and in a state saved before the
    /// field existed): one process per version.
    public var scaling: ReplicaScaling?

    public init(
        digest: String, revision: String, versions: [Version], weights: [String: Int], stickyHeader: String? = nil, mirror: Mirror? = nil,
        scaling: ReplicaScaling? = nil
    ) {
        self.scaling = scaling
        self.digest = digest
        self.revision = revision
        self.versions = versions
        self.weights = weights
        self.stickyHeader = stickyHeader
        self.mirror = mirror
    }

    /// The set a manifest asks for.
    public init(_ deployment: ModelDeployment, digest: String, revision: String) {
        self.init(
            digest: digest,
            revision: revision,
            versions: deployment.versions.map {
                Version(name: $0.name, runtime: deployment.runtime, artifact: $0.artifact, digest: $0.digest?.description)
            },
            weights: Dictionary(uniqueKeysWithValues: deployment.versions.map { ($0.name, deployment.traffic[$0.name] ?? 0) }),
            stickyHeader: deployment.routing.stickyHeader,
            mirror: deployment.routing.mirror,
            scaling: deployment.scaling
        )
    }

    /// The version with the most traffic (ties: first declared).
    public var primary: String {
        versions.reduce(nil as Version?) { best, version in
            guard let best else { return version }
            return (weights[version.name] ?? 0) > (weights[best.name] ?? 0) ? version : best
        }?.name ?? ""
    }

    /// A compact description of the versions with traffic: `v1 90%, v2 10%`.
    public var split: String {
        let weighted = versions.filter { (weights[$0.name] ?? 0) > 0 }
        return (weighted.isEmpty ? versions : weighted).map { "\($0.name) \(weights[$0.name] ?? 0)%" }.joined(separator: ", ")
    }
}

/// Where a model's rollout stands, persisted by the controller after every pass.
public struct RolloutState: Sendable, Hashable, Codable {
    /// Health, one of two independent axes (the other is sync).
    public enum Health: String, Sendable, Hashable, Codable {
        case healthy = "Healthy"
        case progressing = "Progressing"
        case paused = "Paused"
        case degraded = "Degraded"
        case missing = "Missing"
    }

    /// A rollout in progress.
    public struct Candidate: Sendable, Hashable, Codable {
        public var target: ServingSet
        /// The index of the current step (== steps.count once every step passed).
        public var step: Int
        /// The candidate's share (0–100) of the way from stable to target.
        public var weight: Int
        public var startedAt: Double
        public var stepStartedAt: Double
        /// When the candidate versions were first all ready (steps start then).
        public var readyAt: Double?
        public var lastAnalysisAt: Double?
        /// When traffic last moved to `weight` (analysis judges only after a full interval there).
        public var weightChangedAt: Double?
        public var failures: Int
        public var inconclusives: Int
        public var consecutiveErrors: Int
        /// Waiting for `sluice promote` (an approval step, or paused on inconclusive data).
        public var awaitingPromotion: Bool
        public var pauseReason: String?
        /// How many steps the rollout has (set by every pass; nil in a state saved before it was kept).
        public var stepCount: Int?
        /// Set while a shadow step runs: the candidate answers copies of stable's requests,
        /// paired with the callers' answers (nil otherwise, and in a state saved before
        /// shadow steps existed).
        public var shadow: ActiveShadow?

        /// The current step counted from 1, as messages, events, `sluice status`, the API and
        /// the metrics show it (`step 2/3`); ``step`` stays the stored 0-based index.
        public var stepNumber: Int {
            min(step + 1, max(stepCount ?? .max, 1))
        }

        /// What an analysis run now judges: the copies of a shadow step, or the traffic at ``weight``.
        public var analysisPhase: AnalysisPhase {
            shadow.map { .shadow($0.percent) } ?? .weight(weight)
        }

        /// A shadow step in progress: what ``RolloutEngine/route(for:)`` needs to mirror with pairing.
        public struct ActiveShadow: Sendable, Hashable, Codable {
            /// The share of stable's requests copied to the candidate, 1–100.
            public var percent: Int
            /// When the step began.
            public var startedAt: Double
            /// The agreement tolerances the data plane counts (``Analysis/agreementTolerances``).
            public var tolerances: [Double]

            public init(percent: Int, startedAt: Double, tolerances: [Double] = [0]) {
                self.percent = percent
                self.startedAt = startedAt
                self.tolerances = tolerances
            }
        }

        public init(target: ServingSet, startedAt: Double) {
            self.target = target
            step = 0
            weight = 0
            self.startedAt = startedAt
            stepStartedAt = startedAt
            failures = 0
            inconclusives = 0
            consecutiveErrors = 0
            awaitingPromotion = false
        }
    }

    public var name: String
    /// What runs as known-good.
    public var stable: ServingSet?
    public var candidate: Candidate?
    /// The revision and digest git asks for now (nil when the manifest is gone or invalid).
    public var desiredRevision: String?
    public var desiredDigest: String?
    /// The last revision whose route the data plane accepted.
    public var appliedRevision: String?
    public var appliedDigest: String?
    /// The last revision the controller tried to apply.
    public var attemptedRevision: String?
    public var attemptedDigest: String?
    public var health: Health
    /// A one-word reason (`Deployed`, `Canary`, `AnalysisFailed`, `InvalidManifest`…).
    public var reason: Reason
    /// A human sentence.
    public var message: String
    /// Spec digests of candidates that failed; not retried until the spec changes or
    /// `sluice retry` clears them.
    public var failedDigests: [String]
    /// Digests that were stable recently (newest last), for fast rollbacks.
    public var stableHistory: [String]
    /// The serving set that was stable before `stable`, kept so a monitor can roll back to it.
    public var previousStable: ServingSet?
    /// The latest analysis run.
    public var lastAnalysis: AnalysisRun?
    /// What the latest analysis run of a shadow step saw of the paired copies, kept after the
    /// step (until the next rollout starts) so status can show it.
    public var lastShadow: ShadowSummary?
    /// The manifest error that keeps the model at its last good state.
    public var manifestError: String?
    /// When the last version change finished (for the drain of old versions).
    public var updatedAt: Double
    /// How the last rollout ended; kept until the next rollout starts (nil before the first
    /// one, and while a rollout is in progress).
    public var lastRollout: RolloutOutcome?
    /// What the model's change waits for (a closed change window) and until when; nil when
    /// nothing holds it (and in a state saved before windows existed).
    public var wait: Wait?
    /// A person's `sluice promote --override-window` for the desired spec (nil: none, and in
    /// a state saved before windows existed).
    public var windowOverride: WindowOverride?

    public init(name: String, now: Double) {
        self.name = name
        health = .missing
        reason = .new
        message = ""
        failedDigests = []
        stableHistory = []
        updatedAt = now
    }

    /// The last analysis run when it describes what serves or the rollout it belongs to:
    /// the run of the rollout in progress; with none in progress, the run of the rollout
    /// that made the current stable, or of the last rollout (an abort keeps the stable).
    /// Nil otherwise, such as after a fast rollback to a spec that was never analysed.
    public var currentAnalysis: AnalysisRun? {
        guard let run = lastAnalysis else { return nil }
        if let candidate {
            return run.at >= candidate.startedAt && (run.revision == nil || run.revision == candidate.target.revision) ? run : nil
        }
        guard let revision = run.revision else {
            // Stored before runs kept their revision: after a fast or monitor rollback it judged something else.
            return [.fastRollback, .monitorRollback].contains(reason) ? nil : run
        }
        return revision == stable?.revision || revision == lastRollout?.revision ? run : nil
    }

    /// Synced when what runs is what git asks for.
    public var isSynced: Bool {
        candidate == nil && desiredDigest != nil && desiredDigest == stable?.digest
    }
}
