import Foundation
import SluiceTestSupport
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A real `sluice serve` process in a temporary directory, with the example python V2
/// server as its runtime, driven over loopback HTTP.
final class ServeHarness: @unchecked Sendable {
    let directory: URL
    let token = "test-admin-token-\(UInt32.random(in: 0 ... .max))"
    private(set) var process: SpawnedProcess?
    private(set) var inferenceURL = URL(fileURLWithPath: "/")
    private(set) var adminURL = URL(fileURLWithPath: "/")
    private var output: Pipe?
    /// The first of the 100 ports the harness's model servers take.
    private let modelPortBase = freePortBlock(in: 20000..<26900, size: 100)

    static let server = SluiceBinary.packageRoot.appendingPathComponent("examples/server/v2_server.py").path

    /// Creates the directory, the config (runtimes `python-v2`, `never-ready`,
    /// `failing`, `slow`, plus `extraRuntimes`, indented by two spaces) and copies of the
    /// example models.
    init(
        startTimeout: String = "20s", extraConfig: String = "", extraRuntimes: String = "",
        listen: String = "127.0.0.1:0", adminListen: String = "127.0.0.1:0"
    ) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-serve-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("models"), withIntermediateDirectories: true)
        let models = SluiceBinary.packageRoot.appendingPathComponent("examples/models")
        for name in try FileManager.default.contentsOfDirectory(atPath: models.path) where name.hasSuffix(".json") {
            try FileManager.default.copyItem(at: models.appendingPathComponent(name), to: directory.appendingPathComponent("models/\(name)"))
        }
        try token.write(to: directory.appendingPathComponent("token"), atomically: true, encoding: .utf8)
        chmod(directory.appendingPathComponent("token").path, 0o600)
        func runtime(_ name: String, env: String) -> String {
            """
              \(name):
                command: [python3, \(Self.server), --model-file, "{artifact}", --port, "{port}", --name, "{model}", --version, "{version}"]
                env: {\(env)}
                startTimeout: \(startTimeout)

            """
        }
        let config = """
            serve:
              listen: \(listen)
              admin:
                listen: \(adminListen)
                tokenFile: token
              stateDirectory: state
              artifactRoot: .
              ports: \(modelPortBase)-\(modelPortBase + 99)
              drainTimeout: 5s
              stopTimeout: 3s
              upstreamTimeout: 10s
            \(extraConfig)
            runtimes:
            \(runtime("python-v2", env: "PYTHONUNBUFFERED: \"1\""))
            \(runtime("never-ready", env: "SLUICE_FAULT_NEVER_READY: \"1\""))
            \(runtime("failing", env: "SLUICE_FAULT_ERROR_RATE: \"1\""))
            \(runtime("slow-start", env: "SLUICE_FAULT_READY_AFTER_MS: \"1500\""))
            \(runtime("slow", env: "SLUICE_FAULT_LATENCY_MS: \"200\""))
              exits:
                command: [python3, -c, "import sys; sys.exit(3)"]
              missing-program:
                command: [/nonexistent/model-server, "{port}"]
            \(extraRuntimes)
            """
        try config.write(to: directory.appendingPathComponent("sluice.yaml"), atomically: true, encoding: .utf8)
    }

    deinit {
        if let process, process.isRunning {
            process.signal(SIGKILL)
        }
        try? FileManager.default.removeItem(at: directory)
        releasePortBlock(modelPortBase)
    }

    /// Starts `sluice serve` (with this process's environment plus `environment`) and
    /// waits until it prints its listening addresses. The pipe is read on a thread of its own:
    /// a debug binary can take seconds to start on a loaded machine, and a read on the
    /// cooperative pool (two threads here) would stop every other test meanwhile. A process
    /// that prints nothing for `seconds` is killed and the start fails.
    func start(environment: [String: String] = [:], seconds: Double = 120) async throws {
        let process = SpawnedProcess()
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.executableURL = SluiceBinary.url
        process.arguments = ["serve", "--config", directory.appendingPathComponent("sluice.yaml").path]
        process.currentDirectoryURL = directory
        let pipe = Pipe()
        process.standardOutput = pipe
        let log = directory.appendingPathComponent("serve.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        process.standardError = try FileHandle(forWritingTo: log)
        try process.run()
        self.process = process
        output = pipe
        let reader = pipe.fileHandleForReading
        let text: String = await withCheckedContinuation { continuation in
            Thread {
                var text = ""
                let deadline = Date().addingTimeInterval(seconds)
                var descriptor = pollfd(fd: reader.fileDescriptor, events: Int16(POLLIN), revents: 0)
                while true {
                    // poll with a timeout first: a bare read would wait forever on a hung start.
                    guard Date() < deadline else {
                        process.signal(SIGKILL)
                        text += "\n[no listening addresses within \(Int(seconds)) s: killed]"
                        break
                    }
                    guard poll(&descriptor, 1, 200) > 0 else { continue }
                    let data = reader.availableData
                    if data.isEmpty { break }
                    text += String(decoding: data, as: UTF8.self)
                    if text.split(separator: "\n").contains(where: { $0.hasPrefix("sluice serve: inference on ") }) { break }
                }
                continuation.resume(returning: text)
            }.start()
        }
        if let line = text.split(separator: "\n").first(where: { $0.hasPrefix("sluice serve: inference on ") }) {
            let parts = line.replacingOccurrences(of: "sluice serve: inference on ", with: "").components(separatedBy: ", admin on ")
            if parts.count == 2, let inference = URL(string: "http://\(parts[0])"), let admin = URL(string: "http://\(parts[1])") {
                inferenceURL = inference
                adminURL = admin
                return
            }
        }
        throw HarnessError("sluice serve did not start: \(text)\n\(serveLog)")
    }

    /// Stops `sluice serve` with `signal`, waits for it and returns its exit status (nil when
    /// it was not running, was killed by a signal, or had to be killed after 120 s).
    @discardableResult
    func stop(signal: Int32 = SIGTERM) async -> Int32? {
        guard let process else { return nil }
        process.signal(signal)
        let exited = await ProcessWait.exitOrKill(process)
        self.process = nil
        return exited && process.terminationReason == .exit ? process.terminationStatus : nil
    }

    /// SIGKILL without waiting: for `defer`, where nothing follows that needs it gone (its
    /// model servers die with it through their parent-death signal).
    func forceStop() {
        guard let process else { return }
        process.signal(SIGKILL)
        self.process = nil
    }

    /// SIGKILL, then waits for the reap by polling (no descriptor a leaked-to orphan could
    /// hold open; and not by probing the pid: once reaped, it may be another process's).
    func kill9() async throws {
        guard let process else { return }
        let pid = process.processIdentifier
        process.signal(SIGKILL)
        let gone = await ProcessWait.exit(of: process, within: .seconds(60))
        self.process = nil
        guard gone else { throw HarnessError("sluice serve (pid \(pid)) still runs 60 s after SIGKILL") }
    }

    /// Whether `sluice serve` still runs (or how it ended) and the last 40 lines of its log.
    var processReport: String {
        guard let process else { return "sluice serve: not running (never started, or stopped by the test)" }
        let state =
            process.isRunning
            ? "still runs (pid \(process.processIdentifier))"
            : "has ended (\(process.terminationReason == .exit ? "exit status" : "signal") \(process.terminationStatus))"
        let tail = serveLog.split(separator: "\n", omittingEmptySubsequences: false).suffix(40).joined(separator: "\n")
        return "sluice serve \(state); the end of its log:\n\(tail)"
    }

    var serveLog: String {
        (try? String(contentsOf: directory.appendingPathComponent("serve.log"), encoding: .utf8)) ?? ""
    }

    // MARK: - HTTP

    struct Response {
        var status: Int
        var headers: [String: String]
        var body: Data
        var text: String { String(decoding: body, as: UTF8.self) }
        var json: [String: Any]? { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] }
        func header(_ name: String) -> String? {
            headers.first { $0.key.lowercased() == name.lowercased() }?.value
        }
    }

    /// `session.data(for:)` in a detached task. Cancelling a task that awaits FoundationNetworking
    /// can deadlock it on Linux (`URLSessionTask.cancel` under its lock), so a test's load
    /// generator is cancelled between requests, never inside one.
    static func data(for request: URLRequest) async throws -> (Data, URLResponse) {
        try await Task.detached { try await session.data(for: request) }.value
    }

    /// ``data(for:)`` for a GET of `url`.
    static func data(from url: URL) async throws -> (Data, URLResponse) {
        try await data(for: URLRequest(url: url))
    }

    static let session: URLSession = {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpMaximumConnectionsPerHost = 16
        configuration.timeoutIntervalForRequest = 30
        return URLSession(configuration: configuration)
    }()

    func request(_ method: String, _ url: URL, body: Data? = nil, headers: [String: String] = [:]) async throws -> Response {
        var request = URLRequest(url: url)
        request.httpMethod = method
        request.httpBody = body
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        if body != nil { request.setValue("application/json", forHTTPHeaderField: "content-type") }
        let data: Data
        let response: URLResponse
        do {
            (data, response) = try await Self.data(for: request)
        } catch {
            // A refused or dropped connection says little on its own: say whether the gateway
            // still runs, how it ended if not, and what it logged last.
            throw HarnessError("\(method) \(url): \(error)\n\(processReport)")
        }
        guard let http = response as? HTTPURLResponse else { throw HarnessError("\(method) \(url): not an HTTP response") }
        var fields: [String: String] = [:]
        for (key, value) in http.allHeaderFields { fields[String(describing: key)] = String(describing: value) }
        return Response(status: http.statusCode, headers: fields, body: data)
    }

    /// An admin request with the token.
    func admin(_ method: String, _ path: String, body: String? = nil, token: String? = nil) async throws -> Response {
        var headers: [String: String] = [:]
        if let token = token ?? Optional(self.token), !token.isEmpty { headers["Authorization"] = "Bearer \(token)" }
        return try await request(method, adminURL.appendingPathComponent(path), body: body.map { Data($0.utf8) }, headers: headers)
    }

    /// PUTs a runtime spec and fails unless it is accepted.
    @discardableResult
    func apply(_ spec: String) async throws -> Response {
        let response = try await admin("PUT", "/v1/spec", body: spec)
        guard response.status == 200 else { throw HarnessError("spec refused: \(response.status) \(response.text)") }
        return response
    }

    /// One fraud-detector style inference request.
    static let fraudBody = Data(#"{"inputs":[{"name":"input-0","shape":[1,4],"datatype":"FP64","data":[120.5,0.3,14,2.5]}]}"#.utf8)

    func infer(_ model: String, version: String? = nil, headers: [String: String] = [:]) async throws -> Response {
        let path = version.map { "/v2/models/\(model)/versions/\($0)/infer" } ?? "/v2/models/\(model)/infer"
        return try await request("POST", inferenceURL.appendingPathComponent(path), body: Self.fraudBody, headers: headers)
    }

    /// The observed state of `model` from the admin API.
    func state(_ model: String) async throws -> [String: Any] {
        let response = try await admin("GET", "/v1/state")
        let models = response.json?["models"] as? [[String: Any]] ?? []
        guard let state = models.first(where: { $0["name"] as? String == model }) else {
            throw HarnessError("no state for \(model): \(response.text)")
        }
        return state
    }

    func version(_ model: String, _ version: String) async throws -> [String: Any] {
        let versions = try await state(model)["versions"] as? [[String: Any]] ?? []
        guard let entry = versions.first(where: { $0["name"] as? String == version }) else {
            throw HarnessError("no version \(version) of \(model)")
        }
        return entry
    }

    /// Polls until `condition` holds or `seconds` pass (a deadline for a hung run, never
    /// reached by a passing test).
    func waitUntil(_ what: String, seconds: Double = 60, _ condition: () async throws -> Bool) async throws {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if (try? await condition()) == true { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw HarnessError("timed out waiting for \(what)\n\(serveLog.suffix(3000))")
    }

    /// Waits until every version of `model` in `versions` is ready.
    func waitReady(_ model: String, _ versions: [String], seconds: Double = 60) async throws {
        try await waitUntil("\(model) \(versions) ready", seconds: seconds) {
            for name in versions {
                guard try await version(model, name)["ready"] as? Bool == true else { return false }
            }
            return true
        }
    }

    /// A runtime spec for one model with the example fraud models.
    static func fraudSpec(
        weights: [String: Int],
        runtimes: [String: String] = [:],
        sticky: String? = nil,
        mirror: (String, Double)? = nil,
        revision: String = "r1"
    ) -> String {
        let versions = weights.keys.sorted().map { name in
            #"{"name":"\#(name)","runtime":"\#(runtimes[name] ?? "python-v2")","artifact":"models/\#(name == "v1" ? "fraud-v2.1" : "fraud-v2.2").json"}"#
        }
        let weightText = weights.keys.sorted().map { #""\#($0)":\#(weights[$0, default: 0])"# }.joined(separator: ",")
        var route = #""weights":{\#(weightText)}"#
        if let sticky { route += #","stickyHeader":"\#(sticky)""# }
        if let mirror { route += #","mirror":{"version":"\#(mirror.0)","percent":\#(mirror.1)}"# }
        return #"{"revision":"\#(revision)","models":[{"name":"fraud","versions":[\#(versions.joined(separator: ","))],"route":{\#(route)}}]}"#
    }
}

struct HarnessError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Port blocks already handed out in this test process. A block is chosen long before its
/// ports are bound, so a bind probe alone lets two parallel tests pick overlapping blocks
/// (a webhook receiver once took a harness's admin port).
private let handedOutPorts = PortLedger()

private final class PortLedger: @unchecked Sendable {
    private let lock = NSLock()
    private var blocks: [Range<Int>] = []

    /// Records `block` unless it overlaps one handed out before.
    func claim(_ block: Range<Int>) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        guard !blocks.contains(where: { $0.overlaps(block) }) else { return false }
        blocks.append(block)
        return true
    }

    /// Forgets the block that starts at `base`, so a later test may take its ports.
    func release(base: Int) {
        lock.lock()
        defer { lock.unlock() }
        blocks.removeAll { $0.lowerBound == base }
    }
}

/// Hands a block from `freePortBlock` back once its harness is gone.
func releasePortBlock(_ base: Int) {
    handedOutPorts.release(base: base)
}

/// The first of `size` consecutive loopback ports that are free now and were never handed
/// out and not released in this process, chosen at random in `range` (below Linux's ephemeral range,
/// so outgoing connections never take them).
func freePortBlock(in range: Range<Int>, size: Int) -> Int {
    for _ in 0..<1000 {
        let base = Int.random(in: range.lowerBound..<(range.upperBound - size))
        guard handedOutPorts.claim(base..<(base + size)) else { continue }
        let free = (base..<(base + size)).allSatisfy(LoopbackPort.isFree)
        if free { return base }
        handedOutPorts.release(base: base)
    }
    return range.lowerBound
}
