import SluiceConfig

/// Everything a renderer or reader needs besides the model: the operator's backend settings
/// and runtime definitions (trusted), resolved to one driver.
public struct KubernetesRenderContext: Sendable {
    /// The namespace every object is written to.
    public var namespace: String
    /// The driver in force (`auto` already resolved by discovery).
    public var driver: KubernetesDriver
    /// The Gateway HTTPRoutes attach to (`gateway-api`; required there).
    public var gateway: GatewayReference?
    /// Whether the Gateway implementation supports the HTTPRoute `RequestMirror` filter.
    public var requestMirror: Bool
    /// How KServe runs predictors (`kserve`).
    public var kserveDeploymentMode: KServeDeploymentMode
    /// The payload-logger collector's URL as seen from the cluster; nil: no logger.
    public var collectorURL: String?
    /// The operator's runtimes by name.
    public var runtimes: [String: RuntimeDefinition]
    /// The request header that pins a version (`x-sluice-version`).
    public var pinHeader: String

    public init(
        config: KubernetesBackendConfig, driver: KubernetesDriver, runtimes: [String: RuntimeDefinition],
        pinHeader: String = "x-sluice-version"
    ) {
        self.namespace = config.namespace
        self.driver = driver
        self.gateway = config.gateway
        self.requestMirror = config.requestMirror
        self.kserveDeploymentMode = config.kserveDeploymentMode
        self.collectorURL = config.collectorURL
        self.runtimes = runtimes
        self.pinHeader = pinHeader
    }
}
