import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import SluiceConfig
import SluiceCore
import SluiceServe
import SluiceTestSupport
import Testing
@testable import SluiceController

/// Roles on the controller's listener: every route of ``ControllerRoutes`` (the table
/// `docs/controller.md` is generated from) called with a viewer's, an operator's and an
/// admin's token, no token and a wrong one, over a real controller (git, SQLite, the fake
/// data plane) with the webhook, the metrics token and the KServe collector on. The answers
/// must be exactly what the table says; the router may serve nothing the table lacks.
@Suite("controller API roles", .timeLimit(.minutes(10)))
struct ControllerRolesTests {
    static let tokens = [
        APIToken(name: "vera", role: .viewer, value: "viewer-token-for-role-tests"),
        APIToken(name: "otto", role: .operator, value: "operator-token-for-role-tests"),
        APIToken(name: "ada", role: .admin, value: "admin-token-for-role-tests"),
    ]
    static let feedbackToken = "feedback-token-for-role-tests"
    static let metricsToken = "metrics-token-for-role-tests"

    /// Who calls: one of the tokens' roles, no token, or a token the controller does not know.
    enum Caller: CaseIterable, CustomStringConvertible {
        case viewer, `operator`, admin, none, wrong

        var role: APIRole? {
            switch self {
            case .viewer: .viewer
            case .operator: .operator
            case .admin: .admin
            case .none, .wrong: nil
            }
        }

        var authorization: String? {
            switch self {
            case .none: nil
            case .wrong: "Bearer not-a-token-of-this-controller"
            default: "Bearer " + ControllerRolesTests.tokens.first { $0.role == role }!.value
            }
        }

        var description: String { role.map { "\($0)" } ?? (self == .none ? "no token" : "a wrong token") }
    }

    /// A request that exercises a route, and the answers it may get once access is granted
    /// (a command can be 200 the first time and 409 the next).
    struct Sample {
        var uri: String
        var body: String = ""
        var form = false
        var allowed: Set<Int>
    }

    /// One request per route of the table; a route without one fails the test.
    static let samples: [String: Sample] = [
        "GET /healthz": Sample(uri: "/healthz", allowed: [200]),
        "GET /v1/leader": Sample(uri: "/v1/leader", allowed: [200]),
        "GET /metrics": Sample(uri: "/metrics", allowed: [401]),
        "POST /hooks/git": Sample(uri: "/hooks/git", body: "{}", allowed: [401]),
        "GET /v1/status": Sample(uri: "/v1/status", allowed: [200]),
        "GET /v1/models/:model": Sample(uri: "/v1/models/fraud", allowed: [200]),
        "GET /v1/models/:model/history": Sample(uri: "/v1/models/fraud/history", allowed: [200]),
        "GET /v1/history": Sample(uri: "/v1/history?model=fraud", allowed: [200]),
        "POST /v1/models/:model/promote": Sample(uri: "/v1/models/fraud/promote", allowed: [200, 409]),
        "POST /v1/models/:model/abort": Sample(uri: "/v1/models/fraud/abort", allowed: [200, 409]),
        "POST /v1/models/:model/retry": Sample(uri: "/v1/models/fraud/retry", allowed: [200, 409]),
        "POST /v1/models/:model/approve": Sample(uri: "/v1/models/fraud/approve?monitor=drift", allowed: [409]),
        "POST /v1/collector/kserve/:model/:version": Sample(uri: "/v1/collector/kserve/fraud/v1", body: "{}", allowed: [400]),
        "POST /v1/feedback/:model": Sample(uri: "/v1/feedback/fraud", body: "{}", allowed: [401]),
        "GET /ui": Sample(uri: "/ui", allowed: [200]),
        "GET /ui/models/:model": Sample(uri: "/ui/models/fraud", allowed: [200]),
        "POST /ui/models/:model/:command": Sample(uri: "/ui/models/fraud/abort", body: "confirm=yes", form: true, allowed: [200, 409]),
        "GET /ui/dashboard.js": Sample(uri: "/ui/dashboard.js", allowed: [200]),
        "GET /ui/login": Sample(uri: "/ui/login", allowed: [200]),
        "POST /ui/login": Sample(uri: "/ui/login", body: "token=operator-token-for-role-tests", form: true, allowed: [303]),
        "POST /ui/logout": Sample(uri: "/ui/logout", body: "csrf=x", form: true, allowed: [303]),
    ]

