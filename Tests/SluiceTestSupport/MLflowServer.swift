import AsyncHTTPClient
import Foundation
import SluiceServe

/// A real `mlflow server` (from the venv scripts/setup-python-peers.sh makes under
/// `.build/python-peers`) on a loopback port, with its own temporary directory: a SQLite
/// backend store and a local artifact store served through MLflow's artifact proxy
/// (`--artifacts-destination`, `mlflow-artifacts:/` URIs).
///
/// ```swift
/// let mlflow = try await MLflowServer()
/// defer { mlflow.stop() }
/// _ = try await mlflow.fixture(["register", mlflow.baseURL, "iris"])
/// ```
///
/// `init` returns once `/health` answers 200. `stop()` (or deinit) kills the server's whole
/// process group (mlflow starts uvicorn as a child) with SIGKILL and removes the directory.
public final class MLflowServer: Sendable {
    /// `http://127.0.0.1:PORT`, without a trailing slash.
    public let baseURL: String
    /// The port the server listens on.
    public let port: Int
    /// The temporary directory: `mlflow.db`, `artifacts/` and `mlflow.log`.
    public let directory: URL
    /// The artifact store behind the proxy (`--artifacts-destination`).
    public var artifactsDirectory: URL { directory.appendingPathComponent("artifacts") }
    /// Signalled and reaped only through its owner (a late kill could hit a recycled pid).
    private let child: OwnedChild

    /// The package's root directory (this file is Tests/SluiceTestSupport/MLflowServer.swift).
    public static var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// The venv of the Python peers.
    public static var venv: URL { packageRoot.appendingPathComponent(".build/python-peers") }

    /// The venv's python.
    public static var python: URL { venv.appendingPathComponent("bin/python") }

    /// Whether the MLflow tests should run: the venv has mlflow, or `SLUICE_REQUIRE_PEERS` is
    /// set (then a missing venv fails the tests instead of skipping them). Use with
    /// `.enabled(if: MLflowServer.isAvailable, "needs mlflow …")`.
    public static var isAvailable: Bool {
        ProcessInfo.processInfo.environment["SLUICE_REQUIRE_PEERS"] != nil
            || FileManager.default.isExecutableFile(atPath: venv.appendingPathComponent("bin/mlflow").path)
    }

    /// The environment of every Python peer: no telemetry (only loopback may be a target of
    /// any traffic), no git probing, no progress bars.
    public static var environment: [String: String] {
        [
            "PATH": "\(venv.path)/bin:/usr/bin:/bin",
            "HOME": FileManager.default.temporaryDirectory.path,
            "MLFLOW_DISABLE_TELEMETRY": "true",
            "DO_NOT_TRACK": "true",
            "GIT_PYTHON_REFRESH": "quiet",
            "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false",
            // No background job runner (seven huey consumers): the tests need none of its jobs.
            "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false",
            "NO_PROXY": "*",
        ]
    }

