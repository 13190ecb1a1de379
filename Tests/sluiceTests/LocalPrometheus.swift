import Foundation
import SluiceTestSupport
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A real Prometheus on a free loopback port with its own temporary directory (config, TSDB,
/// log), stopped and removed when the value goes away.
final class LocalPrometheus: @unchecked Sendable {
    let directory: URL
    let port: Int
    private var process: SpawnedProcess?

    /// Writes `config` as prometheus.yml; `openMetrics`, when given, is backfilled into the TSDB
    /// with `promtool tsdb create-blocks-from openmetrics` before the server starts.
    init(config: String, openMetrics: String? = nil) async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-example-prometheus-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        // Below Linux's ephemeral range (32768-60999), where outgoing connections take ports,
        // and apart from the harnesses' ranges (20000-32700).
        port = freePortBlock(in: 12000..<15900, size: 1)
        try config.write(to: directory.appendingPathComponent("prometheus.yml"), atomically: true, encoding: .utf8)
        if let openMetrics {
            let promtool = try PrometheusTools.require(PrometheusTools.promtool, "promtool")
            try openMetrics.write(to: directory.appendingPathComponent("backfill.om"), atomically: true, encoding: .utf8)
            let backfill = try await PrometheusTools.run(promtool, ["tsdb", "create-blocks-from", "openmetrics", "backfill.om", "data"], in: directory)
            guard backfill.status == 0 else { throw HarnessError("promtool could not backfill the TSDB:\n\(backfill.output)") }
        }
    }

    deinit {
        stop()
        releasePortBlock(port)
        try? FileManager.default.removeItem(at: directory)
    }

    var baseURL: URL { URL(string: "http://127.0.0.1:\(port)") ?? URL(fileURLWithPath: "/") }

    var log: String { (try? String(contentsOf: directory.appendingPathComponent("prometheus.log"), encoding: .utf8)) ?? "" }

    /// Starts the server and waits until `/-/ready` answers 200.
    func start() async throws {
        let binary = try PrometheusTools.require(PrometheusTools.prometheus, "prometheus")
        let logURL = directory.appendingPathComponent("prometheus.log")
        _ = FileManager.default.createFile(atPath: logURL.path, contents: nil)
        let process = SpawnedProcess()
        process.executableURL = binary
        process.arguments = [
            "--config.file=\(directory.appendingPathComponent("prometheus.yml").path)",
            "--storage.tsdb.path=\(directory.appendingPathComponent("data").path)",
            "--web.listen-address=127.0.0.1:\(port)",
        ]
        process.currentDirectoryURL = directory
        let handle = try FileHandle(forWritingTo: logURL)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        try handle.close()
        self.process = process
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline {
            guard process.isRunning else { throw HarnessError("prometheus exited at start:\n\(log)") }
            if let (_, status) = try? await get("/-/ready"), status == 200 { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw HarnessError("prometheus was not ready within 120 s:\n\(log)")
    }

    /// SIGKILL at once, without a wait: any wait here (in a `defer` or a deinit) would hold a
    /// thread of the tests' cooperative pool.
    func stop() {
        guard let process else { return }
        self.process = nil
        process.signal(SIGKILL)
    }

    /// The body and status of a GET of `path` (with its query string).
    func get(_ path: String) async throws -> (Data, Int) {
        guard let url = URL(string: path, relativeTo: baseURL) else { throw HarnessError("not a URL path: \(path)") }
        return try await send(URLRequest(url: url))
    }

    /// An instant query through `POST /api/v1/query`: the HTTP status and the decoded body.
    func query(_ expression: String, at time: Int) async throws -> (status: Int, body: [String: Any]) {
        var request = URLRequest(url: baseURL.appendingPathComponent("api/v1/query"))
        request.httpMethod = "POST"
        request.setValue("application/x-www-form-urlencoded", forHTTPHeaderField: "Content-Type")
        request.httpBody = Data("query=\(Self.formEncoded(expression))&time=\(time)".utf8)
        let (data, status) = try await send(request)
        return (status, (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:])
    }

    /// Percent-encodes everything but unreserved characters (a bare `+` would read as a space).
    private static func formEncoded(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~")) ?? ""
    }

    private func send(_ request: URLRequest) async throws -> (Data, Int) {
        // Detached: cancelling a task inside FoundationNetworking can deadlock it on Linux.
        let (data, response) = try await Task.detached { try await Self.session.data(for: request) }.value
        return (data, (response as? HTTPURLResponse)?.statusCode ?? 0)
    }

    private static let session: URLSession = {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = 30
        return URLSession(configuration: configuration)
    }()
}
