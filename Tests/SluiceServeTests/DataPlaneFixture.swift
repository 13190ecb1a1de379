import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import SluiceConfig
import SluiceCore
import SluiceTestSupport
import Testing
@testable import SluiceServe

/// A real data plane in the test process, its supervisor driven by hand: the gateway and
/// the admin API listen on loopback ports, model servers are real python3 processes (a
/// small script the fixture writes), and the supervisor's clock moves only when the test
/// moves it. No loop runs: each `step()` is one supervision pass, so a test knows exactly
/// at which time something happened, and a step that does not start or stop something
/// proves it did not happen at that time, without a sleep.
///
/// The model server (`model_server.py PORT MODEL VERSION CONTROL`) is steered by files in
/// the control directory named `VERSION.FLAG`: `crash` (exit 3 at start), `unready`
/// (readiness answers 503), `hold` (inference waits until the file is removed), `drop`
/// (inference is read and the connection closed without a byte of answer),
/// `ignore-term` (SIGTERM is noted and ignored). It writes `VERSION.got-term` on SIGTERM.
/// Its inference answer names its version (`model_version`), as a V2 server does.
final class DataPlaneFixture: @unchecked Sendable {
    let directory: URL
    let control: URL
    let dataPlane: DataPlane
    let token = "fixture-admin-token"
    let inferencePort: Int
    let adminPort: Int
    /// The gRPC listener's port, when the fixture was made with `grpc: true`.
    let grpcPort: Int?
    private let started: DataPlane.Started
    private let offset: NIOLockedValueBox<Swift.Duration>
    private let origin: ContinuousClock.Instant
    private let lines: NIOLockedValueBox<[String]>

