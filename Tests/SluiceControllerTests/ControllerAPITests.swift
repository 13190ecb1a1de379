import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import SluiceConfig
import SluiceCore
import SluiceGit
import SluiceStore
import SluiceTestSupport
import Testing
@testable import SluiceController

/// The controller API's routes in-process (Hummingbird's router test client) over a real
/// controller: a real git repository and SQLite store in a temporary directory, and a
/// small fake data plane. Status codes of every route, the token on every `/v1` route,
/// the webhook's signature and body limit, unknown paths and wrong methods.
@Suite("controller API routes", .timeLimit(.minutes(10)))
struct ControllerAPITests {
    static let token = "controller-token-for-tests"
    static let secret = "webhook-secret-for-tests"
    static let metrics = "metrics-token-for-tests"
    static let authorized: HTTPFields = [.authorization: "Bearer \(token)"]

    /// A controller over a temporary repository with one model, `fraud`, after one pass.
    final class Fixture {
        let directory: URL
        let repo: GitFixture
        let controller: Controller
        let app: Application<RouterResponder<BasicRequestContext>>

        init(rollout: Bool = false, webhooks: Bool = true, metricsToken: String? = nil) async throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-api-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            repo = try GitFixture()
            try repo.commit("fraud v1", files: [
                "manifests/fraud.yaml": manifest("fraud", versions: ["v1"]),
                "models/fraud/v1.json": "{}\n",
                "models/fraud/v2.json": "{\"v\": 2}\n",
            ])
            let yaml = """
                runtimes:
                  python-v2:
                    command: [python3, server.py, --port, "{port}"]
                controller:
                  repository: \(repo.path)
                  path: manifests
                  stateDirectory: \(directory.path)/state
                """
            let configPath = directory.appendingPathComponent("sluice.yaml").path
            try yaml.write(toFile: configPath, atomically: true, encoding: .utf8)
            let config = try SluiceConfiguration.load(path: configPath).controller()
            try FileManager.default.createDirectory(atPath: config.stateDirectory, withIntermediateDirectories: true)
            let environment = ControllerEnvironment(
                config: config, source: try GitSource.open(path: repo.path), store: try ControllerStore(path: config.databasePath),
                backend: FakeReadyBackend(), logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
            controller = try Controller(environment: environment)
            // The first pass applies v1; the second sees it ready (the fake is ready at once).
            _ = await controller.reconcile(.start)
            _ = await controller.reconcile(.interval)
            if rollout {
                try repo.commit("fraud v2 as a canary", files: [
                    "manifests/fraud.yaml": manifest("fraud", versions: ["v1", "v2"]) + "  rollout:\n    steps:\n      - weight: 50\n      - pause: 1h\n",
                ])
                _ = await controller.reconcile(.interval)
                _ = await controller.reconcile(.rolloutTick)
            }
            let api = ControllerAPI(
                controller: controller, token: ControllerAPITests.token, webhookSecret: webhooks ? ControllerAPITests.secret : nil,
                metricsToken: metricsToken)
            app = Application(router: api.router())
        }

        deinit { try? FileManager.default.removeItem(at: directory) }
    }

