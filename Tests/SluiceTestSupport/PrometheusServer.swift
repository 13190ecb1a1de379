import AsyncHTTPClient
import Foundation
import NIOHTTP1
import NIOSSL
import SluiceServe

/// A real `prometheus` process on a free loopback port, with its own temporary directory
/// (config, TSDB, log), scraping the given targets every second.
///
/// ```swift
/// let prometheus = try await PrometheusServer(jobs: [.init(name: "serve", targets: ["127.0.0.1:\(adminPort)"])])
/// defer { prometheus.stop() }
/// // query prometheus.baseURL + "/api/v1/query"
/// ```
///
/// The port is chosen by the kernel (`--web.listen-address=127.0.0.1:0`) and read from the
/// log, so two servers never race for one. `init` returns once `/-/ready` answers 200.
/// `stop()` (or deinit) ends the process and removes the directory. The process gets the
/// parent-death signal, so a crashed test run leaves no Prometheus behind.
public final class PrometheusServer: Sendable {
    /// One `scrape_configs` entry.
    public struct ScrapeJob: Sendable {
        /// The `job` label.
        public var name: String
        /// `host:port` of each target.
        public var targets: [String]
        /// The path scraped on each target.
        public var metricsPath: String
        /// `http` or `https`.
        public var scheme: String

        /// A job scraping `targets` at `metricsPath`.
        public init(name: String, targets: [String], metricsPath: String = "/metrics", scheme: String = "http") {
            self.name = name
            self.targets = targets
            self.metricsPath = metricsPath
            self.scheme = scheme
        }
    }

    /// Serves HTTPS (`--web.config.file` with `tls_server_config`) with this certificate.
    public struct TLS: Sendable {
        /// PEM certificate (chain) of the server; should name `127.0.0.1` (an IP SAN).
        public var certificateFile: String
        /// PEM private key of the server.
        public var keyFile: String

        /// The server's certificate and key files.
        public init(certificateFile: String, keyFile: String) {
            self.certificateFile = certificateFile
            self.keyFile = keyFile
        }
    }

    /// Whether tests needing Prometheus should run: the binary exists, or `CI` is set (so a
    /// missing binary fails the test in CI instead of skipping it). Use with
    /// `.enabled(if: PrometheusServer.isAvailable, "needs prometheus")`.
    public static var isAvailable: Bool {
        ProcessInfo.processInfo.environment["CI"] != nil || binary != nil
    }

    /// The `prometheus` executable on PATH (or /usr/bin), if any.
    public static var binary: String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return (path.split(separator: ":").map(String.init) + ["/usr/bin"])
            .map { "\($0)/prometheus" }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// `http://127.0.0.1:PORT` (or `https://…` with TLS; `…/PREFIX` with a route prefix),
    /// without a trailing slash.
    public let baseURL: String
    /// The port Prometheus listens on.
    public let port: Int
    /// The temporary directory holding `prometheus.yml`, `data/` and `prometheus.log`.
    public let directory: URL
    /// Signalled and reaped only through its owner (a late kill could hit a recycled pid).
    private let child: OwnedChild

    /// Starts Prometheus scraping `jobs` (and itself as job `prometheus` when `scrapeSelf`;
    /// not with `tls` or `routePrefix`) every second, and waits until it is ready (at most
    /// `timeout`). `routePrefix` (`/prom`) serves everything under that path, as behind a
    /// reverse proxy. Throws ``FixtureError`` with the log's tail when it does not start.
    public init(
        jobs: [ScrapeJob] = [], scrapeSelf: Bool = false, tls: TLS? = nil, routePrefix: String? = nil, timeout: Duration = .seconds(30)
    ) async throws {
        guard let binary = Self.binary else { throw FixtureError(message: "prometheus is not installed (scripts/setup.sh installs it)") }
        guard !scrapeSelf || (tls == nil && routePrefix == nil) else {
            throw FixtureError(message: "PrometheusServer: scrapeSelf needs plain HTTP without a route prefix")
        }
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-prometheus-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let configFile = directory.appendingPathComponent("prometheus.yml")
        try Self.config(jobs).write(to: configFile, atomically: true, encoding: .utf8)
        var command = [
            binary, "--config.file=\(configFile.path)", "--storage.tsdb.path=\(directory.appendingPathComponent("data").path)",
            "--web.listen-address=127.0.0.1:0", "--web.enable-lifecycle",
        ]
        if let routePrefix { command.append("--web.route-prefix=\(routePrefix)") }
        if let tls {
            let webConfig = directory.appendingPathComponent("web.yml")
            try "tls_server_config:\n  cert_file: \(Self.quoted(tls.certificateFile))\n  key_file: \(Self.quoted(tls.keyFile))\n"
                .write(to: webConfig, atomically: true, encoding: .utf8)
            command.append("--web.config.file=\(webConfig.path)")
        }
        let logFile = directory.appendingPathComponent("prometheus.log").path
        let request = SpawnRequest(
            command: command, environment: ["PATH": "/usr/bin:/bin"], workingDirectory: directory.path, logPath: logFile)
        let started: Int32
        do {
            started = try await ProcessSpawner.shared.spawn(request)
        } catch {
            try? FileManager.default.removeItem(at: directory)
            throw FixtureError(message: "cannot start prometheus: \(error)")
        }
        child = OwnedChild(started)
        let deadline = ContinuousClock.now + timeout
        var listening: Int?
        while listening == nil {
            listening = Self.listeningPort(inLog: logFile)
            if listening == nil { try await Self.checkAlive(child, log: logFile, deadline: deadline, waiting: "its port") }
        }
        port = listening ?? 0
        baseURL = "\(tls == nil ? "http" : "https")://127.0.0.1:\(port)\(routePrefix ?? "")"
        try await waitUntilReady(log: logFile, deadline: deadline)
        if scrapeSelf {
            try Self.config(jobs + [ScrapeJob(name: "prometheus", targets: ["127.0.0.1:\(port)"])])
                .write(to: configFile, atomically: true, encoding: .utf8)
            let status = try await Self.request(.POST, "\(baseURL)/-/reload")
            guard status == 200 else {
                stop()
                throw FixtureError(message: "prometheus: reloading the config answered \(status)")
            }
        }
    }

