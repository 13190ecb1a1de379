import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import SluiceServe

/// A real `moto_server` (the S3 API, and IAM, from PyPI's moto) on a kernel-chosen loopback
/// port, in its own temporary directory. It starts without authentication; call
/// ``enableAuthentication()`` once the test's IAM user exists so every later request has its
/// SigV4 signature and access key checked, as AWS does.
///
/// ```swift
/// let moto = try await MotoServer()
/// defer { moto.stop() }
/// // sign requests to moto.baseURL
/// ```
///
/// The child gets the parent-death signal (SIGKILL), so a crashed test run leaves no server behind.
public final class MotoServer: Sendable {
    /// Whether tests needing moto should run: the binary exists, or `CI` is set (so a missing
    /// binary fails the test in CI instead of skipping it).
    public static var isAvailable: Bool {
        ProcessInfo.processInfo.environment["CI"] != nil || binary != nil
    }

    /// The `moto_server` executable on PATH, if any.
    public static var binary: String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/moto_server" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash.
    public let baseURL: String
    /// The port it listens on.
    public let port: Int
    /// Holds the server's log.
    public let directory: URL
    /// Signalled and reaped only through its owner (a late kill could hit a recycled pid).
    private let child: OwnedChild

    /// Starts moto and returns once it answers (at most `timeout`). Throws ``FixtureError``
    /// with the log's tail when it does not start.
    public init(timeout: Duration = .seconds(30)) async throws {
        guard let binary = Self.binary else { throw FixtureError(message: "moto_server is not installed (pip install 'moto[server]')") }
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-moto-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let log = directory.appendingPathComponent("moto.log").path
        // The test's own AWS settings must not leak into the server; the rest (PATH, pyenv) is needed to run it.
        let environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("AWS_") && $0.key != "INITIAL_NO_AUTH_ACTION_COUNT" }
        let request = SpawnRequest(
            command: [binary, "-H", "127.0.0.1", "-p", "0"], environment: environment, workingDirectory: directory.path, logPath: log)
        let started: Int32
        do {
            started = try await ProcessSpawner.shared.spawn(request)
        } catch {
            try? FileManager.default.removeItem(at: directory)
            throw FixtureError(message: "cannot start moto_server: \(error)")
        }
        child = OwnedChild(started)
        let deadline = ContinuousClock.now + timeout
        var listening: Int?
        while true {
            listening = listening ?? Self.listeningPort(inLog: log)
            if let listening, (try? await Self.request(.GET, "http://127.0.0.1:\(listening)/moto-api/data.json")) == 200 { break }
            let exited = child.tryReap() != nil
            if exited || ContinuousClock.now > deadline {
                child.signal(SIGKILL)
                let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
                throw FixtureError(message: "moto_server \(exited ? "exited" : "timed out") before answering; log tail:\n\(text.suffix(2000))")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        port = listening ?? 0
        baseURL = "http://127.0.0.1:\(port)"
    }

    deinit { stop() }

    /// From now on moto checks every request's access key and signature
    /// (`POST /moto-api/reset-auth` with 0 unauthenticated requests left).
    public func enableAuthentication() async throws {
        let status = try await Self.request(.POST, "\(baseURL)/moto-api/reset-auth", body: "0")
        guard status == 200 else { throw FixtureError(message: "moto: reset-auth answered \(status)") }
    }

    /// Ends the process with SIGKILL (reaped in the background) and removes the directory. Idempotent.
    public func stop() {
        defer { try? FileManager.default.removeItem(at: directory) }
        guard child.signal(SIGKILL) else { return }
        Task.detached { [child] in
            for _ in 0..<100 where child.tryReap() == nil {
                try? await Task.sleep(for: .milliseconds(50))
            }
        }
    }

    /// The log so far, for a failing test's message.
    public func log() -> String {
        (try? String(contentsOf: directory.appendingPathComponent("moto.log"), encoding: .utf8)) ?? ""
    }

    /// The port of werkzeug's ` * Running on http://127.0.0.1:PORT` line, once written.
    private static func listeningPort(inLog path: String) -> Int? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8),
              let range = text.range(of: "Running on http://127.0.0.1:") else { return nil }
        return Int(text[range.upperBound...].prefix { $0.isNumber })
    }

    private static func request(_ method: HTTPMethod, _ url: String, body: String? = nil) async throws -> UInt {
        var request = HTTPClientRequest(url: url)
        request.method = method
        if let body { request.body = .bytes(ByteBuffer(string: body)) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(5))
        _ = try await response.body.collect(upTo: 16 << 20)
        return response.status.code
    }
}