    /// A canary waiting at a pause, and the API with every credential configured.
    static func api(configure: (inout ControllerConfig) -> Void = { _ in }) async throws -> (ControllerFixture, ControllerAPI) {
        let (fixture, _) = try await CanaryPassTests.canary(Manifests.rollout(["weight: 30", "pause: 1h"]), configure: configure)
        await fixture.settle()
        let collector = KServeLogCollector(
            bucketSeconds: 10, retentionSeconds: 600, sketchInputs: { _ in nil }, clock: ManualClock(), feedbackToken: { Self.feedbackToken })
        collector.setKnownVersions(["fraud": ["v1", "v2"]])
        let api = ControllerAPI(
            controller: fixture.controller, tokens: tokens, webhookSecret: "webhook-secret-for-role-tests", metricsToken: metricsToken,
            collector: collector)
        return (fixture, api)
    }

    static func call(_ client: some TestClientProtocol, _ route: ControllerRoutes.Route, _ sample: Sample, as caller: Caller) async throws -> TestResponse {
        var headers: HTTPFields = [:]
        if let authorization = caller.authorization { headers[.authorization] = authorization }
        if sample.form { headers[.contentType] = "application/x-www-form-urlencoded" }
        return try await client.execute(
            uri: sample.uri, method: route.method, headers: headers, body: sample.body.isEmpty ? nil : ByteBuffer(string: sample.body))
    }

    @Test("every route of the table, with each role, no token and a wrong token, answers exactly as the table (and so the docs) says")
    func everyRouteAnswersAsDocumented() async throws {
        let (fixture, api) = try await Self.api()
        #expect(Set(Self.samples.keys) == Set(ControllerRoutes.all.map(\.description)), "one sample per route of the table")
        try await Application(router: api.router()).test(.router) { client in
            for route in ControllerRoutes.all {
                let sample = try #require(Self.samples[route.description], "no sample for \(route)")
                var answers: [Int] = []
                for caller in Caller.allCases {
                    let response = try await Self.call(client, route, sample, as: caller)
                    let status = Int(response.status.code)
                    answers.append(status)
                    let what = "\(route) as \(caller): \(status) \(String(buffer: response.body).prefix(200))"
                    switch route.access.outcome(for: caller.role) {
                    case .allowed: #expect(sample.allowed.contains(status), "\(what)")
                    case .unauthorized: #expect(status == 401, "\(what)")
                    case .forbidden: #expect(status == 403, "\(what)")
                    case .notAPIToken: #expect(sample.allowed.contains(status), "\(what)")
                    }
                }
                if route.access.outcome(for: nil) == .notAPIToken {
                    #expect(Set(answers).count == 1, "\(route): the API's tokens change nothing here: \(answers)")
                }
            }
        }
        #expect(await fixture.state()?.candidate == nil, "the operator's abort (or promote) went through")
    }