    deinit { stop() }

    /// Ends the process (SIGKILL) and removes the directory. Idempotent.
    public func stop() {
        defer { try? FileManager.default.removeItem(at: directory) }
        // SIGKILL at once: a test's fixture needs no graceful shutdown, and waiting for one
        // would hold a thread of the cooperative pool (two on these machines) for seconds.
        guard child.signal(SIGKILL) else { return }
        child.waitAndReap()
    }

    /// The log so far (stdout and stderr), for a failing test's message.
    public func log() -> String {
        (try? String(contentsOf: directory.appendingPathComponent("prometheus.log"), encoding: .utf8)) ?? ""
    }

    // MARK: - Starting

    private func waitUntilReady(log: String, deadline: ContinuousClock.Instant) async throws {
        while true {
            if (try? await Self.request(.GET, "\(baseURL)/-/ready")) == 200 { return }
            try await Self.checkAlive(child, log: log, deadline: deadline, waiting: "/-/ready")
        }
    }

    /// Throws (after ending the process) when it exited or the deadline passed; else sleeps a little.
    private static func checkAlive(
        _ child: OwnedChild, log: String, deadline: ContinuousClock.Instant, waiting: String
    ) async throws {
        let exited = child.tryReap() != nil
        if exited || ContinuousClock.now > deadline {
            if !exited { child.killGroupAndReap() }
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            let tail = text.split(separator: "\n").suffix(15).joined(separator: "\n")
            throw FixtureError(message: "prometheus \(exited ? "exited" : "timed out") while waiting for \(waiting); log tail:\n\(tail)")
        }
        try await Task.sleep(for: .milliseconds(20))
    }

    /// The port of `msg="Listening on" address=127.0.0.1:PORT` in the log, once written.
    private static func listeningPort(inLog path: String) -> Int? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.contains("msg=\"Listening on\"") {
            guard let range = line.range(of: "address=127.0.0.1:") else { continue }
            return Int(line[range.upperBound...].prefix { $0.isNumber })
        }
        return nil
    }

    /// One request with a short timeout; the certificate is not checked (this is only the probe).
    private static func request(_ method: HTTPMethod, _ url: String) async throws -> UInt {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.certificateVerification = .none
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(tlsConfiguration: tls))
        do {
            var request = HTTPClientRequest(url: url)
            request.method = method
            let response = try await client.execute(request, timeout: .seconds(2))
            _ = try await response.body.collect(upTo: 1 << 20)
            try await client.shutdown()
            return response.status.code
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    private static func config(_ jobs: [ScrapeJob]) -> String {
        var text = "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n"
        if jobs.isEmpty { text = "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs: []\n" }
        for job in jobs {
            text += "  - job_name: \(quoted(job.name))\n    scheme: \(quoted(job.scheme))\n    metrics_path: \(quoted(job.metricsPath))\n"
            text += "    static_configs:\n      - targets: [\(job.targets.map(quoted).joined(separator: ", "))]\n"
        }
        return text
    }

    /// A YAML double-quoted scalar (JSON string syntax is valid YAML).
    private static func quoted(_ value: String) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .withoutEscapingSlashes
        let data = (try? encoder.encode(value)) ?? Data("\"\"".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