    static func json(_ response: TestResponse) -> [String: Any]? {
        try? JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any]
    }

    static func error(_ response: TestResponse) -> String? { json(response)?["error"] as? String }

    // MARK: - auth

    @Test("every /v1 route, reading or mutating, answers 401 without the token or with a wrong one, and closes the connection; nothing changes")
    func everyV1RouteNeedsTheToken() async throws {
        let fixture = try await Fixture(rollout: true)
        try await fixture.app.test(.router) { client in
            let routes: [(HTTPRequest.Method, String)] = [
                (.get, "/v1/status"), (.get, "/v1/models/fraud"), (.get, "/v1/models/fraud/history"),
                (.post, "/v1/models/fraud/promote"), (.post, "/v1/models/fraud/abort"), (.post, "/v1/models/fraud/retry"),
                (.post, "/v1/models/fraud/approve?monitor=drift"), (.get, "/v1/nothing-here"),
            ]
            for (method, path) in routes {
                for authorization in [nil, "Bearer wrong", "Basic \(Self.token)", "Bearer \(Self.metrics)", Self.token] {
                    var headers: HTTPFields = [:]
                    if let authorization { headers[.authorization] = authorization }
                    let response = try await client.execute(uri: path, method: method, headers: headers)
                    #expect(response.status == .unauthorized, "\(method) \(path) with \(authorization ?? "no token")")
                    #expect(response.headers[.wwwAuthenticate] == "Bearer realm=\"sluice-controller\"")
                    #expect(response.headers[.connection] == "close")
                    #expect(Self.error(response) == "missing or wrong bearer token")
                }
            }
        }
        #expect(await fixture.controller.status(of: "fraud")?.candidate != nil, "the refused abort changed nothing")
    }

    // MARK: - reading

    @Test("GET /v1/status, /v1/models/fraud and its history answer 200 with the documented shapes; an unknown model is 404")
    func readingRoutes() async throws {
        let fixture = try await Fixture()
        try await fixture.app.test(.router) { client in
            let status = try await client.execute(uri: "/v1/status", method: .get, headers: [.authorization: "BEARER \(Self.token)"])
            #expect(status.status == .ok)
            #expect(status.headers[.contentType] == "application/json")
            let models = Self.json(status)?["models"] as? [[String: Any]] ?? []
            #expect(models.map { $0["name"] as? String } == ["fraud"])
            #expect(models.first?["sync"] as? String == "Synced")

            let detail = try await client.execute(uri: "/v1/models/fraud", method: .get, headers: Self.authorized)
            #expect(detail.status == .ok)
            #expect(Self.json(detail)?["name"] as? String == "fraud")
            #expect(Self.json(detail)?["measurements"] is [Any])

            let history = try await client.execute(uri: "/v1/models/fraud/history", method: .get, headers: Self.authorized)
            #expect(history.status == .ok)
            #expect((Self.json(history)?["events"] as? [[String: Any]])?.isEmpty == false)

            for path in ["/v1/models/nope", "/v1/models/nope/history"] {
                let missing = try await client.execute(uri: path, method: .get, headers: Self.authorized)
                #expect(missing.status == .notFound, "\(path)")
                #expect(Self.error(missing) == "no model 'nope'")
            }
        }
    }

    @Test("status and model detail carry the routing as a typed object; the event that turned it on says so")
    func modelRouting() async throws {
        let fixture = try await Fixture()
        try fixture.repo.commit("mirror v2, sticky callers", files: [
            "manifests/fraud.yaml": manifest("fraud", versions: ["v1", "v2"], traffic: ["v1": 100, "v2": 0])
                + "  routing:\n    stickyHeader: x-user-id\n    mirror:\n      version: v2\n      percent: 10\n",
        ])
        _ = await fixture.controller.reconcile(.interval)
        _ = await fixture.controller.reconcile(.interval)
        try await fixture.app.test(.router) { client in
            let status = try await client.execute(uri: "/v1/status", method: .get, headers: Self.authorized)
            let model = try #require((Self.json(status)?["models"] as? [[String: Any]])?.first)
            let routing = try #require(model["routing"] as? [String: Any], "\(model)")
            #expect(routing["stickyHeader"] as? String == "x-user-id")
            #expect((routing["mirror"] as? [String: Any])?["version"] as? String == "v2")
            #expect((routing["mirror"] as? [String: Any])?["percent"] as? Int == 10)
            #expect(routing["pins"] == nil, "no pins: the member is left out")
            #expect(Set(routing.keys) == ["stickyHeader", "mirror"])

            let detail = try await client.execute(uri: "/v1/models/fraud", method: .get, headers: Self.authorized)
            let detailRouting = try #require(Self.json(detail)?["routing"] as? [String: Any])
            #expect(detailRouting["stickyHeader"] as? String == "x-user-id")
            #expect((detailRouting["mirror"] as? [String: Any])?["version"] as? String == "v2")

            let history = try await client.execute(uri: "/v1/models/fraud/history", method: .get, headers: Self.authorized)
            let events = Self.json(history)?["events"] as? [[String: Any]] ?? []
            let updated = try #require(events.first { $0["kind"] as? String == "updated" }, "\(events)")
            #expect(updated["message"] as? String == "fraud now v1 100%; routing: mirror 10%→v2 on, sticky x-user-id on")
            let first = try #require(events.first { $0["kind"] as? String == "deployed" })
            #expect((first["message"] as? String)?.contains("routing") == false, "plain routing is not mentioned: \(first)")
        }
    }

    @Test("/healthz is open; /metrics is open without a metrics token and needs exactly it when one is set")
    func openRoutes() async throws {
        let open = try await Fixture()
        try await open.app.test(.router) { client in
            let health = try await client.execute(uri: "/healthz", method: .get)
            #expect(health.status == .ok)
            #expect(Self.json(health)?["ok"] as? Bool == true)
            let metrics = try await client.execute(uri: "/metrics", method: .get)
            #expect(metrics.status == .ok)
            #expect(metrics.headers[.contentType] == "text/plain; version=0.0.4")
            #expect(String(buffer: metrics.body).contains("sluice_"))
        }
        let guarded = try await Fixture(metricsToken: Self.metrics)
        try await guarded.app.test(.router) { client in
            for authorization in [nil, "Bearer wrong", "Bearer \(Self.token)"] {
                var headers: HTTPFields = [:]
                if let authorization { headers[.authorization] = authorization }
                let response = try await client.execute(uri: "/metrics", method: .get, headers: headers)
                #expect(response.status == .unauthorized, "\(authorization ?? "no token")")
                #expect(response.headers[.wwwAuthenticate] == "Bearer realm=\"sluice-metrics\"")
            }
            let scraped = try await client.execute(uri: "/metrics", method: .get, headers: [.authorization: "bearer \(Self.metrics)"])
            #expect(scraped.status == .ok)
            #expect(try await client.execute(uri: "/healthz", method: .get).status == .ok, "/healthz stays open")
        }
    }

    // MARK: - commands

    @Test("commands: abort during a rollout is 200, then 409 with nothing in progress; promote and retry with nothing waiting are 409")
    func commands() async throws {
        let fixture = try await Fixture(rollout: true)
        try await fixture.app.test(.router) { client in
            var headers = Self.authorized
            headers[HTTPField.Name("x-sluice-actor")!] = "alice"
            let aborted = try await client.execute(uri: "/v1/models/fraud/abort", method: .post, headers: headers)
            #expect(aborted.status == .ok)
            #expect(Self.json(aborted)?["message"] as? String == "aborted the rollout of fraud")
            let again = try await client.execute(uri: "/v1/models/fraud/abort", method: .post, headers: headers)
            #expect(again.status == .conflict)
            #expect(Self.error(again) == "fraud has no rollout in progress")
            let history = try await client.execute(uri: "/v1/models/fraud/history", method: .get, headers: Self.authorized)
            let events = Self.json(history)?["events"] as? [[String: Any]] ?? []
            // The actor is the token's name; the header naming someone else is not read.
            #expect(events.contains { $0["kind"] as? String == "aborted" && $0["actor"] as? String == "controller-token" }, "\(events)")
            #expect(!events.contains { $0["actor"] as? String == "alice" }, "\(events)")
        }
        let stable = try await Fixture()
        try await stable.app.test(.router) { client in
            for command in ["promote", "promote?full=true", "retry"] {
                let response = try await client.execute(uri: "/v1/models/fraud/\(command)", method: .post, headers: Self.authorized)
                #expect(response.status == .conflict, "\(command)")
                #expect(Self.error(response)?.hasPrefix("fraud") == true, "\(command): \(Self.error(response) ?? "")")
            }
        }
    }

    @Test("commands with bad input: unknown model 404, unknown command 404, approve without ?monitor 400, approve of a monitor the model lacks 409")
    func badCommands() async throws {
        let fixture = try await Fixture()
        try await fixture.app.test(.router) { client in
            for command in ["promote", "abort", "retry"] {
                let response = try await client.execute(uri: "/v1/models/nope/\(command)", method: .post, headers: Self.authorized)
                #expect(response.status == .notFound, "\(command)")
                #expect(Self.error(response) == "no model 'nope'")
            }
            let unknown = try await client.execute(uri: "/v1/models/fraud/rollback", method: .post, headers: Self.authorized)
            #expect(unknown.status == .notFound)
            #expect(Self.error(unknown)?.hasPrefix("no command 'rollback'") == true)
            for uri in ["/v1/models/fraud/approve", "/v1/models/fraud/approve?monitor="] {
                let response = try await client.execute(uri: uri, method: .post, headers: Self.authorized)
                #expect(response.status == .badRequest, "\(uri)")
                #expect(Self.error(response) == "approve needs ?monitor=NAME")
            }
            let noMonitor = try await client.execute(uri: "/v1/models/fraud/approve?monitor=drift", method: .post, headers: Self.authorized)
            #expect(noMonitor.status == .conflict)
            #expect(Self.error(noMonitor) == "model fraud has no monitor drift")
        }
    }

    // MARK: - webhook

    static func signature(_ body: String, secret: String = ControllerAPITests.secret) -> String {
        let code = HMAC<Crypto.SHA256>.authenticationCode(for: Data(body.utf8), using: SymmetricKey(data: Data(secret.utf8)))
        return "sha256=" + code.map { String(format: "%02x", $0) }.joined()
    }

    @Test("webhook: a signed GitHub delivery is 202, its replay 200 and not accepted; a GitLab token works; a bad or missing signature is 401")
    func webhook() async throws {
        let fixture = try await Fixture()
        try await fixture.app.test(.router) { client in
            let body = #"{"ref":"refs/heads/main"}"#
            let github: HTTPFields = [
                HTTPField.Name("x-hub-signature-256")!: Self.signature(body), HTTPField.Name("x-github-delivery")!: "d-1",
            ]
            let accepted = try await client.execute(uri: "/hooks/git", method: .post, headers: github, body: ByteBuffer(string: body))
            #expect(accepted.status == .accepted)
            #expect(Self.json(accepted)?["accepted"] as? Bool == true)
            let replay = try await client.execute(uri: "/hooks/git", method: .post, headers: github, body: ByteBuffer(string: body))
            #expect(replay.status == .ok)
            #expect(Self.json(replay)?["accepted"] as? Bool == false)
            #expect(Self.json(replay)?["reason"] as? String == "delivery already received")

            let gitlab = try await client.execute(
                uri: "/hooks/git", method: .post, headers: [HTTPField.Name("x-gitlab-token")!: Self.secret, HTTPField.Name("x-gitlab-event-uuid")!: "g-1"],
                body: ByteBuffer(string: body))
            #expect(gitlab.status == .accepted)

            let refusals: [(HTTPFields, String)] = [
                ([:], "webhook refused: no X-Hub-Signature-256 or X-Gitlab-Token header"),
                ([HTTPField.Name("x-hub-signature-256")!: Self.signature(body, secret: "guess")], "webhook refused: signature mismatch"),
                ([HTTPField.Name("x-hub-signature-256")!: "md5=abc"], "webhook refused: X-Hub-Signature-256 is not sha256=<hex>"),
                ([HTTPField.Name("x-gitlab-token")!: "guess"], "webhook refused: token mismatch"),
            ]
            for (headers, message) in refusals {
                let response = try await client.execute(uri: "/hooks/git", method: .post, headers: headers, body: ByteBuffer(string: body))
                #expect(response.status == .unauthorized, "\(message)")
                #expect(Self.error(response) == message)
            }
            // A body changed after signing does not pass.
            let tampered = try await client.execute(
                uri: "/hooks/git", method: .post, headers: [HTTPField.Name("x-hub-signature-256")!: Self.signature(body)],
                body: ByteBuffer(string: body + " "))
            #expect(tampered.status == .unauthorized)
        }
    }

    @Test("webhook: a body over 25 MB is 413 from its declared length; without a configured secret /hooks/git is 404")
    func webhookLimits() async throws {
        let fixture = try await Fixture()
        try await fixture.app.test(.router) { client in
            let huge = ByteBuffer(repeating: UInt8(ascii: " "), count: WebhookVerifier.maximumBody + 1)
            let response = try await client.execute(
                uri: "/hooks/git", method: .post, headers: [HTTPField.Name("x-hub-signature-256")!: "sha256=00"], body: huge)
            #expect(response.status.code == 413)
            #expect(response.headers[.connection] == "close")
        }
        let off = try await Fixture(webhooks: false)
        try await off.app.test(.router) { client in
            let response = try await client.execute(uri: "/hooks/git", method: .post, body: ByteBuffer(string: "{}"))
            #expect(response.status == .notFound)
            #expect(Self.error(response)?.hasPrefix("webhooks are not configured") == true)
        }
    }

    // MARK: - routing

    @Test("unknown paths are 404 and wrong methods 405 naming the allowed ones; a /v1 body over 1 MiB is 413")
    func routing() async throws {
        let fixture = try await Fixture()
        try await fixture.app.test(.router) { client in
            for path in ["/", "/status", "/v2/models", "/hooks/gitlab"] {
                let response = try await client.execute(uri: path, method: .get)
                #expect(response.status == .notFound, "\(path)")
                #expect(Self.error(response)?.hasPrefix("no route GET \(path)") == true, "\(path): \(Self.error(response) ?? "")")
            }
            for path in ["/v1/models", "/v1/models/fraud/history/extra"] {
                let response = try await client.execute(uri: path, method: .get, headers: Self.authorized)
                #expect(response.status == .notFound, "\(path)")
            }
            let wrong: [(HTTPRequest.Method, String, String)] = [
                (.post, "/v1/status", "GET"), (.delete, "/v1/models/fraud", "GET"), (.put, "/v1/models/fraud/history", "GET"),
                (.get, "/hooks/git", "POST"), (.post, "/healthz", "GET"), (.post, "/metrics", "GET"),
            ]
            for (method, path, allowed) in wrong {
                let response = try await client.execute(uri: path, method: method, headers: Self.authorized)
                #expect(response.status == .methodNotAllowed, "\(method) \(path)")
                #expect(response.headers[.allow] == allowed, "\(method) \(path)")
            }
            let huge = ByteBuffer(repeating: UInt8(ascii: " "), count: ControllerAPI.maximumBody + 1)
            let oversize = try await client.execute(uri: "/v1/models/fraud/abort", method: .post, headers: Self.authorized, body: huge)
            #expect(oversize.status.code == 413)
            let anonymous = try await client.execute(uri: "/v1/models/fraud/abort", method: .post, body: huge)
            #expect(anonymous.status == .unauthorized, "the token is checked before the size")
        }
    }
}

