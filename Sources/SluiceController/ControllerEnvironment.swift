import Foundation
import Logging
import NIOPosix
import SluiceConfig
import SluiceCore
import SluiceGit
import SluiceServe
import SluiceStore

/// Everything a controller works with, built once by whoever starts it: the executable
/// builds the real ones from `sluice.yaml`; a test builds a real git repository and store
/// with a fake backend and a manual clock.
public struct ControllerEnvironment: Sendable {
    public var config: ControllerConfig
    public var source: GitSource
    public var store: ControllerStore
    public var backend: any DataPlaneBackend
    public var clock: any WallClock
    public var logger: Logger
    /// Reads the bearer token sent with monitor webhooks, if one is configured.
    public var webhookToken: @Sendable () throws -> String?
    /// The metrics provider (Prometheus) that `metric: prometheus` checks and monitors query.
    public var metricsProvider: MetricsProvider?

    public init(
        config: ControllerConfig, source: GitSource, store: ControllerStore, backend: any DataPlaneBackend,
        clock: any WallClock = SystemWallClock(), webhookToken: @escaping @Sendable () throws -> String? = { nil },
        metricsProvider: MetricsProvider? = nil, logger: Logger
    ) {
        self.metricsProvider = metricsProvider
        self.config = config
        self.source = source
        self.store = store
        self.backend = backend
        self.clock = clock
        self.webhookToken = webhookToken
        self.logger = logger
    }

    /// The production collaborators: the configured repository (cloned into the state
    /// directory when remote), the SQLite store, and the local data plane's admin API, with
    /// the secrets the executable resolved.
    public static func live(
        config: ControllerConfig, secrets: ControllerSecrets, logger: Logger
    ) throws -> ControllerEnvironment {
        let store = try ControllerStore(path: config.databasePath)
        let source: GitSource
        if config.repositoryLocation.isRemote {
            let credentials = config.gitTokenEnv.map { GitCredentials.tokenFromEnvironment(variable: $0) } ?? config.repositoryLocation.defaultCredentials
            source = try GitSource.remote(url: config.repository, cacheDirectory: "\(config.stateDirectory)/repos", credentials: credentials)
        } else {
            source = try GitSource.open(path: config.repository)
        }
        let dataPlaneToken = secrets.dataPlaneToken
        let backend = LocalDataPlane(address: config.dataPlane, readToken: { try dataPlaneToken() })
        let webhookToken = secrets.monitorWebhookToken
        let metricsProvider = try config.prometheus.map { try MetricsProvider.prometheus($0, token: secrets.prometheusToken) }
        return ControllerEnvironment(
            config: config, source: source, store: store, backend: backend,
            webhookToken: { try webhookToken.map { try $0() } }, metricsProvider: metricsProvider, logger: logger)
    }
}

/// The system's wall clock.
public struct SystemWallClock: WallClock {
    public init() {}
    public func now() -> Double { Date().timeIntervalSince1970 }
}