    static let script = #"""
        import http.server, json, os, signal, sys, time
        port, model, version, control = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
        def flag(name):
            return os.path.exists(os.path.join(control, version + "." + name))
        def mark(name):
            open(os.path.join(control, version + "." + name), "a").close()
        if flag("crash"):
            sys.exit(3)
        def on_term(signum, frame):
            mark("got-term")
            if not flag("ignore-term"):
                os._exit(0)
        signal.signal(signal.SIGTERM, on_term)
        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            def log_message(self, *args):
                pass
            def answer(self, status, body):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            def do_GET(self):
                self.answer(503 if flag("unready") else 200, {"ready": not flag("unready")})
            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if flag("drop"):
                    self.close_connection = True
                    return
                while flag("hold"):
                    time.sleep(0.02)
                self.answer(200, {"model_name": model, "model_version": version,
                                  "outputs": [{"name": "predict", "shape": [1], "datatype": "FP64", "data": [1.0]}]})
        class Server(http.server.ThreadingHTTPServer):
            daemon_threads = True
            allow_reuse_address = True
        Server(("127.0.0.1", port), Handler).serve_forever(poll_interval=0.05)
        """#

    /// A data plane whose runtime `test` runs the script; `ports` are handed to model servers;
    /// `runtimes` are defined beside `test` (made from the fixture's directory); `grpc` turns
    /// the gRPC listener on.
    init(
        ports: ClosedRange<Int>, drainTimeout: SluiceCore.Duration = .seconds(10), stopTimeout: SluiceCore.Duration = .seconds(3),
        upstreamTimeout: SluiceCore.Duration = .seconds(120), maxProcesses: Int = ServeConfig.defaultMaxProcesses,
        runtimes: (URL) -> [String: RuntimeDefinition] = { _ in [:] }, grpc: Bool = false
    ) async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-plane-\(UUID().uuidString.prefix(8))")
        control = directory.appendingPathComponent("control")
        try FileManager.default.createDirectory(at: control, withIntermediateDirectories: true)
        let script = directory.appendingPathComponent("model_server.py")
        try Self.script.write(to: script, atomically: true, encoding: .utf8)
        try Data("{}".utf8).write(to: directory.appendingPathComponent("model.json"))
        let runtime = RuntimeDefinition(
            command: ["python3", script.path, "{port}", "{model}", "{version}", control.path], environment: ["PYTHONUNBUFFERED": "1"],
            workingDirectory: directory.path)
        var config = ServeConfig(
            listen: .tcp(host: "127.0.0.1", port: 0), adminListen: .tcp(host: "127.0.0.1", port: 0), stateDirectory: directory.appendingPathComponent("state").path,
            artifactRoot: directory.path, ports: ports, drainTimeout: drainTimeout, stopTimeout: stopTimeout,
            upstreamTimeout: upstreamTimeout, runtimes: ["test": runtime])
        config.maxProcesses = maxProcesses
        config.runtimes.merge(runtimes(directory)) { first, _ in first }
        if grpc { config.grpcListen = .tcp(host: "127.0.0.1", port: 0) }
        // The suites run once on each engine (scripts/test.sh): the default epoll, then SLUICE_TEST_GATEWAY_ENGINE=nio.
        if let engine = ProcessInfo.processInfo.environment["SLUICE_TEST_GATEWAY_ENGINE"].flatMap(ServeConfig.GatewayEngine.init(rawValue:)) {
            config.gatewayEngine = engine
        }
        // Long head and body deadlines: a loaded 2-core machine may be slow to send a body.
        config.headerTimeout = .seconds(120)
        config.bodyTimeout = .seconds(120)
        let lines = NIOLockedValueBox<[String]>([])
        self.lines = lines
        let origin = ContinuousClock.now
        self.origin = origin
        let offset = NIOLockedValueBox<Swift.Duration>(.zero)
        self.offset = offset
        dataPlane = DataPlane(
            config: config, secrets: ServeSecrets(adminToken: token, feedbackToken: nil, metricsToken: nil),
            logger: CapturedLog.logger(into: lines),
            clock: { origin + offset.withLockedValue { $0 } }, contained: false)
        started = try await dataPlane.start()
        inferencePort = try Self.port(of: started.listeners.inference)
        adminPort = try Self.port(of: started.listeners.admin)
        grpcPort = try started.listeners.grpc.map(Self.port(of:))
    }

    /// Runs `body` with a fresh fixture, then stops every model server and closes the listeners
    /// (also when `body` throws).
    static func with(
        ports: ClosedRange<Int>? = nil, drainTimeout: SluiceCore.Duration = .seconds(10), stopTimeout: SluiceCore.Duration = .seconds(3),
        upstreamTimeout: SluiceCore.Duration = .seconds(120), maxProcesses: Int = ServeConfig.defaultMaxProcesses,
        runtimes: (URL) -> [String: RuntimeDefinition] = { _ in [:] }, grpc: Bool = false,
        _ body: (DataPlaneFixture) async throws -> Void
    ) async throws {
        // A block of ports no other fixture holds while this one runs (released after its
        // model servers have stopped).
        let block = ports == nil ? await PortBlocks.lease() : nil
        defer { if let block { PortBlocks.release(block) } }
        let fixture = try await DataPlaneFixture(
            ports: ports ?? PortBlocks.range(block ?? 0), drainTimeout: drainTimeout, stopTimeout: stopTimeout, upstreamTimeout: upstreamTimeout, maxProcesses: maxProcesses,
            runtimes: runtimes, grpc: grpc)
        do {
            try await body(fixture)
        } catch {
            await fixture.close()
            throw error
        }
        await fixture.close()
    }

    private func close() async {
        try? FileManager.default.removeItem(at: control)  // releases held requests
        for case let service as HTTPServerService in started.services { await service.server.close() }
        await dataPlane.supervisor.shutdown()
        try? await dataPlane.group.shutdownGracefully()
        for loop in dataPlane.gatewayLoops { try? await loop.shutdownGracefully() }
        try? FileManager.default.removeItem(at: directory)
    }

    // MARK: - time and supervision

    /// The supervisor's time now.
    var now: ContinuousClock.Instant { origin + offset.withLockedValue { $0 } }

    /// Moves the supervisor's clock forward by `interval`.
    func advance(_ interval: Swift.Duration) { offset.withLockedValue { $0 += interval } }

    /// Sets the supervisor's clock to `instant` (never backwards).
    func set(_ instant: ContinuousClock.Instant) {
        offset.withLockedValue { $0 = max($0, instant - origin) }
    }

    /// One supervision pass at the current time.
    func step() async { await dataPlane.supervisor.step() }

    /// Steps (moving the clock `advancing` between steps, and giving real processes real
    /// time) until `condition` holds; throws after two minutes of real time.
    func stepUntil(_ what: String, advancing: Swift.Duration = .milliseconds(100), _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(120)
        while ContinuousClock.now < deadline {
            await step()
            if try await condition() { return }
            advance(advancing)
            try await Task.sleep(for: .milliseconds(20))
        }
        Issue.record("timed out waiting for \(what); log:\n\(logged.suffix(20).joined(separator: "\n"))")
        throw FixtureError.timedOut(what)
    }

    enum FixtureError: Error { case timedOut(String), noPort(String) }

    // MARK: - observing

    /// Every line logged so far, as `LEVEL: message`.
    var logged: [String] { lines.withLockedValue { $0 } }

    /// Whether a logged line contains `text`.
    func didLog(_ text: String) -> Bool { logged.contains { $0.contains(text) } }

    func model(_ name: String = "m") async -> ObservedModel? {
        await dataPlane.observed().models.first { $0.name == name }
    }

    /// SIGKILL to the model server `pid` through its supervisor, which reaps it and so is the
    /// only one that may signal it (a raw `kill` after its reap could hit a recycled pid).
    func kill(pid: Int?) async throws {
        let sent = await dataPlane.supervisor.signalModelServer(pid: Int32(try #require(pid)), SIGKILL)
        #expect(sent, "pid \(pid ?? 0) is a running model server of this data plane")
    }

    /// The version as the admin API reports it.
    func version(_ version: String, of model: String = "m") async -> ObservedVersion? {
        await self.model(model)?.versions.first { $0.name == version }
    }

    /// Whether every one of `versions` of model `m` is Ready.
    func ready(_ versions: String...) async -> Bool {
        for name in versions {
            if await version(name)?.state != .ready { return false }
        }
        return true
    }

    /// A removed version still draining or stopping.
    func retiring(_ version: String, of model: String = "m") async -> ObservedVersion? {
        await self.model(model)?.retiring?.first { $0.name == version }
    }

    /// Creates (or with `false` removes) the control file `VERSION.FLAG`.
    func flag(_ version: String, _ name: String, _ on: Bool = true) throws {
        let url = control.appendingPathComponent("\(version).\(name)")
        if on {
            try Data().write(to: url)
        } else if FileManager.default.fileExists(atPath: url.path) {
            try FileManager.default.removeItem(at: url)
        }
    }

    /// Whether the script wrote `VERSION.FLAG`.
    func marked(_ version: String, _ name: String) -> Bool {
        FileManager.default.fileExists(atPath: control.appendingPathComponent("\(version).\(name)").path)
    }

    // MARK: - talking to it

    /// A spec of model `m` whose versions all run the `test` runtime, each with `scaling`
    /// (a JSON object) when given.
    static func spec(_ weights: KeyValuePairs<String, Int>, revision: String = "r1", scaling: String? = nil) -> String {
        let scalingMember = scaling.map { #","scaling":\#($0)"# } ?? ""
        let versions = weights.map { #"{"name":"\#($0.key)","runtime":"test","artifact":"model.json"\#(scalingMember)}"# }.joined(separator: ",")
        let route = weights.map { #""\#($0.key)":\#($0.value)"# }.joined(separator: ",")
        return #"{"revision":"\#(revision)","models":[{"name":"m","versions":[\#(versions)],"route":{"weights":{\#(route)}}}]}"#
    }

    /// PUTs a runtime spec to the admin API with the token; fails the test unless it is applied.
    func apply(_ spec: String) async throws {
        let response = try await request(.PUT, port: adminPort, "/v1/spec", body: spec, headers: ["authorization": "Bearer \(token)"])
        try #require(response.status == 200, "PUT /v1/spec answered \(response.status): \(response.text)")
    }

    /// An inference request to model `m` through the gateway (to `version` explicitly when given).
    func infer(version: String? = nil) async throws -> Answer {
        let path = version.map { "/v2/models/m/versions/\($0)/infer" } ?? "/v2/models/m/infer"
        return try await request(.POST, port: inferencePort, path, body: #"{"inputs":[{"name":"x","shape":[1],"datatype":"FP64","data":[1]}]}"#)
    }

    /// A whole HTTP answer.
    struct Answer: Sendable {
        var status: Int
        var headers: HTTPHeaders
        var text: String

        /// The JSON body's string member `name`.
        func string(_ name: String) -> String? {
            ((try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any])?[name] as? String
        }

        /// The version that answered, as the gateway says (`x-sluice-version`).
        var servedBy: String? { headers.first(name: "x-sluice-version") }
    }

    func request(_ method: HTTPMethod, port: Int, _ path: String, body: String? = nil, headers: HTTPHeaders = [:]) async throws -> Answer {
        let client = UpstreamClient(group: MultiThreadedEventLoopGroup.singleton)
        var headers = headers
        if body != nil { headers.replaceOrAdd(name: "content-type", value: "application/json") }
        let request = UpstreamRequest(method: method, uri: path, headers: headers, body: body.map { ByteBuffer(string: $0) })
        let response = try await client.send(
            request, to: UpstreamAddress(host: "127.0.0.1", port: port), on: MultiThreadedEventLoopGroup.singleton.next(), timeout: .seconds(120)
        ).get()
        return Answer(status: Int(response.status.code), headers: response.headers, text: String(buffer: response.body))
    }

    // MARK: - helpers

    private static func port(of listener: String) throws -> Int {
        guard let text = listener.split(separator: ":").last, let port = Int(text) else { throw FixtureError.noPort(listener) }
        return port
    }
}

/// Blocks of fifty ports for the fixtures' model servers, each held by one fixture at a time,
/// below the kernel's ephemeral ports (32768 and up), which an outgoing connection could
/// take between the check and the bind. Handed out in turn, they were reused while an
/// earlier holder ran when more than twenty fixtures ran at once: a slow MLServer then
/// found its gRPC port taken and served REST only, and its calls were retried elsewhere.
enum PortBlocks {
    static let count = 20
    private static let state = NIOLockedValueBox<(held: Set<Int>, next: Int)>(([], 0))

    /// A block no fixture holds, waiting until one is released; the least recently handed out first.
    static func lease() async -> Int {
        while true {
            let block = state.withLockedValue { state -> Int? in
                for step in 0..<count {
                    let candidate = (state.next + step) % count
                    if !state.held.contains(candidate) {
                        state.held.insert(candidate)
                        state.next = (candidate + 1) % count
                        return candidate
                    }
                }
                return nil
            }
            if let block { return block }
            try? await Task.sleep(for: .milliseconds(50))
        }
    }

    static func release(_ block: Int) {
        _ = state.withLockedValue { $0.held.remove(block) }
    }

    /// The ports of `block`, apart for each of four test processes by their pid.
    static func range(_ block: Int) -> ClosedRange<Int> {
        let low = 16000 + 50 * block + 1000 * Int(getpid() % 4)
        return low...(low + 49)
    }
}
