import AsyncHTTPClient
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOPosix
import SluiceArtifacts
import SluiceConfig
import SluiceCore
import ServiceLifecycle
import SluiceGit
import SluiceKubernetes
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
    /// Whether this replica may act (leader election); nil: it always acts.
    public var leadership: (any LeadershipGate)?
    /// What the backend needs running beside the controller (a cluster's watches and lease).
    public var backendServices: [any Service] = []
    /// The KServe payload-logger collector (the `kserve` driver with `backend.collectorURL`).
    public var collector: KServeLogCollector?
    /// Releases the backend's connections when the controller never started.
    public var closeBackend: @Sendable () async -> Void = {}
    /// Fetches artifacts kept outside git (S3, HTTPS, MLflow) for the local backend; nil: only
    /// artifacts in git run (a cluster's runtime fetches its own).
    public var artifactFetcher: ArtifactFetcher?
    /// Releases the fetcher's connections.
    public var closeArtifacts: @Sendable () async -> Void = {}
    /// Delivers the notification outbox (`controller.notifications`); nil: none configured.
    public var notifier: NotificationDeliverer?
    /// Checks commit signatures (`controller.verify`); nil: every commit is applied.
    public var verifier: CommitVerifier?
    /// Signs the commits the controller writes (`controller.git.signing`); nil: unsigned.
    public var signer: CommitSigner?

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
    ) async throws -> ControllerEnvironment {
        let store = try ControllerStore(path: config.databasePath, notificationRoutes: NotificationDeliverer.routes(config.notifications))
        // Checks the CA files before anything needing a shutdown is made; its clients are made last.
        try NotificationDeliverer.check(config.notifications)
        let source: GitSource
        if config.repositoryLocation.isRemote {
            let credentials = config.gitTokenEnv.map { GitCredentials.tokenFromEnvironment(variable: $0) } ?? config.repositoryLocation.defaultCredentials
            source = try GitSource.remote(url: config.repository, cacheDirectory: "\(config.stateDirectory)/repos", credentials: credentials)
        } else {
            source = try GitSource.open(path: config.repository)
        }
        let webhookToken = secrets.monitorWebhookToken
        let metricsProvider = try config.prometheus.map { try MetricsProvider.prometheus($0, token: secrets.prometheusToken) }
        var environment = ControllerEnvironment(
            config: config, source: source, store: store, backend: LocalDataPlane(address: config.dataPlane, readToken: { try secrets.dataPlaneToken() }),
            webhookToken: { try webhookToken.map { try $0() } }, metricsProvider: metricsProvider, logger: logger)
        try await environment.useSignatures(config: config)
        if case .local = config.backend {
            try environment.useArtifactFetcher(config: config)
        }
        if case .kubernetes(let cluster) = config.backend {
            do {
                // Ground truth on the kserve driver is posted to the controller with its API token.
                let apiToken = secrets.apiToken
                try await environment.useKubernetes(cluster, runtimes: config.runtimes, feedbackToken: { apiToken })
            } catch {
                try? await metricsProvider?.close?()
                throw error
            }
        }
        if !config.notifications.isEmpty {
            environment.notifier = try NotificationDeliverer(store: store, targets: config.notifications, stateDirectory: config.stateDirectory, logger: logger)
        }
        return environment
    }

    /// Replaces the backend with a cluster: credentials from the kubeconfig or service account,
    /// the driver (discovered for `auto`), the watches, and the lease when leader election is on.
    mutating func useKubernetes(
        _ cluster: KubernetesBackendConfig, runtimes: [String: RuntimeDefinition], feedbackToken: @escaping @Sendable () -> String?
    ) async throws {
        let credentials = try KubernetesCredentials.load(cluster.connection, environment: ProcessInfo.processInfo.environment)
        let client = try KubernetesClient(credentials: credentials, logger: logger)
        do {
            let driver = try await KubernetesBackend.resolveDriver(cluster.driver, client: client)
            var monitoringSource: (@Sendable (Int64?) async -> MonitoringBatch)?
            var specApplied: (@Sendable (RuntimeSpec) -> Void)?
            if driver == .kserve, cluster.collectorURL != nil {
                // Features to sketch, per model, as the last applied spec names them.
                let sketched = NIOLockedValueBox<[String: [String]]>([:])
                let collector = KServeLogCollector(
                    sketchInputs: { model in sketched.withLockedValue { $0[model] } }, clock: clock, feedbackToken: feedbackToken)
                monitoringSource = { after in collector.monitoring(after: after) }
                specApplied = { spec in
                    sketched.withLockedValue { $0 = Dictionary(spec.models.map { ($0.name, $0.sketchInputs ?? []) }, uniquingKeysWith: { first, _ in first }) }
                    collector.setKnownVersions(Dictionary(spec.models.map { ($0.name, Set($0.versions.map(\.name))) }, uniquingKeysWith: { first, _ in first }))
                }
                self.collector = collector
            }
            let backend = KubernetesBackend(
                client: client, config: cluster, driver: driver, runtimes: runtimes, logger: logger,
                monitoringSource: monitoringSource, specApplied: specApplied)
            let elector = cluster.leaderElection.map {
                LeaderElector(client: client, namespace: cluster.namespace, config: $0, identity: Self.replicaIdentity(), logger: logger)
            }
            self.backend = backend
            self.leadership = elector
            self.backendServices = [KubernetesBackendService(backend: backend, elector: elector, client: client)]
            self.closeBackend = { await client.shutdown() }
            logger.info("backend: kubernetes (\(driver.rawValue)) in namespace \(cluster.namespace), \(credentials)")
        } catch {
            await client.shutdown()
            throw error
        }
    }

    /// Reads the keys of `controller.verify` and `controller.git.signing`; an error names the field.
    mutating func useSignatures(config: ControllerConfig) async throws {
        if let verify = config.verify {
            do {
                verifier = try await CommitVerifier.prepare(gpgKeyring: verify.gpgKeyring, sshAllowedSigners: verify.sshAllowedSigners)
            } catch {
                throw SignatureToolError("\(VerifyConfig.field(of: error.file)): \(error.message)")
            }
        }
        if let signing = config.gitSigning {
            do {
                signer = try await CommitSigner.prepare(format: signing.format, keyFile: signing.keyFile)
            } catch {
                throw SignatureToolError("controller.git.signing.keyFile: \(error.message)")
            }
        }
    }

    /// Fetches remote artifacts into `config.artifactCacheDirectory` over one HTTP client.
    mutating func useArtifactFetcher(config: ControllerConfig) throws {
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        do {
            let sources = try ArtifactSources.live(config: config.artifacts, environment: ProcessInfo.processInfo.environment, client: client)
            let fetcher = try ArtifactFetcher(config: config.artifacts, cacheDirectory: config.artifactCacheDirectory, sources: sources, logger: logger)
            artifactFetcher = fetcher
            closeArtifacts = {
                await fetcher.shutdown()
                try? await client.shutdown()
            }
        } catch {
            try? client.syncShutdown()
            throw error
        }
    }

    /// This replica's name in the lease: the pod's name (its hostname) and a random suffix, so
    /// a restarted pod with the same name is a new holder.
    static func replicaIdentity() -> String {
        let host = ProcessInfo.processInfo.hostName
        return "\(host)_\(UInt32.random(in: 0 ... .max))"
    }
}

/// The system's wall clock.
public struct SystemWallClock: WallClock {
    public init() {}
    public func now() -> Double { Date().timeIntervalSince1970 }
}
