import SluiceCore

/// The operator's configuration of a data plane (`sluice.yaml`, not in git): where to
/// listen, where to keep state, the admin token, and the runtimes manifests may name.
public struct ServeConfig: Sendable {
    /// The inference listener (`127.0.0.1:8080`).
    public var listen: ListenAddress
    /// The admin listener: loopback `host:port` or `unix:/path/to.sock`.
    public var adminListen: ListenAddress
    /// The gRPC inference listener (`serve.grpcListen`, h2c): off when nil.
    public var grpcListen: ListenAddress?
    /// Where the admin bearer token comes from.
    public var adminToken: TokenSource
    /// Holds the last applied runtime spec, child logs and a generated admin token.
    public var stateDirectory: String
    /// Relative artifact paths in a runtime spec are resolved against this directory,
    /// and may not leave it.
    public var artifactRoot: String
    /// Ports handed to model-server processes.
    public var ports: ClosedRange<Int>
    /// The request header that pins a version (`x-sluice-version`).
    public var pinHeader: String
    /// How long a removed version may finish in-flight requests before it is stopped.
    public var drainTimeout: SluiceCore.Duration
    /// How long a stopping process has between SIGTERM and SIGKILL.
    public var stopTimeout: SluiceCore.Duration
    /// How long an upstream may take to answer one request.
    public var upstreamTimeout: SluiceCore.Duration
    /// The runtimes by name.
    public var runtimes: [String: RuntimeDefinition]
    /// Model-server processes the data plane runs at most, over every model, version and
    /// replica (`serve.maxProcesses`), so that no manifest can exhaust the machine.
    public var maxProcesses = ServeConfig.defaultMaxProcesses
    /// The default cap: 64 processes.
    public static let defaultMaxProcesses = 64
    /// Mirrored copies each version may have in flight at once (`serve.maxMirroredInFlight`),
    /// for every mirror, paired or not: a copy over the cap is not sent, and counted as shed.
    public var maxMirroredInFlight = ServeConfig.defaultMaxMirroredInFlight
    /// The default: 64 copies in flight per version.
    public static let defaultMaxMirroredInFlight = 64
    /// Event-loop threads of the data plane (`serve.eventLoops`): its listeners, the upstream
    /// connections and the supervisor share them. Nil: one per CPU core.
    public var eventLoops: Int?
    /// What runs the inference listener's HTTP/1 connections (`serve.gatewayEngine`).
    public var gatewayEngine = GatewayEngine.epoll
    /// How the kernel schedules the gateway's own event loops (`serve.eventLoopScheduling`).
    public var eventLoopScheduling = EventLoopScheduling.batch

    /// How the kernel schedules the gateway's event-loop threads (Linux scheduling policies).
    public enum EventLoopScheduling: String, Sendable, Hashable, CaseIterable {
        /// `SCHED_BATCH`: a loop woken by a request does not preempt the task running on its
        /// core; it runs when that task's slice ends or it sleeps, and then finds more events
        /// a wakeup.
        case batch
        /// `SCHED_OTHER`: a woken loop may preempt at once.
        case normal
    }

    /// What runs the inference listener's HTTP/1 connections and the gateway's connections to
    /// model servers.
    public enum GatewayEngine: String, Sendable, Hashable, CaseIterable {
        /// SwiftNIO's channels on the data plane's event loops.
        case nio
        /// Sluice's own epoll loops and plain sockets (experimental; TCP listeners only).
        case epoll
    }
    /// Length of one monitoring bucket (`serve.monitoring.bucket`): the finest span the
    /// controller's monitor windows are built from.
    public var monitoringBucket: SluiceCore.Duration = .seconds(10)
    /// How long ended buckets wait for the controller to collect them (`serve.monitoring.retain`).
    public var monitoringRetention: SluiceCore.Duration = .seconds(600)
    /// Predictions remembered by request id for feedback (`serve.monitoring.predictions`; 0: off).
    public var rememberedPredictions = 100_000
    /// Requests per second and version whose features are all sketched
    /// (`serve.monitoring.sketchedPerSecond`); beyond it a thinning share.
    public var sketchedPerSecond = 200
    /// Who may post ground truth to `/v2/models/{model}/feedback` (`serve.feedback`):
    /// by default the holder of a generated token of its own.
    public var feedback: FeedbackAccess = .token(.generated)
    /// The bearer token `/metrics` requires (`serve.metrics.tokenEnv` / `tokenFile`); nil: open.
    public var metricsToken: TokenSource?
    /// Connections each listener holds at once (`serve.limits.maxConnections`).
    public var maximumConnections = 1024
    /// A connection with no request in progress is closed after this (`serve.limits.idleTimeout`).
    public var idleTimeout: SluiceCore.Duration = .seconds(60)
    /// A request head must be complete this long after its first byte (`serve.limits.headerTimeout`).
    public var headerTimeout: SluiceCore.Duration = .seconds(10)
    /// A request body must make progress at least this often (`serve.limits.bodyTimeout`).
    public var bodyTimeout: SluiceCore.Duration = .seconds(10)
    /// MiB of request bodies each listener holds at once (`serve.limits.bufferedMiB`); beyond, 503.
    public var bufferedMiB = 256

