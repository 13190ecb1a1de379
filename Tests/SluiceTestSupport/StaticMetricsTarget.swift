import Foundation

/// A scrape target serving a metrics file the test writes: Python's `http.server` (a real
/// HTTP server in a child process) on a kernel-chosen loopback port, serving
/// `GET /metrics` from a temporary directory. Prometheus reads it as text exposition.
///
/// ```swift
/// let target = try await StaticMetricsTarget("model_p99_seconds{model=\"fraud\",version=\"v2\"} 0.05\n")
/// let prometheus = try await PrometheusServer(jobs: [.init(name: "models", targets: [target.address])])
/// ```
public final class StaticMetricsTarget: @unchecked Sendable {
    /// `127.0.0.1:PORT`, for a scrape config.
    public let address: String
    private let directory: URL
    private let process: SpawnedProcess

    /// Serves `exposition` until ``stop()`` (or deinit). Waits for the server's port without
    /// blocking a thread of the cooperative pool.
    public init(_ exposition: String) async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-target-\(UUID().uuidString)")
        let served = directory.appendingPathComponent("served")
        try FileManager.default.createDirectory(at: served, withIntermediateDirectories: true)
        let log = directory.appendingPathComponent("server.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        process = SpawnedProcess()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-u", "-m", "http.server", "0", "--bind", "127.0.0.1", "--directory", served.path]
        process.standardOutput = try FileHandle(forWritingTo: log)
        process.standardError = try FileHandle(forWritingTo: log)
        try process.run()
        // "Serving HTTP on 127.0.0.1 port 40123 (http://127.0.0.1:40123/) ..."
        var port: Int?
        for _ in 0..<500 where port == nil {
            let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            if let range = text.range(of: " port ") { port = Int(text[range.upperBound...].prefix { $0.isNumber }) }
            if port == nil { try await Task.sleep(for: .milliseconds(20)) }
        }
        guard let port else {
            process.signal(SIGKILL)
            throw FixtureError(message: "python3 -m http.server did not say its port within 10 s")
        }
        address = "127.0.0.1:\(port)"
        try write(exposition)
    }

    deinit { stop() }

    /// Replaces what `/metrics` answers (atomically: a scrape never sees half a file).
    public func write(_ exposition: String) throws {
        try exposition.write(to: directory.appendingPathComponent("served/metrics"), atomically: true, encoding: .utf8)
    }

    /// Ends the server and removes its directory. Idempotent.
    public func stop() {
        if process.isRunning {
            // SIGKILL: a child of the test process may inherit a mask that blocks SIGTERM.
            process.signal(SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: directory)
    }
}
