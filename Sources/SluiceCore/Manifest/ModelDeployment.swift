/// A decoded `ModelDeployment`: the desired state of one model. Defaults are filled in, so
/// consumers (plan, controller) never see an absent optional that has a documented default.
public struct ModelDeployment: Sendable, Hashable, Codable {
    /// The model's name (`metadata.name`), unique in the repository.
    public var name: String
    /// `metadata.labels`.
    public var labels: [String: String]
    /// The runtime the operator defined (`spec.runtime`).
    public var runtime: String
    /// The declared versions, in manifest order.
    public var versions: [ModelVersion]
    /// The split to reach: every declared version appears, the weights sum to 100.
    public var traffic: [String: Int]
    /// Sticky sessions and mirroring.
    public var routing: Routing
    /// How to reach the split; nil means at once.
    public var rollout: Rollout?
    /// Always-on checks.
    public var monitors: [Monitor]
    /// Replicas and autoscaling (`spec.scaling`); nil: one process per version.
    public var scaling: ReplicaScaling?
    /// Change windows (`spec.windows`): when new rollouts and promotions may happen. Not part
    /// of the spec digest: a window says when, never what runs.
    public var windows: [ChangeWindow] = []

    /// Creates a deployment.
    public init(
        name: String, labels: [String: String] = [:], runtime: String, versions: [ModelVersion],
        traffic: [String: Int], routing: Routing = Routing(), rollout: Rollout? = nil, monitors: [Monitor] = [],
        scaling: ReplicaScaling? = nil
    ) {
        self.scaling = scaling
        self.name = name
        self.labels = labels
        self.runtime = runtime
        self.versions = versions
        self.traffic = traffic
        self.routing = routing
        self.rollout = rollout
        self.monitors = monitors
    }
}

/// One version of a model.
public struct ModelVersion: Sendable, Hashable, Codable {
    /// The version's name.
    public var name: String
    /// A repository-relative path or a remote URI.
    public var artifact: String
    /// An optional content pin.
    public var digest: Digest?

    /// Creates a version.
    public init(name: String, artifact: String, digest: Digest? = nil) {
        self.name = name
        self.artifact = artifact
        self.digest = digest
    }
}

/// Routing beyond weights.
public struct Routing: Sendable, Hashable, Codable {
    /// The header hashed for sticky sessions.
    public var stickyHeader: String?
    /// Shadow traffic.
    public var mirror: Mirror?

    /// Creates routing settings.
    public init(stickyHeader: String? = nil, mirror: Mirror? = nil) {
        self.stickyHeader = stickyHeader
        self.mirror = mirror
    }
}

/// Shadow traffic to a version.
public struct Mirror: Sendable, Hashable, Codable {
    /// The version receiving copies.
    public var version: String
    /// The share of requests copied.
    public var percent: Int

    /// Creates a mirror.
    public init(version: String, percent: Int) {
        self.version = version
        self.percent = percent
    }
}

/// A canary's steps, analysis and policies.
public struct Rollout: Sendable, Hashable, Codable {
    /// The ordered steps.
    public var steps: [RolloutStep]
    /// The analysis, when there is one.
    public var analysis: Analysis?
    /// What an abort does besides returning traffic.
    public var onAbort: AbortPolicy
    /// Time allowed for the new version to become ready.
    public var progressDeadline: Duration
    /// Recent stable specs a return to which is a fast rollback.
    public var rollbackWindow: Int

    /// Creates a rollout with the documented defaults.
    public init(
        steps: [RolloutStep], analysis: Analysis? = nil, onAbort: AbortPolicy = .rollback,
        progressDeadline: Duration = .seconds(600), rollbackWindow: Int = 5
    ) {
        self.steps = steps
        self.analysis = analysis
        self.onAbort = onAbort
        self.progressDeadline = progressDeadline
        self.rollbackWindow = rollbackWindow
    }
}

/// One rollout step.
public enum RolloutStep: Sendable, Hashable, Codable {
    /// Set the new version's weight in percent.
    case weight(Int)
    /// Wait.
    case pause(Duration)
    /// Wait for `sluice promote`.
    case approval
    /// Send the candidate copies of a share of the stable version's requests for a while;
    /// callers only get stable's answers, and analysis judges the paired answers.
    case shadow(ShadowStep)
}

/// A shadow step (`shadow: {percent, duration}`): the candidate answers copies of
/// `percent` of the requests the stable version serves, for at least `duration`; with
/// analysis, the step passes once that time is up and the last run since the step began
/// was successful.
public struct ShadowStep: Sendable, Hashable, Codable {
    /// The share of stable's requests copied to the candidate, 1–100.
    public var percent: Int
    /// How long the step lasts at least.
    public var duration: Duration

    /// Creates a shadow step.
    public init(percent: Int, duration: Duration) {
        self.percent = percent
        self.duration = duration
    }
}

/// How a candidate is judged during a rollout.
public struct Analysis: Sendable, Hashable, Codable {
    /// Time between measurements.
    public var interval: Duration
    /// Requests needed for a measurement to count.
    public var minRequests: Int
    /// Failures tolerated.
    public var failureLimit: Int
    /// Inconclusive results tolerated before pausing.
    public var inconclusiveLimit: Int
    /// Measurement errors in a row before they count as a failure.
    public var consecutiveErrorLimit: Int
    /// The checks.
    public var checks: [AnalysisCheck]