    /// Starts the server and waits until it answers (at most `timeout`; mlflow's imports take
    /// seconds on a loaded machine). Throws ``FixtureError`` with the log's tail otherwise.
    public init(timeout: Duration = .seconds(180)) async throws {
        let executable = Self.venv.appendingPathComponent("bin/mlflow").path
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw FixtureError(message: "mlflow is not installed in \(Self.venv.path) (scripts/setup-python-peers.sh installs it)")
        }
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-mlflow-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("artifacts"), withIntermediateDirectories: true)
        let logFile = directory.appendingPathComponent("mlflow.log").path
        // The port is free when chosen but not reserved: another test's listener or an
        // outgoing connection may take it before mlflow binds, so a lost race starts over.
        var attempt = 1
        while true {
            let candidate = try Self.freeLoopbackPort()
            let started = try await Self.spawn(executable, port: candidate, directory: directory, logFile: logFile)
            do {
                try await Self.waitUntilReady(url: "http://127.0.0.1:\(candidate)/health", child: started, log: logFile, timeout: timeout, name: "mlflow")
                port = candidate
                child = started
                break
            } catch let error as FixtureError where attempt < 3 && error.message.contains("address already in use") {
                attempt += 1
            } catch {
                try? FileManager.default.removeItem(at: directory)
                throw error
            }
        }
        baseURL = "http://127.0.0.1:\(port)"
    }

    /// Starts `mlflow server` on `port`, its output appended to `logFile`.
    private static func spawn(_ executable: String, port: Int, directory: URL, logFile: String) async throws -> OwnedChild {
        let command = [
            executable, "server", "--host", "127.0.0.1", "--port", String(port), "--workers", "1",
            "--backend-store-uri", "sqlite:///\(directory.path)/mlflow.db",
            "--artifacts-destination", directory.appendingPathComponent("artifacts").path,
        ]
        // A fresh log per attempt, so a failure names this attempt's cause.
        try? FileManager.default.removeItem(atPath: logFile)
        do {
            return OwnedChild(try await ProcessSpawner.shared.spawn(
                SpawnRequest(command: command, environment: environment, workingDirectory: directory.path, logPath: logFile)))
        } catch {
            try? FileManager.default.removeItem(at: directory)
            throw FixtureError(message: "cannot start mlflow: \(error)")
        }
    }

    deinit { stop() }

    /// Kills the process group (SIGKILL) and removes the directory. Idempotent.
    public func stop() {
        defer { try? FileManager.default.removeItem(at: directory) }
        // No graceful shutdown: waiting for one would hold a thread of the cooperative pool.
        child.killGroupAndReap()
    }

    /// The server's log so far, for a failing test's message.
    public func log() -> String {
        (try? String(contentsOf: directory.appendingPathComponent("mlflow.log"), encoding: .utf8)) ?? ""
    }

    /// Runs Tests/SluiceArtifactsTests/Fixtures/mlflow_fixture.py with the venv's python and
    /// returns its last line of output (its JSON answer); throws with the output on failure.
    public func fixture(_ arguments: [String]) async throws -> String {
        let script = Self.packageRoot.appendingPathComponent("Tests/SluiceArtifactsTests/Fixtures/mlflow_fixture.py").path
        let result = try await Self.runPython([script] + arguments, in: directory)
        guard result.status == 0, let last = result.output.split(separator: "\n").last(where: { $0.hasPrefix("{") }) else {
            throw FixtureError(message: "mlflow_fixture.py \(arguments.first ?? "") failed (\(result.status)):\n\(result.output.suffix(3000))")
        }
        return String(last)
    }

    /// Runs the venv's python with `arguments` and the peers' environment.
    public static func runPython(_ arguments: [String], in directory: URL) async throws -> ChildProcess.Result {
        // ChildProcess inherits this process's environment; `env -i` gives the peers theirs.
        let environment = Self.environment.map { "\($0.key)=\($0.value)" }.sorted()
        return try await ChildProcess.run(
            URL(fileURLWithPath: "/usr/bin/env"), ["-i"] + environment + [python.path] + arguments, in: directory)
    }

    // MARK: - Helpers shared with MLflowAuthProxy

    /// A loopback port that is free now (the kernel's choice, then released for the server).
    static func freeLoopbackPort() throws -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, length) == 0 && getsockname(descriptor, $0, &length) == 0
            }
        }
        guard bound else { throw FixtureError(message: "cannot find a free loopback port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Polls `url` until it answers 200; throws (after killing the process) when it exited or
    /// `timeout` passed.
    static func waitUntilReady(url: String, child: OwnedChild, log: String, timeout: Duration, name: String) async throws {
        let deadline = ContinuousClock.now + timeout
        while true {
            if (try? await probe(url)) == 200 { return }
            // An exited server's helpers are killed before its reap frees the group id.
            let exited = child.tryReap(killingGroup: true) != nil
            if exited || ContinuousClock.now > deadline {
                if !exited { child.killGroupAndReap() }
                let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
                let tail = text.split(separator: "\n").suffix(20).joined(separator: "\n")
                throw FixtureError(message: "\(name) \(exited ? "exited" : "timed out") before \(url) answered; log tail:\n\(tail)")
            }
            try await Task.sleep(for: .milliseconds(250))
        }
    }

    private static func probe(_ url: String) async throws -> UInt {
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        do {
            let response = try await client.execute(HTTPClientRequest(url: url), timeout: .seconds(2))
            _ = try await response.body.collect(upTo: 1 << 20)
            try await client.shutdown()
            return response.status.code
        } catch {
            try? await client.shutdown()
            throw error
        }
    }
}

/// Tests/SluiceArtifactsTests/Fixtures/mlflow_auth_proxy.py in front of an ``MLflowServer``:
/// forwards requests whose `Authorization` is `Bearer <first line of tokenFile>` (read per
/// request), answers 401 to others, and records what it saw in `tokenFile.seen`.
public final class MLflowAuthProxy: Sendable {
    /// `http://127.0.0.1:PORT`.
    public let baseURL: String
    /// Signalled and reaped only through its owner (a late kill could hit a recycled pid).
    private let child: OwnedChild
    private let logFile: String

    /// Starts the proxy for `server`, checking tokens against `tokenFile`.
    public init(server: MLflowServer, tokenFile: String, timeout: Duration = .seconds(60)) async throws {
        let port = try MLflowServer.freeLoopbackPort()
        baseURL = "http://127.0.0.1:\(port)"
        let script = MLflowServer.packageRoot.appendingPathComponent("Tests/SluiceArtifactsTests/Fixtures/mlflow_auth_proxy.py").path
        logFile = server.directory.appendingPathComponent("proxy-\(port).log").path
        let started: Int32
        do {
            started = try await ProcessSpawner.shared.spawn(SpawnRequest(
                command: [MLflowServer.python.path, script, String(port), String(server.port), tokenFile],
                environment: MLflowServer.environment, workingDirectory: server.directory.path, logPath: logFile))
        } catch {
            throw FixtureError(message: "cannot start the auth proxy: \(error)")
        }
        child = OwnedChild(started)
        // Unauthenticated, the proxy answers 401: any answer means it listens.
        let deadline = ContinuousClock.now + timeout
        while true {
            if LoopbackPort.accepts(port) { return }
            if child.tryReap(killingGroup: true) != nil || ContinuousClock.now > deadline {
                stop()
                throw FixtureError(message: "the auth proxy did not start: \((try? String(contentsOfFile: logFile, encoding: .utf8)) ?? "")")
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    deinit { stop() }

    /// Kills the proxy (SIGKILL). Idempotent.
    public func stop() {
        child.killGroupAndReap()
    }
}
