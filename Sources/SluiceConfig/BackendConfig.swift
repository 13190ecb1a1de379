import SluiceCore

/// Where models run (`backend:` in `sluice.yaml`): the local `sluice serve`, or a cluster.
public enum BackendConfig: Sendable, Hashable {
    /// The single-machine data plane reached through `controller.dataPlane` (the default).
    case local
    /// A Kubernetes cluster.
    case kubernetes(KubernetesBackendConfig)
}

/// `backend: {kind: kubernetes, …}`: the cluster, namespace and driver models run with.
public struct KubernetesBackendConfig: Sendable, Hashable {
    /// The namespace every model object is written to and read from.
    public var namespace: String
    /// Which objects represent a model.
    public var driver: KubernetesDriverChoice
    /// The Gateway the HTTPRoutes attach to (`gateway-api` driver; required there).
    public var gateway: GatewayReference?
    /// How to reach the API server.
    public var connection: KubernetesConnection
    /// Whether the Gateway implementation supports the HTTPRoute `RequestMirror` filter
    /// (Extended support in Gateway API); when false a manifest's mirror is not rendered
    /// and status says so.
    public var requestMirror: Bool
    /// How KServe runs predictors (`kserve` driver).
    public var kserveDeploymentMode: KServeDeploymentMode
    /// The URL, as seen from inside the cluster, of the controller's KServe payload-logger
    /// collector (`…/v1/collector/kserve`); nil: no logger is configured and drift and
    /// accuracy monitors have no data on the `kserve` driver.
    public var collectorURL: String?
    /// Leader election through a `coordination.k8s.io/v1` Lease; nil: this replica always acts.
    public var leaderElection: LeaderElectionConfig?

    public init(
        namespace: String, driver: KubernetesDriverChoice = .gatewayAPI, gateway: GatewayReference? = nil,
        connection: KubernetesConnection = .inCluster, requestMirror: Bool = true,
        kserveDeploymentMode: KServeDeploymentMode = .serverless, collectorURL: String? = nil,
        leaderElection: LeaderElectionConfig? = LeaderElectionConfig()
    ) {
        self.namespace = namespace
        self.driver = driver
        self.gateway = gateway
        self.connection = connection
        self.requestMirror = requestMirror
        self.kserveDeploymentMode = kserveDeploymentMode
        self.collectorURL = collectorURL
        self.leaderElection = leaderElection
    }
}

/// `backend.driver`.
public enum KubernetesDriverChoice: String, Sendable, Hashable, CaseIterable {
    /// A Deployment and Service per version and an HTTPRoute per model.
    case gatewayAPI = "gateway-api"
    /// A KServe InferenceService per model.
    case kserve
    /// Whichever the cluster serves (KServe first), found by API discovery at start.
    case auto
}

/// `backend.gateway`: the parentRef of every HTTPRoute.
public struct GatewayReference: Sendable, Hashable {
    public var name: String
    /// nil: the backend's namespace.
    public var namespace: String?
    /// A listener of the Gateway, when routes must attach to one.
    public var sectionName: String?
    /// The listener GRPCRoutes attach to (nil: `sectionName`).
    public var grpcSectionName: String?
    /// The GRPCRoute's hostname, a template holding `{model}` (e.g. `{model}.grpc.example.com`):
    /// callers then select a model by `:authority`, not by the `x-sluice-model` header.
    public var grpcHostname: String?

    public init(name: String, namespace: String? = nil, sectionName: String? = nil, grpcSectionName: String? = nil, grpcHostname: String? = nil) {
        self.name = name
        self.namespace = namespace
        self.sectionName = sectionName
        self.grpcSectionName = grpcSectionName
        self.grpcHostname = grpcHostname
    }

    /// The placeholder `grpcHostname` must hold.
    public static let modelPlaceholder = "{model}"
}

/// How the controller reaches the API server.
public enum KubernetesConnection: Sendable, Hashable {
    /// A kubeconfig file (`backend.kubeconfig`, resolved against the config file) and an
    /// optional context (nil: its `current-context`).
    case kubeconfig(path: String, context: String?)
    /// In a pod: the service-account token, CA and namespace files and `KUBERNETES_SERVICE_HOST`.
    case inCluster
}

/// `backend.kserve.deploymentMode`.
public enum KServeDeploymentMode: String, Sendable, Hashable, CaseIterable {
    /// Knative revisions; canaries through `canaryTrafficPercent`.
    case serverless = "Serverless"
    /// Plain Deployments (`RawDeployment`, called Standard in newer KServe).
    case rawDeployment = "RawDeployment"
}