/// A fake data plane for these route tests: every version of the applied spec is ready at
/// once. (It only has to let a pass succeed; it does not model start-up or traffic.)
private actor FakeReadyBackend: DataPlaneBackend {
    private var spec: RuntimeSpec?

    func apply(_ spec: RuntimeSpec) async throws(DataPlaneError) -> ObservedState {
        self.spec = spec
        return observed()
    }

    func currentSpec() async throws(DataPlaneError) -> RuntimeSpec? { spec }

    func observe() async throws(DataPlaneError) -> ObservedState { observed() }

    func stats(windowSeconds: Int) async throws(DataPlaneError) -> StatsSnapshot { StatsSnapshot(models: [:]) }

    func monitoring(after: Int64?) async throws(DataPlaneError) -> MonitoringBatch {
        MonitoringBatch(now: Int64(Date().timeIntervalSince1970), bucketSeconds: 60, buckets: [])
    }

    private func observed() -> ObservedState {
        ObservedState(revision: spec?.revision, models: (spec?.models ?? []).map { model in
            ObservedModel(
                name: model.name, ready: true, weights: model.route.weights,
                effectiveWeights: model.route.weights.mapValues(Double.init),
                versions: model.versions.map { ObservedVersion(name: $0.name, runtime: $0.runtime, state: .ready, ready: true, serving: true) })
        })
    }
}