    /// Creates an analysis with the documented defaults.
    public init(
        interval: Duration = .seconds(60), minRequests: Int = 100, failureLimit: Int = 0,
        inconclusiveLimit: Int = 0, consecutiveErrorLimit: Int = 4, checks: [AnalysisCheck]
    ) {
        self.interval = interval
        self.minRequests = minRequests
        self.failureLimit = failureLimit
        self.inconclusiveLimit = inconclusiveLimit
        self.consecutiveErrorLimit = consecutiveErrorLimit
        self.checks = checks
    }
}

/// Thresholds shared by checks and monitors.
public struct Thresholds: Sendable, Hashable, Codable {
    /// Fails above this.
    public var max: Double?
    /// Fails below this.
    public var min: Double?
    /// Fails above stable × this.
    public var maxRatioToStable: Double?
    /// Fails below stable × this.
    public var minRatioToStable: Double?

    /// Creates thresholds.
    public init(max: Double? = nil, min: Double? = nil, maxRatioToStable: Double? = nil, minRatioToStable: Double? = nil) {
        self.max = max
        self.min = min
        self.maxRatioToStable = maxRatioToStable
        self.minRatioToStable = minRatioToStable
    }
}

/// One analysis check.
public struct AnalysisCheck: Sendable, Hashable, Codable {
    /// What is measured.
    public var metric: Metric
    /// For input drift: the inputs; empty means every input.
    public var inputs: [String]
    /// For drift metrics: the test.
    public var test: DriftTest?
    /// For drift metrics: what the candidate is compared with.
    public var against: Baseline
    /// For `against: reference`: the baseline file.
    public var reference: String?
    /// The thresholds.
    public var thresholds: Thresholds
    /// For `metric: prometheus`: the name shown in status and history.
    public var name: String?
    /// For `metric: prometheus`: the query.
    public var query: QueryTemplate?
    /// For `metric: agreement`: the largest absolute difference between two output values
    /// that still counts as equal (nil: written nowhere, exact equality).
    public var tolerance: Double?
    /// For `metric: latency_ratio_paired`: the quantile compared (nil: 0.99).
    public var quantile: Double?

    /// The quantile `latency_ratio_paired` compares when none is written.
    public static let defaultQuantile = 0.99

    /// Creates a check.
    public init(
        metric: Metric, inputs: [String] = [], test: DriftTest? = nil, against: Baseline = .stable,
        reference: String? = nil, thresholds: Thresholds, name: String? = nil, query: QueryTemplate? = nil,
        tolerance: Double? = nil, quantile: Double? = nil
    ) {
        self.tolerance = tolerance
        self.quantile = quantile
        self.name = name
        self.query = query
        self.metric = metric
        self.inputs = inputs
        self.test = test
        self.against = against
        self.reference = reference
        self.thresholds = thresholds
    }
}

/// An always-on monitor.
public struct Monitor: Sendable, Hashable, Codable {
    /// The monitor's name.
    public var name: String
    /// What is measured.
    public var metric: Metric
    /// For input drift: the inputs; empty means every input.
    public var inputs: [String]
    /// For drift metrics: the test.
    public var test: DriftTest?
    /// For drift metrics: the baseline file.
    public var reference: String?
    /// Fails above `max` or below `min`.
    public var thresholds: Thresholds
    /// The window.
    public var window: Duration
    /// Samples a window needs.
    public var minSamples: Int
    /// Breaching windows in a row before firing.
    public var consecutiveWindows: Int
    /// How loudly it fires.
    public var severity: Severity
    /// What happens when it fires.
    public var action: MonitorAction
    /// The stricter tier that escalates to critical, if any.
    public var critical: MonitorTier?
    /// For `metric: prometheus`: the query, evaluated per serving version at each window's end.
    public var query: QueryTemplate?

    /// Creates a monitor with the documented defaults.
    public init(
        name: String, metric: Metric, inputs: [String] = [], test: DriftTest? = nil, reference: String? = nil,
        thresholds: Thresholds, window: Duration = .seconds(3600), minSamples: Int = 100,
        consecutiveWindows: Int = 1, severity: Severity = .warning, action: MonitorAction = .alert,
        critical: MonitorTier? = nil, query: QueryTemplate? = nil
    ) {
        self.query = query
        self.name = name
        self.metric = metric
        self.inputs = inputs
        self.test = test
        self.reference = reference
        self.thresholds = thresholds
        self.window = window
        self.minSamples = minSamples
        self.consecutiveWindows = consecutiveWindows
        self.severity = severity
        self.action = action
        self.critical = critical
    }
}

/// A monitor's critical tier: stricter thresholds on the same value, with their own
/// windows-in-a-row count and action.
public struct MonitorTier: Sendable, Hashable, Codable {
    /// Fails above `max` or below `min`.
    public var thresholds: Thresholds
    /// Breaching windows in a row before the tier fires.
    public var consecutiveWindows: Int
    /// What happens when it fires.
    public var action: MonitorAction

    /// Creates a tier.
    public init(thresholds: Thresholds, consecutiveWindows: Int = 1, action: MonitorAction = .alert) {
        self.thresholds = thresholds
        self.consecutiveWindows = consecutiveWindows
        self.action = action
    }
}
