import Foundation

/// A scrape target serving a metrics file the test writes: Python's `http.server` (a real
/// HTTP server in a child process) on a kernel-chosen loopback port, serving
/// `GET /metrics` from a temporary directory. Prometheus reads it as text exposition.
///
/// ```swift
/// let target = try StaticMetricsTarget("model_p99_seconds{model=\"fraud\",version=\"v2\"} 0.05\n")
/// let prometheus = try await PrometheusServer(jobs: [.init(name: "models", targets: [target.address])])
/// ```
public final class StaticMetricsTarget: @unchecked Sendable {
    /// `127.0.0.1:PORT`, for a scrape config.
    public let address: String
    private let directory: URL
    private let process: Process

    /// Serves `exposition` until ``stop()`` (or deinit).
    public init(_ exposition: String) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-target-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-u", "-m", "http.server", "0", "--bind", "127.0.0.1", "--directory", directory.path]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        // "Serving HTTP on 127.0.0.1 port 40123 (http://127.0.0.1:40123/) ..."
        var text = ""
        var port: Int?
        while port == nil {
            let chunk = output.fileHandleForReading.availableData
            guard !chunk.isEmpty else { break }
            text += String(decoding: chunk, as: UTF8.self)
            if let range = text.range(of: " port ") { port = Int(text[range.upperBound...].prefix { $0.isNumber }) }
        }
        guard let port else {
            kill(process.processIdentifier, SIGKILL)
            throw FixtureError(message: "python3 -m http.server did not say its port: \(text)")
        }
        address = "127.0.0.1:\(port)"
        try write(exposition)
    }

    deinit { stop() }

    /// Replaces what `/metrics` answers (atomically: a scrape never sees half a file).
    public func write(_ exposition: String) throws {
        try exposition.write(to: directory.appendingPathComponent("metrics"), atomically: true, encoding: .utf8)
    }

    /// Ends the server and removes its directory. Idempotent.
    public func stop() {
        if process.isRunning {
            // SIGKILL: a child of the test process may inherit a mask that blocks SIGTERM.
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: directory)
    }
}
