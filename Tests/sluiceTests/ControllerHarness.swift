import Foundation
import SluiceTestSupport
import Testing
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A manifest repository, a real `sluice serve` and a real `sluice controller` (separate
/// processes, so the controller can be killed alone), with the example model server.
final class ControllerHarness: @unchecked Sendable {
    let directory: URL
    let repo: GitFixture
    let servePort: Int
    let adminPort: Int
    let controllerPort: Int
    let token = "controller-token-\(UInt32.random(in: 0 ... .max))"
    let webhookSecret = "hook-secret"
    private(set) var serve: SpawnedProcess?
    private(set) var controller: SpawnedProcess?

    /// - Parameters:
    ///   - serveExtra, controllerExtra: more lines for the `serve:` and `controller:`
    ///     sections, indented by two spaces.
    ///   - adminListen: the data plane's admin listener (default: TCP on `adminPort`).
    ///   - runtimeCommand, runtimeEnv: replace the `python-v2` runtime's command and env.
    ///   - runtimesExtra: more runtimes, indented by two spaces.
    ///   - existing: a directory with `state/` and `repo/` left by an earlier run (a fixture),
    ///     instead of new ones.
    init(
        interval: String = "30s", serveExtra: String = "", controllerExtra: String = "", adminListen: String? = nil,
        runtimeCommand: String? = nil, runtimeEnv: String = "{}", runtimesExtra: String = "", existing: URL? = nil
    ) throws {
        directory = existing ?? FileManager.default.temporaryDirectory.appendingPathComponent("sluice-controller-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        repo = try existing.map { GitFixture(existing: $0.appendingPathComponent("repo")) } ?? GitFixture()
        let base = freePortBlock(in: 27000..<32700, size: 100)
        servePort = base
        adminPort = base + 1
        controllerPort = base + 2
        try token.write(to: directory.appendingPathComponent("controller-token"), atomically: true, encoding: .utf8)
        try webhookSecret.write(to: directory.appendingPathComponent("webhook-secret"), atomically: true, encoding: .utf8)
        // Secrets must be owner-only, or sluice refuses them.
        for name in ["controller-token", "webhook-secret"] { chmod(directory.appendingPathComponent(name).path, 0o600) }
        let models = SluiceBinary.packageRoot.appendingPathComponent("examples/models")
        for name in ["fraud-v2.1.json", "fraud-v2.2.json", "fraud-bad.json"] where existing == nil {
            try repo.write("models/\(name)", try String(contentsOf: models.appendingPathComponent(name), encoding: .utf8))
        }
        let config = """
            serve:
              listen: 127.0.0.1:\(servePort)
              admin:
                listen: \(adminListen ?? "127.0.0.1:\(adminPort)")
              stateDirectory: state/serve
              artifactRoot: state
              ports: \(base + 10)-\(base + 99)
              drainTimeout: 2s
              stopTimeout: 2s
            \(serveExtra)
            runtimes:
              python-v2:
                command: \(runtimeCommand ?? "[python3, \(ServeHarness.server), --model-file, \"{artifact}\", --port, \"{port}\", --name, \"{model}\", --version, \"{version}\"]")
                env: \(runtimeEnv)
                # Generous: twenty model servers may start at once on a loaded 2-core machine;
                # a passing test never waits for this.
                startTimeout: 120s
            \(runtimesExtra)
            controller:
              repository: \(repo.path)
              path: manifests
              interval: \(interval)
              listen: 127.0.0.1:\(controllerPort)
              tokenFile: controller-token
              webhookSecretFile: webhook-secret
              stateDirectory: state/controller
            \(controllerExtra)
            """
        try config.write(to: directory.appendingPathComponent("sluice.yaml"), atomically: true, encoding: .utf8)
    }

    /// SIGKILL without a wait: a deinit may run on the cooperative pool, and the model
    /// servers die with `serve` through their parent-death signal.
    deinit {
        for process in [serve, controller].compactMap({ $0 }) where process.isRunning {
            process.signal(SIGKILL)
        }
        try? FileManager.default.removeItem(at: directory)
        try? FileManager.default.removeItem(at: repo.url)
        releasePortBlock(servePort)
    }

    /// A fraud-detector manifest with the given versions (name: artifact file) and traffic.
    static func fraud(_ versions: [(String, String)], traffic: [String: Int], rollout: String = "") -> String {
        var text = "apiVersion: sluice/v1\nkind: ModelDeployment\nmetadata:\n  name: fraud\nspec:\n  runtime: python-v2\n  versions:\n"
        for (name, file) in versions { text += "    - name: \(name)\n      artifact: models/\(file)\n" }
        text += "  traffic: {" + traffic.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ") + "}\n"
        return text + rollout
    }

    /// Canary steps with a quick error-rate analysis, fed by ``traffic()`` (several clients).
    static let quickCanary = """
          rollout:
            steps:
              - weight: 50
              - pause: 1s
            analysis:
              interval: 2s
              minRequests: 10
              # A loaded machine may starve the test's load generator for many intervals; thin
              # windows must not pause the rollout (the in-process tests cover that pause).
              # The verdict the tests assert (promoted or aborted) needs one judged window.
              inconclusiveLimit: 60
              checks:
                - metric: error_rate
                  max: 0.1

        """

    /// Starts `serve`, `controller` or `up`, with this process's environment plus `environment`.
    func start(_ which: String, environment: [String: String] = [:]) throws {
        let process = SpawnedProcess()
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.executableURL = SluiceBinary.url
        process.arguments = [which, "--config", directory.appendingPathComponent("sluice.yaml").path]
        process.currentDirectoryURL = directory
        let log = directory.appendingPathComponent("\(which).log")
        if !FileManager.default.fileExists(atPath: log.path) { _ = FileManager.default.createFile(atPath: log.path, contents: nil) }
        let handle = try FileHandle(forWritingTo: log)
        handle.seekToEndOfFile()
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        if which == "serve" { serve = process } else { controller = process }  // `up` counts as the controller
    }

    /// SIGKILL to `serve`, `controller` or `up` without waiting: for `defer`, where nothing
    /// follows that needs it gone.
    func forceStop(_ which: String) {
        guard let process = which == "serve" ? serve : controller else { return }
        process.signal(SIGKILL)
        if which == "serve" { serve = nil } else { controller = nil }
    }

    /// Stops `serve`, `controller` or `up` with `signal`, waits for it and returns its exit
    /// status (nil when it was not running, was killed by a signal, or had to be killed after 120 s).
    @discardableResult
    func stop(_ which: String, signal: Int32 = SIGTERM) async -> Int32? {
        guard let process = which == "serve" ? serve : controller else { return nil }  // `up`: the controller slot
        process.signal(signal)
        let exited = await ProcessWait.exitOrKill(process)
        if which == "serve" { serve = nil } else { controller = nil }
        return exited && process.terminationReason == .exit ? process.terminationStatus : nil
    }

    func log(_ which: String) -> String {
        (try? String(contentsOf: directory.appendingPathComponent("\(which).log"), encoding: .utf8)) ?? ""
    }

    /// Runs the real `sluice` CLI against this controller.
    func cli(_ arguments: [String]) async throws -> SluiceBinary.Result {
        try await SluiceBinary.run(arguments + ["--config", directory.appendingPathComponent("sluice.yaml").path], in: directory)
    }

    // MARK: - HTTP

    /// `http://127.0.0.1:PORT` + `path`.
    func url(_ port: Int, _ path: String) throws -> URL {
        guard let url = URL(string: "http://127.0.0.1:\(port)\(path)") else { throw HarnessError("not a URL path: \(path)") }
        return url
    }

    func get(_ path: String) async throws -> [String: Any] {
        var request = URLRequest(url: try url(controllerPort, path))
        request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        let (data, _) = try await ServeHarness.data(for: request)
        return (try JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
    }

    /// The controller's `/metrics` as text.
    func metrics() async throws -> String {
        String(decoding: try await ServeHarness.data(from: try url(controllerPort, "/metrics")).0, as: UTF8.self)
    }

    /// The value of the sample `series` (name and labels as printed) in the controller's `/metrics`.
    func metric(_ series: String) async throws -> Double {
        let text = try await metrics()
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(series + " ") }),
              let value = line.split(separator: " ").last.flatMap({ Double($0) }) else {
            throw HarnessError("no \(series) in /metrics:\n\(text.prefix(2000))")
        }
        return value
    }

    /// Reconcile passes the controller has run, failed or not: the positive marker that
    /// passes happened, for checks that something did NOT happen.
    func passes() async throws -> Int {
        Int(try await metric("sluice_reconcile_duration_seconds_count"))
    }

    func model(_ name: String = "fraud") async throws -> [String: Any] {
        try await get("/v1/models/\(name)")
    }

    func history(_ name: String = "fraud") async throws -> [String] {
        let events = try await get("/v1/models/\(name)/history")["events"] as? [[String: Any]] ?? []
        return events.compactMap { $0["kind"] as? String }
    }

    func infer(_ model: String = "fraud") async throws -> (Int, String?) {
        var request = URLRequest(url: try url(servePort, "/v2/models/\(model)/infer"))
        request.httpMethod = "POST"
        request.httpBody = ServeHarness.fraudBody
        let (_, response) = try await ServeHarness.data(for: request)
        guard let http = response as? HTTPURLResponse else { throw HarnessError("inference: not an HTTP response") }
        return (http.statusCode, http.value(forHTTPHeaderField: "x-sluice-version"))
    }

    /// Sends requests in the background until cancelled; returns (status, version) pairs.
    /// The requests go from threads of their own: the tests' cooperative pool (two threads
    /// here) can be busy with other suites' CPU-bound work for seconds, and a canary whose
    /// load generator waits gets too few requests to be judged.
    func traffic() -> Task<[(Int, String?)], Never> {
        // The port is a number and the path a constant: always a URL.
        let target = URL(string: "http://127.0.0.1:\(servePort)/v2/models/fraud/infer") ?? URL(fileURLWithPath: "/")
        let generator = LoadGenerator(url: target, body: ServeHarness.fraudBody)
        return Task {
            while !Task.isCancelled { try? await Task.sleep(for: .milliseconds(50)) }
            return await generator.stop()
        }
    }

    /// Polls `condition` until it holds; on timeout the error shows `model`'s state.
    func waitUntil(_ what: String, seconds: Double = 60, model name: String = "fraud", _ condition: () async throws -> Bool) async throws {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if (try? await condition()) == true { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        let state = (try? await model(name)) ?? [:]
        throw HarnessError("timed out waiting for \(what); state: \(state)\ncontroller log:\n\(log("controller").suffix(3000))")
    }

    func waitFor(health: String, reason: String? = nil, seconds: Double = 60) async throws {
        try await waitFor(health: health, reasons: reason.map { [$0] }, seconds: seconds)
    }

    /// Waits for `health` with any of `reasons` (any reason when nil).
    func waitFor(health: String, reasons: Set<String>?, seconds: Double = 60) async throws {
        try await waitUntil("health \(health) \(reasons?.sorted().joined(separator: " or ") ?? "")", seconds: seconds) {
            let state = try await model()
            return state["health"] as? String == health && (reasons.map { $0.contains(state["reason"] as? String ?? "") } ?? true)
        }
    }

    /// Waits until analysis aborted the candidate: Degraded with reason AnalysisFailed, or
    /// CandidateFailed once a later pass says the failed spec is not retried (a slow poll on
    /// a loaded machine can miss the first).
    /// A GET on the data plane's admin API with its token (`/v1/stats`, `/v1/state`), as JSON.
    func admin(_ path: String) async throws -> [String: Any] {
        let token = try String(contentsOf: directory.appendingPathComponent("state/serve/admin-token"), encoding: .utf8)
        var request = URLRequest(url: try url(adminPort, path))
        request.setValue("Bearer \(token.trimmingCharacters(in: .whitespacesAndNewlines))", forHTTPHeaderField: "Authorization")
        let (data, _) = try await ServeHarness.data(for: request)
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    func waitForAnalysisAbort(seconds: Double = 60) async throws {
        try await waitFor(health: "Degraded", reasons: ["AnalysisFailed", "CandidateFailed"], seconds: seconds)
    }
}