/// `backend.leaderElection`: a Lease held by one replica at a time.
public struct LeaderElectionConfig: Sendable, Hashable {
    /// The Lease's name in the backend namespace.
    public var leaseName: String
    /// How long a lease is valid without renewal; another replica takes over after it.
    public var leaseDuration: SluiceCore.Duration
    /// How long the leader keeps trying to renew before it stops acting.
    public var renewDeadline: SluiceCore.Duration
    /// How often a non-leader tries to acquire, and the leader renews.
    public var retryPeriod: SluiceCore.Duration

    public init(
        leaseName: String = "sluice-controller", leaseDuration: SluiceCore.Duration = .seconds(15),
        renewDeadline: SluiceCore.Duration = .seconds(10), retryPeriod: SluiceCore.Duration = .seconds(2)
    ) {
        self.leaseName = leaseName
        self.leaseDuration = leaseDuration
        self.renewDeadline = renewDeadline
        self.retryPeriod = retryPeriod
    }
}

/// `runtimes.NAME.kubernetes`: how a runtime runs as a container (`gateway-api` driver).
/// Git never says how; the operator does.
public struct KubernetesRuntime: Sendable, Hashable {
    /// The container image, e.g. `seldonio/mlserver:1.7.1`.
    public var image: String
    /// The entrypoint override; nil keeps the image's.
    public var command: [String]?
    /// Arguments, templated like local commands: `{model}`, `{version}`, `{artifactUri}`, `{port}`, `{grpcPort}`.
    public var args: [String]
    /// The container port serving the V2 protocol.
    public var port: Int
    /// The container port serving the V2 protocol over gRPC (h2c), when the model server has
    /// one: `{grpcPort}` in `command`, `args` and `env`, a second container port (`h2c`) and
    /// Service port (`grpc`).
    public var grpcPort: Int?
    /// `resources` of the container, passed as written (requests and limits).
    public var resources: JSONValue?
    /// Environment variables (templated).
    public var env: [String: String]
    /// The readiness probe's path (templated); the V2 model-ready endpoint by default.
    public var readinessPath: String
    /// Pods per version.
    public var replicas: Int

    public init(
        image: String, command: [String]? = nil, args: [String] = [], port: Int = 8080, grpcPort: Int? = nil, resources: JSONValue? = nil,
        env: [String: String] = [:], readinessPath: String = "/v2/models/{model}/ready", replicas: Int = 1
    ) {
        self.image = image
        self.command = command
        self.args = args
        self.port = port
        self.grpcPort = grpcPort
        self.resources = resources
        self.env = env
        self.readinessPath = readinessPath
        self.replicas = replicas
    }
}

/// `runtimes.NAME.kserve`: the predictor a runtime maps to (`kserve` driver).
public struct KServeRuntime: Sendable, Hashable {
    /// `spec.predictor.model.modelFormat.name`, e.g. `sklearn`.
    public var modelFormat: String
    /// `spec.predictor.model.runtime` (a ServingRuntime name); nil lets KServe choose.
    public var runtime: String?
    /// `spec.predictor.model.protocolVersion`: `v1`, `v2`, `grpc-v1` or `grpc-v2` (KServe v0.20's values).
    public var protocolVersion: String?
    /// The predictor's gRPC container port, rendered as `ports: [{name: h2c, ...}]` with a
    /// `grpc-*` protocol version (nil: KServe's default gRPC port 8081).
    public var grpcPort: Int?
    /// `resources` of the predictor, passed as written.
    public var resources: JSONValue?

    public init(modelFormat: String, runtime: String? = nil, protocolVersion: String? = "v2", grpcPort: Int? = nil, resources: JSONValue? = nil) {
        self.modelFormat = modelFormat
        self.runtime = runtime
        self.protocolVersion = protocolVersion
        self.grpcPort = grpcPort
        self.resources = resources
    }

    /// Whether the predictor speaks the Open Inference Protocol over gRPC (`grpc-v1`, `grpc-v2`).
    public var servesGRPC: Bool { protocolVersion?.hasPrefix("grpc-") == true }

    /// KServe's default gRPC port (`constants.go` DefaultGRPCPort, the port KServe's ServingRuntimes serve gRPC on).
    public static let defaultGRPCPort = 8081
}
