import Foundation
import NIOConcurrencyHelpers
import SluiceArtifacts
import SluiceConfig
import SluiceCore
import SluiceGit
import SluiceServe
import SluiceStore
import SluiceTestSupport
@testable import SluiceController

/// A controller driven by hand: a real git repository and a real SQLite store in temporary
/// directories, the fake data plane and a manual clock. Passes, commands and monitor passes
/// are called directly; no loop runs, so each test decides exactly what happens when.
final class ControllerFixture: @unchecked Sendable {
    let repo: GitFixture
    let directory: URL
    let clock: ManualClock
    let backend: FakeDataPlane
    /// What the controller talks to: `backend`, or `backend` behind a runtime check.
    let dataPlane: any DataPlaneBackend
    var config: ControllerConfig
    private(set) var store: ControllerStore
    private(set) var controller: Controller
    /// Lines the controller logged, as `LEVEL: message`.
    let logged = NIOLockedValueBox<[String]>([])
    /// Writes of the store so far, by kind; `failWrite` makes the next one of a kind throw.
    let writes = NIOLockedValueBox<[ControllerStore.Write]>([])
    let failingWrite = NIOLockedValueBox<(number: Int, kind: ControllerStore.Write?)?>(nil)
    let metricsProvider: MetricsProvider?
    let artifactFetcher: ArtifactFetcher?
    /// The signature check and the signer (`controller.verify`, `controller.git.signing`).
    let signatures: (verifier: CommitVerifier?, signer: CommitSigner?)

    /// - Parameters:
    ///   - files: the first commit (manifests and artifacts); nil: no commit yet.
    ///   - configure: changes to the controller's config.
    ///   - metricsProvider: the Prometheus that `metric: prometheus` checks and monitors query.
    ///   - clockStart: where the manual clock starts (a real Prometheus needs times near now).
    ///   - dataPlaneRuntimes: the runtimes the data plane defines; a spec naming another one is
    ///     refused whole, as `sluice serve` does (``RuntimeCheckingDataPlane``). nil: no check.
    init(
        files: [String: String]? = nil, bucketSeconds: Int = 10, metricsProvider: MetricsProvider? = nil,
        clockStart: Double = 1_800_000_000, artifactFetcher: ArtifactFetcher? = nil, dataPlaneRuntimes: Set<String>? = nil,
        signatures: (verifier: CommitVerifier?, signer: CommitSigner?) = (nil, nil),
        configure: (inout ControllerConfig) -> Void = { _ in }
    ) async throws {
        self.signatures = signatures
        clock = ManualClock(start: clockStart)
        self.metricsProvider = metricsProvider
        self.artifactFetcher = artifactFetcher
        repo = try GitFixture()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-controller-\(UUID().uuidString)")
        let backend = FakeDataPlane(clock: clock, bucketSeconds: bucketSeconds)
        self.backend = backend
        dataPlane = dataPlaneRuntimes.map { RuntimeCheckingDataPlane(inner: backend, runtimes: $0) } ?? backend
        config = ControllerConfig(
            repository: repo.path, branch: nil, path: "manifests", interval: .seconds(30), listen: .tcp(host: "127.0.0.1", port: 1),
            token: .generated, webhookSecret: nil, stateDirectory: directory.path, dataPlane: .tcp(host: "127.0.0.1", port: 1),
            dataPlaneToken: .generated, allowEmpty: false, gitTokenEnv: nil)
        configure(&config)
        if let files { try repo.commit("first", files: files) }
        store = try Self.open(config, writes: writes, failing: failingWrite)
        controller = try Self.makeController(
            config: config, store: store, backend: dataPlane, clock: clock, metricsProvider: metricsProvider, fetcher: artifactFetcher, logged: logged,
            signatures: signatures)
    }

    deinit { try? FileManager.default.removeItem(at: directory) }

    private static func open(
        _ config: ControllerConfig, writes: NIOLockedValueBox<[ControllerStore.Write]>,
        failing: NIOLockedValueBox<(number: Int, kind: ControllerStore.Write?)?>
    ) throws -> ControllerStore {
        try ControllerStore(path: config.databasePath, notificationRoutes: NotificationDeliverer.routes(config.notifications)) { kind in
            let fail = failing.withLockedValue { failing -> Bool in
                guard let (number, wanted) = failing, wanted == nil || wanted == kind else { return false }
                failing = number <= 1 ? nil : (number - 1, wanted)
                return number <= 1
            }
            if fail { throw StoreFault(kind: kind) }
            writes.withLockedValue { $0.append(kind) }
        }
    }

    private static func makeController(
        config: ControllerConfig, store: ControllerStore, backend: any DataPlaneBackend, clock: ManualClock,
        metricsProvider: MetricsProvider?, fetcher: ArtifactFetcher? = nil, logged: NIOLockedValueBox<[String]>,
        signatures: (verifier: CommitVerifier?, signer: CommitSigner?) = (nil, nil)
    ) throws -> Controller {
        let source = config.repositoryLocation.isRemote
            ? try GitSource.remote(url: config.repository, cacheDirectory: "\(config.stateDirectory)/repos") : try GitSource.open(path: config.repository)
        var environment = ControllerEnvironment(
            config: config, source: source, store: store, backend: backend, clock: clock,
            metricsProvider: metricsProvider, logger: CapturedLog.logger(into: logged))
        environment.artifactFetcher = fetcher
        (environment.verifier, environment.signer) = signatures
        return try Controller(environment: environment)
    }

