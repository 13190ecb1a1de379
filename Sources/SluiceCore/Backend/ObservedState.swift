/// What a data plane runs: per model its configured and effective weights, and per version
/// its process (or upstream) state. The answer of `GET /v1/state` and of every backend's
/// `observe()`.
public struct ObservedState: Codable, Sendable, Hashable {
    /// The revision of the spec in force.
    public var revision: String?
    /// When that spec was applied (ISO 8601).
    public var appliedAt: String?
    public var models: [ObservedModel]
    /// Identifies one run of the data plane (a fresh value at each start), so that a reader
    /// of ``scaleEvents`` can tell a restart, whose sequence numbers begin again, from a gap.
    public var instance: String?
    /// The latest replica-count changes, oldest first (a bounded list; a reader keeps the
    /// highest `sequence` it has recorded).
    public var scaleEvents: [ScaleEvent]?
    /// Model-server processes running now, and the operator's cap on them (`serve.maxProcesses`).
    public var processes: ProcessCount?

    public init(
        revision: String? = nil, appliedAt: String? = nil, models: [ObservedModel], instance: String? = nil,
        scaleEvents: [ScaleEvent]? = nil, processes: ProcessCount? = nil
    ) {
        self.revision = revision
        self.appliedAt = appliedAt
        self.models = models
        self.instance = instance
        self.scaleEvents = scaleEvents
        self.processes = processes
    }

    /// How many model-server processes run, against the cap.
    public struct ProcessCount: Codable, Sendable, Hashable {
        public var running: Int
        public var maximum: Int
        /// Replicas that load or bounds ask for but the cap leaves out.
        public var withheld: Int

        public init(running: Int, maximum: Int, withheld: Int = 0) {
            self.running = running
            self.maximum = maximum
            self.withheld = withheld
        }
    }

    /// The model named `name`.
    public func model(_ name: String) -> ObservedModel? {
        models.first { $0.name == name }
    }

    /// The ready versions of every model, by model name.
    public var readyVersions: [String: Set<String>] {
        var ready: [String: Set<String>] = [:]
        for model in models {
            ready[model.name] = Set(model.versions.filter { $0.ready == true }.map(\.name))
        }
        return ready
    }
}

/// One model as a data plane runs it.
public struct ObservedModel: Codable, Sendable, Hashable {
    public var name: String
    /// Whether any version takes traffic.
    public var ready: Bool
    /// The configured weights, by version.
    public var weights: [String: Int]
    /// The weights in effect: an unready version's share goes to the ready ones.
    public var effectiveWeights: [String: Double]
    /// The versions of the spec, in its order.
    public var versions: [ObservedVersion]
    /// Processes of versions no longer in the spec, finishing their requests.
    public var retiring: [ObservedVersion]?

    public init(
        name: String, ready: Bool, weights: [String: Int], effectiveWeights: [String: Double], versions: [ObservedVersion],
        retiring: [ObservedVersion]? = nil
    ) {
        self.name = name
        self.ready = ready
        self.weights = weights
        self.effectiveWeights = effectiveWeights
        self.versions = versions
        self.retiring = retiring
    }

    /// The version named `name`.
    public func version(_ name: String) -> ObservedVersion? {
        versions.first { $0.name == name }
    }
}

/// One version's process or upstream.
public struct ObservedVersion: Codable, Sendable, Hashable {
    public var name: String
    public var runtime: String?
    public var endpoint: String?
    public var state: VersionPhase
    /// Whether it answers its readiness probe (absent when nothing runs: `Missing`).
    public var ready: Bool?
    /// Whether the route table sends it requests.
    public var serving: Bool?
    public var pid: Int?
    public var port: Int?
    public var restarts: Int?
    /// Requests being answered now.
    public var inFlight: Int?
    /// How the last process ended (`exit 3`, `signal 9`).
    public var lastExit: String?
    /// Why it is not ready, when known.
    public var message: String?
    /// Its replicas. With several, `state`, `ready`, `pid` and `port` describe the best one
    /// (ready before starting before failed), `restarts` and `inFlight` are sums.
    public var replicas: ObservedReplicas?

    public init(
        name: String, runtime: String? = nil, endpoint: String? = nil, state: VersionPhase, ready: Bool? = nil,
        serving: Bool? = nil, pid: Int? = nil, port: Int? = nil, restarts: Int? = nil, inFlight: Int? = nil,
        lastExit: String? = nil, message: String? = nil, replicas: ObservedReplicas? = nil
    ) {
        self.replicas = replicas
        self.name = name
        self.runtime = runtime
        self.endpoint = endpoint
        self.state = state
        self.ready = ready
        self.serving = serving
        self.pid = pid
        self.port = port
        self.restarts = restarts
        self.inFlight = inFlight
        self.lastExit = lastExit
        self.message = message
    }
}

/// The life-cycle phase of a version's process, as the data plane reports it. Extensible:
/// a newer data plane's phase decodes as itself and is shown, never refused.
public struct VersionPhase: OpenVocabulary {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    /// The spec names it but nothing runs it yet.
    public static let missing = VersionPhase(rawValue: "Missing")
    /// Started, waiting for the readiness probe.
    public static let starting = VersionPhase(rawValue: "Starting")
    public static let ready = VersionPhase(rawValue: "Ready")
    /// Was ready, now fails its probe.
    public static let unready = VersionPhase(rawValue: "Unready")
    /// Exited; waiting before the next start.
    public static let backoff = VersionPhase(rawValue: "BackOff")
    /// Exits again and again.
    public static let crashLoop = VersionPhase(rawValue: "CrashLoopBackOff")
    /// Gave up: the program is missing, or the artifact is refused.
    public static let failed = VersionPhase(rawValue: "Failed")
    /// Finishing its requests before it is stopped.
    public static let stopping = VersionPhase(rawValue: "Stopping")
}