    /// Who may post feedback.
    public enum FeedbackAccess: Sendable, Hashable {
        /// Callers with this bearer token (generated: `stateDirectory/feedback-token`).
        case token(TokenSource)
        /// Anyone who can reach the inference listener (`serve.feedback.open: true`).
        case open
    }

    /// A listener address.
    public enum ListenAddress: Sendable, Hashable, CustomStringConvertible {
        case tcp(host: String, port: Int)
        case unix(path: String)

        public var description: String {
            switch self {
            case .tcp(let host, let port): "\(host):\(port)"
            case .unix(let path): "unix:\(path)"
            }
        }
    }

    /// Where a secret comes from; the value itself is read at start and never logged.
    public enum TokenSource: Sendable, Hashable {
        /// An environment variable.
        case environment(String)
        /// A file (its first line).
        case file(String)
        /// Generated at first start and kept in the state directory (`admin-token`,
        /// `feedback-token`; mode 0600).
        case generated
    }

    public init(
        listen: ListenAddress = .tcp(host: "127.0.0.1", port: 8080),
        adminListen: ListenAddress = .tcp(host: "127.0.0.1", port: 8081),
        adminToken: TokenSource = .generated,
        stateDirectory: String = ".sluice/serve",
        artifactRoot: String = ".",
        ports: ClosedRange<Int> = 20000...20999,
        pinHeader: String = "x-sluice-version",
        drainTimeout: SluiceCore.Duration = .seconds(30),
        stopTimeout: SluiceCore.Duration = .seconds(10),
        upstreamTimeout: SluiceCore.Duration = .seconds(60),
        runtimes: [String: RuntimeDefinition] = [:]
    ) {
        self.listen = listen
        self.adminListen = adminListen
        self.adminToken = adminToken
        self.stateDirectory = stateDirectory
        self.artifactRoot = artifactRoot
        self.ports = ports
        self.pinHeader = pinHeader
        self.drainTimeout = drainTimeout
        self.stopTimeout = stopTimeout
        self.upstreamTimeout = upstreamTimeout
        self.runtimes = runtimes
    }
}

/// How to run one kind of model server. Git names a runtime; only the operator defines
/// what it executes.
public struct RuntimeDefinition: Sendable, Hashable {
    /// The command and its arguments; `{artifact}`, `{port}`, `{grpcPort}`, `{model}` and
    /// `{version}` are replaced in each argument.
    public var command: [String]
    /// Extra environment variables (templated the same way).
    public var environment: [String: String]
    /// The readiness path polled before a version gets traffic (templated).
    public var readinessPath: String
    /// Whether the command or the environment mentions `{grpcPort}`: then each replica gets a
    /// second port, its gRPC one, which the gateway's gRPC listener forwards to.
    public var servesGRPC: Bool {
        let token = CommandTemplate.Placeholder.grpcPort.token
        return command.contains { $0.contains(token) } || environment.values.contains { $0.contains(token) }
    }
    /// How long a process may take to become ready before it is restarted.
    public var startTimeout: SluiceCore.Duration
    /// The working directory of the process.
    public var workingDirectory: String
    /// How the runtime runs as a container on the `kubernetes` backend's `gateway-api` driver.
    public var kubernetes: KubernetesRuntime?
    /// The KServe predictor it maps to on the `kubernetes` backend's `kserve` driver.
    public var kserve: KServeRuntime?

    public init(
        command: [String],
        environment: [String: String] = [:],
        readinessPath: String = "/v2/models/{model}/ready",
        startTimeout: SluiceCore.Duration = .seconds(60),
        workingDirectory: String = ".",
        kubernetes: KubernetesRuntime? = nil,
        kserve: KServeRuntime? = nil
    ) {
        self.kubernetes = kubernetes
        self.kserve = kserve
        self.command = command
        self.environment = environment
        self.readinessPath = readinessPath
        self.startTimeout = startTimeout
        self.workingDirectory = workingDirectory
    }
}
