import Foundation
import HTTPTypes
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle
import SluiceConfig
import SluiceCore

/// The data plane of one machine (`sluice serve`): the supervisor, the inference gateway
/// and the admin API, around the last applied runtime spec, which is kept on disk so a
/// restart serves it again without a controller.
public actor DataPlane {
    /// Where the listeners ended up (ports are real even when the config said 0).
    public struct Listeners: Sendable {
        public var inference: String
        public var admin: String
        /// The gRPC inference listener, when `serve.grpcListen` turns it on.
        public var grpc: String?
    }

    /// A data plane whose listeners are bound, and the services that run it.
    public struct Started: Sendable {
        /// Where the inference and admin listeners are bound.
        public var listeners: Listeners
        /// The supervisor, the admin API and the inference gateway, for one `ServiceGroup`:
        /// they stop in reverse order, so the listeners close before the model servers stop.
        public var services: [any Service]
    }

    let config: ServeConfig
    /// The tokens, resolved by the executable from the config's sources.
    private let secrets: ServeSecrets
    nonisolated let statistics: TrafficStatistics
    nonisolated let monitoring: MonitoringRecorder
    private let predictions: PredictionLog
    private let log: Logger
    let group: MultiThreadedEventLoopGroup
    /// The gateway's own loops (`serve.gatewayEngine: epoll` on a TCP listener); empty otherwise.
    nonisolated let gatewayLoops: [EpollEventLoop]
    private let client: UpstreamClient
    private let routes = RoutingTableBox()
    let supervisor: Supervisor
    /// Whether `start` makes this process the subreaper and cleans up after a previous run.
    private let contained: Bool
    private let store: SpecStore
    private var spec: RuntimeSpec?

    /// Inference requests larger than this are refused with 413 (admin and feedback
    /// bodies are capped lower, at 1 MiB).
    static let maximumRequestBody = 16 * 1024 * 1024

    /// The connection limits of both listeners, from the config.
    private nonisolated var limits: ServerLimits {
        ServerLimits(
            maximumConnections: config.maximumConnections,
            idleTimeout: .milliseconds(config.idleTimeout.milliseconds),
            headerTimeout: .milliseconds(config.headerTimeout.milliseconds),
            bodyTimeout: .milliseconds(config.bodyTimeout.milliseconds),
            bufferedBodies: config.bufferedMiB << 20)
    }

    /// A data plane run as `config` says, with the tokens `secrets` holds.
    /// - Parameter logger: where the data plane and its supervisor log (no secret is ever logged).
    public init(config: ServeConfig, secrets: ServeSecrets, logger: Logger) {
        self.init(config: config, secrets: secrets, logger: logger, clock: { .now }, contained: true)
    }

    /// A data plane whose supervisor measures time with `clock`; `contained: false` leaves the
    /// process's children alone (no subreaper, no cgroups), for a test process that has others.
    init(
        config: ServeConfig, secrets: ServeSecrets, logger: Logger, clock: @escaping @Sendable () -> ContinuousClock.Instant, contained: Bool
    ) {
        self.config = config
        self.contained = contained
        self.secrets = secrets
        log = logger
        statistics = TrafficStatistics()
        let bucket = Int(config.monitoringBucket.milliseconds / 1000)
        monitoring = MonitoringRecorder(bucketSeconds: bucket, retainedBuckets: max(1, Int(config.monitoringRetention.milliseconds / 1000) / bucket),
            sketchedPerSecond: config.sketchedPerSecond)
        predictions = PredictionLog(capacity: config.rememberedPredictions)
        let threads = config.eventLoops ?? max(1, System.coreCount)
        group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        gatewayLoops = Self.gatewayLoops(config, threads: threads, log: logger)
        client = UpstreamClient(loops: Array(group.makeIterator()) + gatewayLoops)
        supervisor = Supervisor(
            config: config, client: client, eventLoop: group.next(), routes: routes, log: log, clock: clock, cgroups: contained)
        store = SpecStore(directory: config.stateDirectory)
    }

    /// Resolves the tokens, prepares containment, restores the saved spec and binds both
    /// listeners; the returned services then serve until the group shuts them down, which
    /// closes the listeners and stops every model server.
    public func start() async throws -> Started {
        try PrivateFiles.directory(config.stateDirectory)
        if contained { await supervisor.beginContainment() }
        restoreSpec()
        let supervisor = self.supervisor
        let gateway = Gateway(
            routes: routes,
            client: client,
            statistics: statistics,
            monitoring: monitoring,
            predictions: predictions,
            config: config,
            feedbackToken: secrets.feedbackToken,
            metricsToken: secrets.metricsToken,
            onConnectFailure: { target in Task { await supervisor.suspect(target) } },
            metricsText: { [statistics, routes, replicaGauges = supervisor.gauges] in
                var exposition = PrometheusExposition()
                statistics.write(into: &exposition)
                RouteGauges.write(routes.current, into: &exposition)
                replicaGauges.current.write(into: &exposition)
                return exposition.text
            }
        )
        let inference: any ClosableListener
        let inferencePort: Int?
        // How long the requests under way may finish when the listener closes.
        let drainTimeout = Swift.Duration.milliseconds(config.drainTimeout.milliseconds)
        if !gatewayLoops.isEmpty {
            let listener = try await EpollListener(
                address: config.listen, loops: gatewayLoops, limits: limits.body(Self.maximumRequestBody),
                drainTimeout: drainTimeout, responder: gateway)
            (inference, inferencePort) = (listener, listener.port)
        } else {
            let host = try await HTTPServerHost.start(
                address: config.listen, group: group, limits: limits.body(Self.maximumRequestBody),
                drainTimeout: drainTimeout, responder: gateway)
            (inference, inferencePort) = (host, host.port)
        }
        let adminLimits = limits.body(AdminAPI.maximumBody)
        let adminAPI = AdminAPI(token: secrets.adminToken, dataPlane: self, budget: BodyBudget(limit: adminLimits.bufferedBodies))
        let admin = try await APIServer.start(router: adminAPI.router(), address: config.adminListen, limits: adminLimits, group: group)
        var grpc: GRPCServerHost?
        if let address = config.grpcListen {
            let responder = GRPCGateway(
                routes: routes, client: GRPCUpstreamClient(), statistics: statistics, config: config,
                onConnectFailure: { target in Task { await supervisor.suspect(target) } })
            grpc = try await GRPCServerHost.start(
                address: address, group: group, limits: limits.body(Self.maximumRequestBody), drainTimeout: drainTimeout, responder: responder)
        }
        var listeners = Listeners(
            inference: describe(config.listen, port: inferencePort),
            admin: describe(config.adminListen, port: admin.port)
        )
        if let grpc, let address = config.grpcListen { listeners.grpc = describe(address, port: grpc.port) }
        log.info("inference on \(listeners.inference)\(listeners.grpc.map { ", gRPC on \($0)" } ?? ""), admin on \(listeners.admin)")
        // The group stops its services in reverse: both inference listeners drain (together),
        // then the admin API closes, then the supervisor stops the model servers.
        let services: [any Service] = [
            SupervisorService(supervisor: supervisor, eventLoops: group, gatewayLoops: gatewayLoops),
            HTTPServerService(server: admin, name: "admin API"),
            grpc.map { HTTPServerService(server: ClosableListeners([inference, $0]), name: "inference gateway (HTTP and gRPC)") }
                ?? HTTPServerService(server: inference, name: "inference gateway"),
        ]
        return Started(listeners: listeners, services: services)
    }

    private nonisolated func describe(_ address: ServeConfig.ListenAddress, port: Int?) -> String {
        switch address {
        case .tcp(let host, let configured): "\(host):\(port ?? configured)"
        case .unix(let path): "unix:\(path)"
        }
    }

    /// The gateway's own loops when the config asks for them (the default), as many as the
    /// data plane's threads; none (NIO's channels serve) otherwise, or when they cannot start.
    private static func gatewayLoops(_ config: ServeConfig, threads: Int, log: Logger) -> [EpollEventLoop] {
        guard config.gatewayEngine == .epoll else { return [] }
        do {
            return try (0..<threads).map { try EpollEventLoop(name: "sluice-gw-\($0)", batch: config.eventLoopScheduling == .batch) }
        } catch {
            log.error("serve.gatewayEngine: epoll could not start its loops (\(error)); the gateway runs on nio")
            return []
        }
    }

    /// Serves the spec saved by the last run, if any.
    private func restoreSpec() {
        switch store.load() {
        case .none:
            log.info("no saved runtime spec; waiting for one on the admin API")
        case .success(let saved)?:
            let problems = configIssues(saved)
            if !problems.isEmpty {
                log.error("the saved runtime spec no longer fits the config: \(problems.map(\.description).joined(separator: "; ")); versions affected are reported as Failed")
            }
            spec = saved
            Task { await supervisor.apply(saved) }
            log.info("restored the runtime spec saved at revision \(saved.revision ?? "(none)") with \(saved.models.count) models", metadata: ["revision": "\(saved.revision ?? "none")"])
        case .failure(let error)?:
            log.error("the saved runtime spec at \(store.path) is unreadable and was not applied: \(error)")
        }
    }

    /// Decodes, checks, saves and applies a runtime spec and returns what runs now; a
    /// refused spec changes nothing (400 naming each field, or 500 when it cannot be saved).
    func apply(json: [UInt8]) async throws(APIError) -> ObservedState {
        let newSpec: RuntimeSpec
        do {
            newSpec = try RuntimeSpec.decode(json: json)
        } catch {
            throw Self.refusal(error.issues)
        }
        let problems = configIssues(newSpec)
        guard problems.isEmpty else { throw Self.refusal(problems) }
        do {
            try store.save(newSpec)
        } catch {
            throw APIError(.internalServerError, "could not save the runtime spec (nothing changed): \(error)")
        }
        spec = newSpec
        await supervisor.apply(newSpec)
        let served = Dictionary(uniqueKeysWithValues: newSpec.models.map { ($0.name, Set($0.versions.map(\.name))) })
        statistics.retain(models: served)
        monitoring.retain(models: served)
        log.info("applied runtime spec \(newSpec.revision ?? "(no revision)"): \(newSpec.models.count) models", metadata: ["revision": "\(newSpec.revision ?? "none")"])
        return await supervisor.observed()
    }

    private static func refusal(_ issues: [RuntimeSpecIssue]) -> APIError {
        APIError(
            .badRequest, "runtime spec refused; the previous spec stays in force",
            issues: issues.map { APIError.Issue(field: $0.field, message: $0.message) })
    }

    /// What the spec asks that this data plane cannot do: unknown runtimes, artifacts
    /// outside the artifact root.
    private func configIssues(_ spec: RuntimeSpec) -> [RuntimeSpecIssue] {
        var issues: [RuntimeSpecIssue] = []
        for (modelIndex, model) in spec.models.enumerated() {
            for (versionIndex, version) in model.versions.enumerated() {
                let path = "models[\(modelIndex)].versions[\(versionIndex)]"
                if let runtime = version.runtime, config.runtimes[runtime] == nil {
                    let known = config.runtimes.keys.sorted().joined(separator: ", ")
                    issues.append(RuntimeSpecIssue(field: "\(path).runtime", message: "runtime '\(runtime)' is not defined in the data plane's config (defined: \(known.isEmpty ? "none" : known))"))
                }
                if let artifact = version.artifact, case .failure(let problem) = ArtifactPath.check(artifact, root: config.artifactRoot) {
                    issues.append(RuntimeSpecIssue(field: "\(path).artifact", message: problem.message))
                }
            }
        }
        return issues
    }

    /// The spec in force.
    func currentSpec() -> RuntimeSpec? { spec }

    /// The observed state.
    func observed() async -> ObservedState { await supervisor.observed() }
}
