import Foundation
import SluiceKubernetes
import SluiceTestSupport
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Real `sluice controller` processes whose backend is a cluster: the loopback **fake** API
/// server of SluiceTestSupport (no real cluster runs here), reached over TLS with the
/// kubeconfig it writes. Each replica has its own state directory and API port; all follow
/// one manifest repository.
final class ClusterControllerHarness: @unchecked Sendable {
    let directory: URL
    let repo: GitFixture
    let server: FakeKubernetesAPIServer
    let basePort: Int
    let token = "controller-token-\(UInt32.random(in: 0 ... .max))"
    private var processes: [Int: SpawnedProcess] = [:]

    /// - Parameter kserve: the `kserve` driver with the payload-logger collector on replica 0's
    ///   API port, instead of `gateway-api`.
    init(server: FakeKubernetesAPIServer, leaseSeconds: Int = 4, kserve: Bool = false) throws {
        self.server = server
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-cluster-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        repo = try GitFixture()
        basePort = freePortBlock(in: 27000..<32700, size: 100)
        try token.write(to: directory.appendingPathComponent("controller-token"), atomically: true, encoding: .utf8)
        chmod(directory.appendingPathComponent("controller-token").path, 0o600)
        try server.writeKubeconfig(to: directory.appendingPathComponent("kubeconfig").path, namespace: "models")
        chmod(directory.appendingPathComponent("kubeconfig").path, 0o600)
        for replica in 0..<2 {
            let config = """
                backend:
                  kind: kubernetes
                  namespace: models
                  \(kserve ? "driver: kserve\n  collectorURL: http://127.0.0.1:\(basePort)/v1/collector/kserve" : "driver: gateway-api\n  gateway: {name: inference, namespace: gateways}")
                  kubeconfig: kubeconfig
                  leaderElection:
                    leaseName: sluice-controller
                    leaseDuration: \(leaseSeconds)s
                    renewDeadline: \(max(1, leaseSeconds * 2 / 3))s
                    retryPeriod: 1s
                runtimes:
                  python-v2:
                    kubernetes:
                      image: seldonio/mlserver:1.7.1
                      args: [mlserver, start, "/models/{model}"]
                      port: 8080
                    kserve: {modelFormat: sklearn, runtime: kserve-mlserver, protocolVersion: v2}
                controller:
                  repository: \(repo.path)
                  path: manifests
                  interval: 2s
                  listen: 127.0.0.1:\(basePort + replica)
                  tokenFile: controller-token
                  stateDirectory: state-\(replica)/controller

                """
            try config.write(to: directory.appendingPathComponent("sluice-\(replica).yaml"), atomically: true, encoding: .utf8)
        }
    }

    deinit {
        for process in processes.values where process.isRunning { process.signal(SIGKILL) }
        try? FileManager.default.removeItem(at: directory)
        try? FileManager.default.removeItem(at: repo.url)
        releasePortBlock(basePort)
    }

    /// A manifest of `fraud` whose versions' artifacts are URIs.
    static func fraud(_ versions: [String], traffic: [String: Int], rollout: String = "") -> String {
        var text = "apiVersion: sluice/v1\nkind: ModelDeployment\nmetadata:\n  name: fraud\nspec:\n  runtime: python-v2\n  versions:\n"
        for version in versions { text += "    - name: \(version)\n      artifact: s3://models/fraud/\(version)/\n" }
        text += "  traffic: {" + traffic.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ") + "}\n"
        return text + rollout
    }

    /// Starts replica `replica` (0 or 1) of `sluice controller`.
    func start(_ replica: Int) throws {
        let process = SpawnedProcess()
        process.executableURL = SluiceBinary.url
        process.arguments = ["controller", "--config", directory.appendingPathComponent("sluice-\(replica).yaml").path]
        process.currentDirectoryURL = directory
        let log = directory.appendingPathComponent("controller-\(replica).log")
        if !FileManager.default.fileExists(atPath: log.path) { _ = FileManager.default.createFile(atPath: log.path, contents: nil) }
        let handle = try FileHandle(forWritingTo: log)
        handle.seekToEndOfFile()
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        processes[replica] = process
    }

    /// Kills replica `replica` with SIGKILL (no lease release, no final pass).
    func kill9(_ replica: Int) {
        guard let process = processes.removeValue(forKey: replica) else { return }
        process.signal(SIGKILL)
    }

    func log(_ replica: Int) -> String {
        (try? String(contentsOf: directory.appendingPathComponent("controller-\(replica).log"), encoding: .utf8)) ?? ""
    }

    /// `path` on replica `replica`'s API.
    func url(_ replica: Int, _ path: String) throws -> URL {
        guard let url = URL(string: "http://127.0.0.1:\(basePort + replica)\(path)") else { throw HarnessError("not a URL path: \(path)") }
        return url
    }

    /// The HTTP status and JSON body of `GET path` on replica `replica`'s API.
    func get(_ replica: Int, _ path: String) async throws -> (Int, [String: Any]) {
        var request = URLRequest(url: try url(replica, path))
        request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        let (data, response) = try await ServeHarness.data(for: request)
        let body = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, body)
    }

    /// `POST /v1/models/fraud/{command}` on replica `replica`.
    func command(_ replica: Int, _ command: String, query: String = "") async throws -> Int {
        var request = URLRequest(url: try url(replica, "/v1/models/fraud/\(command)\(query)"))
        request.httpMethod = "POST"
        request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        let (data, response) = try await ServeHarness.data(for: request)
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        if status != 200 { print("\(command) on replica \(replica): \(status) \(String(decoding: data, as: UTF8.self))") }
        return status
    }

    /// `POST path` on replica `replica` with `headers` and `body`, no token; returns the status.
    func post(_ replica: Int, _ path: String, headers: [String: String], body: String) async throws -> Int {
        var request = URLRequest(url: try url(replica, path))
        request.httpMethod = "POST"
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        request.httpBody = Data(body.utf8)
        let (_, response) = try await ServeHarness.data(for: request)
        return (response as? HTTPURLResponse)?.statusCode ?? 0
    }

    /// `GET /metrics` of replica `replica`, as text.
    func metrics(_ replica: Int) async throws -> String {
        let request = URLRequest(url: try url(replica, "/metrics"))
        let (data, _) = try await ServeHarness.data(for: request)
        return String(decoding: data, as: UTF8.self)
    }

    /// Whether replica `replica` says it is the leader.
    func isLeader(_ replica: Int) async -> Bool {
        (try? await get(replica, "/v1/leader").0) == 200
    }

    /// The weights, by version, of fraud's HTTPRoute as the fake API server holds it.
    func routeWeights() -> [String: Int]? {
        server.routeWeights(model: "fraud", namespace: "models")
    }

    func waitUntil(_ what: String, seconds: Double = 60, _ condition: () async throws -> Bool) async throws {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if (try? await condition()) == true { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw HarnessError("timed out waiting for \(what)\nreplica 0:\n\(log(0).suffix(2500))\nreplica 1:\n\(log(1).suffix(2500))")
    }
}
