import Foundation
import Logging
import NIOConcurrencyHelpers
import SluiceConfig
import SluiceCore
import SluiceGit
import SluiceKubernetes
import SluiceStore
import SluiceTestSupport
@testable import SluiceController

/// A controller whose backend is a cluster: a real git repository and SQLite store, the real
/// Kubernetes client, watches and backend, against the loopback **fake** API server of
/// SluiceTestSupport (no real cluster runs here). Passes are called by hand with a manual
/// clock; readiness comes from the fake's status controllers, so tests wait for it by passes.
final class ClusterFixture: @unchecked Sendable {
    let server: FakeKubernetesAPIServer
    let repo: GitFixture
    let directory: URL
    let clock: ManualClock
    let namespace = "models"
    let driver: KubernetesDriver
    var config: ControllerConfig
    let client: KubernetesClient
    let backend: KubernetesBackend
    private(set) var store: ControllerStore
    private(set) var controller: Controller
    let logged = NIOLockedValueBox<[String]>([])
    private var watches: Task<Void, Never>?

    /// The operator's runtime: MLServer as a container, or KServe's sklearn predictor.
    static let runtimes: [String: RuntimeDefinition] = [
        "python-v2": RuntimeDefinition(
            command: [],
            kubernetes: KubernetesRuntime(image: "seldonio/mlserver:1.7.1", args: ["mlserver", "start", "/models/{model}"], port: 8080),
            kserve: KServeRuntime(modelFormat: "sklearn", runtime: "kserve-mlserver", protocolVersion: "v2"))
    ]

    init(
        driver: KubernetesDriver = .gatewayAPI, files: [String: String]? = nil, server: FakeKubernetesAPIServer? = nil,
        leadership: (any LeadershipGate)? = nil, clock: ManualClock? = nil, configure: (inout ControllerConfig) -> Void = { _ in }
    ) async throws {
        self.driver = driver
        if let server { self.server = server } else { self.server = try await FakeKubernetesAPIServer.start() }
        // Replicas of one test share a clock: each its own (started when it was made) would
        // see a pause end early or late by however long the machine took in between.
        self.clock = clock ?? ManualClock(start: Date().timeIntervalSince1970)
        repo = try GitFixture()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-cluster-\(UUID().uuidString)")
        let cluster = KubernetesBackendConfig(
            namespace: namespace, driver: driver == .kserve ? .kserve : .gatewayAPI, gateway: GatewayReference(name: "inference", namespace: "gateways"),
            connection: .inCluster, leaderElection: nil)
        config = ControllerConfig(
            repository: repo.path, path: "manifests", interval: .seconds(30), listen: .tcp(host: "127.0.0.1", port: 1),
            stateDirectory: directory.path, dataPlane: .tcp(host: "127.0.0.1", port: 1), dataPlaneToken: .generated)
        config.backend = .kubernetes(cluster)
        config.runtimes = Self.runtimes
        configure(&config)
        if let files { try repo.commit("first", files: files) }
        let token = self.server.token
        client = try KubernetesClient(
            credentials: KubernetesCredentials(
                server: self.server.url, certificateAuthorityPEM: self.server.caPEM, authentication: .bearerToken({ token }), namespace: namespace),
            logger: Logger(label: "test"))
        backend = KubernetesBackend(client: client, config: cluster, driver: driver, runtimes: Self.runtimes, logger: CapturedLog.logger(into: logged))
        let backend = self.backend
        watches = Task { await backend.run() }
        store = try ControllerStore(path: config.databasePath)
        controller = try Self.makeController(config: config, store: store, backend: backend, clock: self.clock, leadership: leadership, logged: logged)
    }

    private static func makeController(
        config: ControllerConfig, store: ControllerStore, backend: KubernetesBackend, clock: ManualClock,
        leadership: (any LeadershipGate)?, logged: NIOLockedValueBox<[String]>
    ) throws -> Controller {
        var environment = ControllerEnvironment(
            config: config, source: try GitSource.open(path: config.repository), store: store, backend: backend, clock: clock,
            logger: CapturedLog.logger(into: logged))
        environment.leadership = leadership
        return try Controller(environment: environment)
    }

    /// A controller killed and started again over the same store file and cluster.
    func restart() throws {
        store = try ControllerStore(path: config.databasePath)
        controller = try Self.makeController(config: config, store: store, backend: backend, clock: clock, leadership: nil, logged: logged)
    }

    /// Stops the watches and the client (the fake server is stopped by whoever started it).
    func close() async {
        watches?.cancel()
        await client.shutdown()
        try? FileManager.default.removeItem(at: directory)
    }

    // MARK: Driving

    @discardableResult
    func pass(_ trigger: Trigger = .rolloutTick) async -> ReconcileResult {
        await controller.reconcile(trigger)
    }

    /// Passes (each after the watches had a moment to see the fake's status updates) until
    /// `done` holds; fails after `limit` passes.
    func passUntil(_ what: String, limit: Int = 200, _ done: () async throws -> Bool) async throws {
        for _ in 0..<limit {
            await pass()
            if try await done() { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw FixtureTimeout(what: what)
    }

    func execute(_ command: Controller.Command) async -> Controller.CommandOutcome {
        await controller.execute(command)
    }

    func advance(_ seconds: Double) { clock.advance(by: seconds) }

    // MARK: Reading

    func state(_ model: String = "fraud") async -> RolloutState? { await controller.status(of: model) }

    func kinds(_ model: String = "fraud") throws -> [String] { try store.history(of: model).map(\.kind.rawValue) }

    /// The objects of `kind` the fake API server holds in the namespace.
    func objects(_ kind: ResourceKind) -> [KubernetesObject] {
        server.objects(kind: kind, namespace: namespace)
    }

    /// The weights of the model's HTTPRoute, by version (those at 0 left out).
    func routeWeights(_ model: String = "fraud") -> [String: Int]? {
        server.routeWeights(model: model, namespace: namespace)
    }

    /// The versions with a Deployment.
    func deployedVersions(_ model: String = "fraud") -> Set<String> {
        Set(objects(.deployment).filter { $0.labels[KubernetesLabels.model] == model }.compactMap { $0.labels[KubernetesLabels.version] })
    }

    // MARK: Git

    @discardableResult
    func commit(_ message: String, _ manifests: [String: String], remove: [String] = []) throws -> String {
        var files: [String: String] = [:]
        for (name, text) in manifests { files["manifests/\(name).yaml"] = text }
        return try repo.commit(message, files: files, remove: remove)
    }
}

/// A condition a fixture waited for did not come.
struct FixtureTimeout: Error, CustomStringConvertible {
    var what: String
    var description: String { "timed out waiting for \(what)" }
}

/// Manifests whose artifacts are URIs a cluster's runtime fetches.
enum ClusterManifests {
    static func fraud(_ versions: [String] = ["v1"], traffic: [String: Int] = ["v1": 100], name: String = "fraud", extra: String = "") -> String {
        var text = "apiVersion: sluice/v1\nkind: ModelDeployment\nmetadata:\n  name: \(name)\nspec:\n  runtime: python-v2\n  versions:\n"
        for version in versions { text += "    - name: \(version)\n      artifact: s3://models/\(name)/\(version)/\n" }
        text += "  traffic: {" + traffic.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ") + "}\n"
        return text + extra
    }
}