    @Test("the router serves every route of the table, and any other route it has only refuses (404, 405)")
    func theRouterHasNoRouteTheTableLacks() async throws {
        let (_, api) = try await Self.api()
        let router = api.router()
        // The router spells a parameter `{model}`, the table `:model`.
        func spelled(_ path: String) -> String {
            "/" + path.split(separator: "/").map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }.joined(separator: "/")
        }
        let registered = router.routes.map { "\($0.method) \($0.path)" }
        let table = ControllerRoutes.all.map { "\($0.method) \(spelled($0.path))" }
        for route in table {
            #expect(registered.contains(route), "\(route) is in the table but not served")
        }
        let others = router.routes.filter { !table.contains("\($0.method) \($0.path)") }.map { (method: $0.method, path: "\($0.path)") }
        #expect(!others.isEmpty, "the 405 refusals are routes too")
        try await Application(router: router).test(.router) { client in
            for route in others {
                let uri = route.path.split(separator: "/").map { $0.hasPrefix("{") ? "x" + $0.dropFirst().dropLast() : String($0) }.joined(separator: "/")
                let response = try await client.execute(
                    uri: "/" + uri, method: route.method, headers: [.authorization: Caller.admin.authorization!])
                #expect([404, 405].contains(Int(response.status.code)), "\(route.method) \(route.path): \(response.status)")
            }
        }
    }

    @Test("the table says what the issue asks: viewers read, operators act, the bearer tokens open nothing that checks its own credential")
    func theTableReadsRight() {
        for route in ControllerRoutes.commands + [ControllerRoutes.dashboardAction] {
            #expect(route.access.outcome(for: .viewer) == .forbidden, "\(route)")
            #expect(route.access.outcome(for: .operator) == .allowed, "\(route)")
            #expect(route.access.outcome(for: .admin) == .allowed, "\(route)")
        }
        for route in [ControllerRoutes.status, ControllerRoutes.model, ControllerRoutes.history, ControllerRoutes.dashboard] {
            #expect(route.access.outcome(for: .viewer) == .allowed, "\(route)")
            #expect(route.access.outcome(for: nil) == .unauthorized, "\(route)")
        }
        for route in [ControllerRoutes.webhook, ControllerRoutes.metrics, ControllerRoutes.feedback] {
            #expect(route.access.outcome(for: .admin) == .notAPIToken, "\(route)")
        }
    }

    @Test("docs/controller.md holds the generated roles table")
    func docsTableIsTheGeneratedOne() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let docs = try String(contentsOf: root.appendingPathComponent("docs/controller.md"), encoding: .utf8)
        #expect(docs.contains("<!-- api-roles:start -->\n" + ControllerRoutes.markdown() + "<!-- api-roles:end -->"), "run scripts/update-generated.sh")
    }

    @Test("the actor of a command is the token's name, in the history and the notification: a header or form field naming someone else is ignored, from the API and the dashboard")
    func actorIsTheTokensName() async throws {
        let (fixture, api) = try await Self.api { $0.notifications = [NotificationTarget(name: "hook", kind: .generic, url: .environment("UNUSED"))] }
        try await Application(router: api.router()).test(.router) { client in
            var headers: HTTPFields = [.authorization: Caller.operator.authorization!]
            headers[HTTPField.Name("x-sluice-actor")!] = "ada"
            let promoted = try await client.execute(uri: "/v1/models/fraud/promote", method: .post, headers: headers)
            #expect(promoted.status == .ok)
            // The dashboard: a session logged in with the admin's token acts as the admin.
            let login = try await client.execute(
                uri: "/ui/login", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                body: ByteBuffer(string: "token=admin-token-for-role-tests&actor=otto"))
            let cookie = try #require(login.headers[.setCookie]?.split(separator: ";").first.map(String.init))
            let page = try await client.execute(uri: "/ui/models/fraud", method: .get, headers: [.cookie: cookie])
            let csrf = try DashboardTests.csrf(String(buffer: page.body))
            let aborted = try await client.execute(
                uri: "/ui/models/fraud/abort", method: .post, headers: [.cookie: cookie, .contentType: "application/x-www-form-urlencoded"],
                body: ByteBuffer(string: "csrf=\(csrf)&confirm=yes&actor=vera"))
            #expect(aborted.status == .ok, "\(String(buffer: aborted.body))")
        }
        let requested = try #require(try fixture.events(kind: "promoteRequested").first)
        #expect(requested.actor == "otto", "not the header's ada")
        let aborted = try #require(try fixture.events(kind: "aborted").last)
        #expect(aborted.actor == "ada", "not the form's vera")
        let queued = try fixture.store.dueNotifications(at: .greatestFiniteMagnitude, limitPerTarget: 100).map(\.notification)
        #expect(queued.first { $0.kind == .aborted }?.actor == "ada", "the notification names the same actor: \(queued)")
    }
}
