/// A version's replicas as a backend runs them: how many it wants and has, its bounds, the
/// load the autoscaler judged, and each process. Absent in the answer of a data plane that
/// predates replicas (read it as one replica).
public struct ObservedReplicas: Codable, Sendable, Hashable {
    /// Replicas the autoscaler wants now, after the operator's process cap.
    public var desired: Int
    /// Replicas answering their readiness probe.
    public var ready: Int
    /// The version's bounds in force (the runtime spec's, or 1 and 1 without `scaling`).
    public var minReplicas: Int
    public var maxReplicas: Int
    /// The load per replica the last decision measured, in the target's unit.
    public var load: Double?
    /// The load one replica should carry, and in which unit (`concurrency` or `rps`).
    public var target: Double?
    public var metric: ReplicaScaling.Target.Metric?
    /// Set when `desired` is lower than the load asks for, and why.
    public var limitedBy: ScaleLimit?
    /// Each process, by replica index (absent from backends that do not list them).
    public var processes: [ObservedReplica]?

    public init(
        desired: Int, ready: Int, minReplicas: Int, maxReplicas: Int, load: Double? = nil, target: Double? = nil,
        metric: ReplicaScaling.Target.Metric? = nil, limitedBy: ScaleLimit? = nil, processes: [ObservedReplica]? = nil
    ) {
        self.desired = desired
        self.ready = ready
        self.minReplicas = minReplicas
        self.maxReplicas = maxReplicas
        self.load = load
        self.target = target
        self.metric = metric
        self.limitedBy = limitedBy
        self.processes = processes
    }
}

/// One replica's process.
public struct ObservedReplica: Codable, Sendable, Hashable {
    /// The replica's index within its version, from 0.
    public var index: Int
    public var state: VersionPhase
    public var ready: Bool?
    public var pid: Int?
    public var port: Int?
    public var restarts: Int?
    public var inFlight: Int?
    public var lastExit: String?
    public var message: String?

    public init(
        index: Int, state: VersionPhase, ready: Bool? = nil, pid: Int? = nil, port: Int? = nil, restarts: Int? = nil,
        inFlight: Int? = nil, lastExit: String? = nil, message: String? = nil
    ) {
        self.index = index
        self.state = state
        self.ready = ready
        self.pid = pid
        self.port = port
        self.restarts = restarts
        self.inFlight = inFlight
        self.lastExit = lastExit
        self.message = message
    }
}

/// Why a version runs fewer replicas than its load asks for. Extensible, as every word a
/// newer data plane may send.
public struct ScaleLimit: OpenVocabulary {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    /// The version's own `maxReplicas`.
    public static let maxReplicas = ScaleLimit(rawValue: "maxReplicas")
    /// The operator's cap on all model-server processes (`serve.maxProcesses`).
    public static let maxProcesses = ScaleLimit(rawValue: "maxProcesses")
}

/// One change of a version's replica count, as a data plane reports it for the controller's
/// history.
public struct ScaleEvent: Codable, Sendable, Hashable {
    /// Increases by one per event within one data-plane run (`ObservedState.instance`).
    public var sequence: Int
    /// When it happened (ISO 8601).
    public var at: String
    public var model: String
    public var version: String
    public var from: Int
    public var to: Int
    public var reason: ScaleReason
    /// The load per replica that moved it, in the target's unit, when load did.
    public var load: Double?
    /// A sentence for history: `v1: 1 → 3 replicas (in flight 9.6 per replica, target 4)`.
    public var message: String

    public init(sequence: Int, at: String, model: String, version: String, from: Int, to: Int, reason: ScaleReason, load: Double? = nil, message: String) {
        self.sequence = sequence
        self.at = at
        self.model = model
        self.version = version
        self.from = from
        self.to = to
        self.reason = reason
        self.load = load
        self.message = message
    }
}

/// What moved a replica count.
public struct ScaleReason: OpenVocabulary {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    /// Load above the target: replicas added at once.
    public static let load = ScaleReason(rawValue: "load")
    /// Load below the target for `scaleDownDelay`: replicas removed.
    public static let idle = ScaleReason(rawValue: "idle")
    /// The bounds changed (a new spec, a canary's weight, a promotion).
    public static let bounds = ScaleReason(rawValue: "bounds")
    /// The operator's process cap took replicas away, or gave them back.
    public static let cap = ScaleReason(rawValue: "cap")
}