    /// A controller killed and started again: a new store over the same file, a new
    /// controller over the same repository and data plane; nothing kept in memory.
    func restart() throws {
        store = try Self.open(config, writes: writes, failing: failingWrite)
        controller = try Self.makeController(
            config: config, store: store, backend: dataPlane, clock: clock, metricsProvider: metricsProvider, fetcher: artifactFetcher, logged: logged,
            signatures: signatures)
    }

    /// The controller follows `server` (a bare repository) by its `file://` URL on branch
    /// main, as the controller of a remote repository does: the fixture's commits so far are
    /// pushed there, and a fresh controller opens its cache clone over the same store.
    func followRemote(_ server: GitFixture) throws {
        try repo.git(["push", "-q", server.path, "HEAD:refs/heads/main"])
        config.repositoryLocation = .file(url: "file://" + server.path)
        config.branch = "main"
        try restart()
    }

    /// The `number`-th write from now (of `kind`, or of any kind) fails.
    func failWrite(number: Int = 1, of kind: ControllerStore.Write? = nil) {
        failingWrite.withLockedValue { $0 = (number, kind) }
    }

    // MARK: Driving

    @discardableResult
    func pass(_ trigger: Trigger = .interval) async -> ReconcileResult {
        await controller.reconcile(trigger)
    }

    /// Passes until nothing changes (at most `limit`); returns the last result.
    @discardableResult
    func settle(_ trigger: Trigger = .rolloutTick, limit: Int = 8) async -> ReconcileResult {
        var result = await pass(trigger)
        for _ in 1..<limit {
            let before = await controller.status()
            result = await pass(trigger)
            if await controller.status() == before, !result.appliedSpec { break }
        }
        return result
    }

    func execute(_ command: Controller.Command) async -> Controller.CommandOutcome {
        await controller.execute(command)
    }

    func advance(_ seconds: Double) { clock.advance(by: seconds) }

    // MARK: Reading

    func state(_ model: String = "fraud") async -> RolloutState? { await controller.status(of: model) }

    /// The event kinds of a model's history, oldest first.
    func kinds(_ model: String = "fraud") throws -> [String] { try store.history(of: model).map(\.kind.rawValue) }

    func events(_ model: String = "fraud", kind: String) throws -> [ControllerStore.HistoryEntry] {
        try store.history(of: model).filter { $0.kind.rawValue == kind }
    }

    /// The weights of a model in the spec the data plane runs.
    func weights(_ model: String = "fraud") -> [String: Int]? { backend.weights(model) }

    /// Commit subjects, newest first.
    func subjects() throws -> [String] {
        try repo.git(["log", "--format=%s"]).split(separator: "\n").map(String.init)
    }

    // MARK: Git

    /// Commits `manifests/NAME.yaml` and the artifacts it names (a small JSON per version).
    @discardableResult
    func commit(_ message: String, _ manifests: [String: String], artifacts: [String: String] = [:], remove: [String] = []) throws -> String {
        var files = artifacts
        for (name, text) in manifests { files["manifests/\(name).yaml"] = text }
        return try repo.commit(message, files: files, remove: remove)
    }
}

/// A store write made to fail by a test.
struct StoreFault: Error, CustomStringConvertible {
    var kind: ControllerStore.Write
    var description: String { "the test's store refused the \(kind) write" }
}

/// Manifest text for the tests: the fraud model with versions (name: artifact) and traffic.
enum Manifests {
    static func fraud(
        _ versions: [(String, String)] = [("v1", "a1")], traffic: [String: Int] = ["v1": 100], name: String = "fraud", extra: String = ""
    ) -> String {
        var text = "apiVersion: sluice/v1\nkind: ModelDeployment\nmetadata:\n  name: \(name)\nspec:\n  runtime: python-v2\n  versions:\n"
        for (version, artifact) in versions { text += "    - name: \(version)\n      artifact: models/\(artifact).json\n" }
        text += "  traffic: {" + traffic.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ") + "}\n"
        return text + extra
    }

    /// Artifacts `models/NAME.json` with distinct content.
    static func artifacts(_ names: String...) -> [String: String] {
        Dictionary(uniqueKeysWithValues: names.map { ("models/\($0).json", "{\"model\": \"\($0)\"}\n") })
    }

    /// `rollout:` with steps, and optionally analysis and onAbort.
    static func rollout(_ steps: [String], analysis: String? = nil, onAbort: String? = nil, extra: String = "") -> String {
        var text = "  rollout:\n    steps:\n" + steps.map { "      - \($0)\n" }.joined()
        if let analysis { text += "    analysis:\n" + analysis }
        if let onAbort { text += "    onAbort: \(onAbort)\n" }
        return text + extra
    }

    /// An error-rate analysis every `interval`.
    static func errorRate(max: Double = 0.1, interval: String = "30s", minRequests: Int = 20, limits: String = "") -> String {
        "      interval: \(interval)\n      minRequests: \(minRequests)\n\(limits)      checks:\n        - metric: error_rate\n          max: \(max)\n"
    }
}
