import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import SluiceCore
import SluiceTestSupport
import Testing
@testable import SluiceController

/// The web dashboard at `/ui` over real HTTP on loopback (Hummingbird's live test client)
/// and a real controller (git, SQLite, the fake data plane): what the pages show, login
/// and sessions, the viewer token, and the action forms with their CSRF token.
@Suite("controller dashboard", .timeLimit(.minutes(10)))
struct DashboardTests {
    static let token = "operator-token-for-dashboard-tests"
    static let viewer = "viewer-token-for-dashboard-tests"

    static func withDashboard(_ fixture: ControllerFixture, _ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let api = ControllerAPI(controller: fixture.controller, token: token, webhookSecret: nil, viewerToken: viewer)
        try await Application(router: api.router()).test(.live) { client in try await body(client) }
    }

    static func get(_ client: any TestClientProtocol, _ path: String, headers: HTTPFields) async throws -> (HTTPResponse.Status, String) {
        let response = try await client.execute(uri: path, method: .get, headers: headers)
        return (response.status, String(buffer: response.body))
    }

    static func post(_ client: any TestClientProtocol, _ path: String, cookie: String? = nil, form: String) async throws -> TestResponse {
        var headers: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
        if let cookie { headers[.cookie] = cookie }
        return try await client.execute(uri: path, method: .post, headers: headers, body: ByteBuffer(string: form))
    }

    /// Logs in with `token` through the form; returns the `Cookie` header value to send.
    static func login(_ client: any TestClientProtocol, _ token: String) async throws -> String {
        let response = try await post(client, "/ui/login", form: "token=\(token)")
        #expect(response.status == .seeOther)
        #expect(response.headers[.location] == "/ui/")
        let setCookie = try #require(response.headers[.setCookie])
        #expect(setCookie.contains("HttpOnly"))
        #expect(setCookie.contains("SameSite=Strict"))
        #expect(!setCookie.contains(token), "the token itself never goes into the cookie")
        return try #require(setCookie.split(separator: ";").first.map(String.init))
    }

    /// The CSRF token in a page's forms.
    static func csrf(_ page: String) throws -> String {
        let marker = "name=\"csrf\" value=\""
        let start = try #require(page.range(of: marker)).upperBound
        let end = try #require(page[start...].firstIndex(of: "\""))
        return String(page[start..<end])
    }

    @Test("the models page lists each model with its weights; without a token or with a wrong one it is the login page")
    func modelsPage() async throws {
        let (fixture, _) = try await CanaryPassTests.canary(Manifests.rollout(["weight: 30", "pause: 1h"]))
        await fixture.settle()
        #expect(fixture.weights() == ["v1": 70, "v2": 30])
        try await Self.withDashboard(fixture) { client in
            let (status, page) = try await Self.get(client, "/ui", headers: [.authorization: "Bearer \(Self.token)"])
            #expect(status == .ok)
            #expect(page.contains("<a href=\"/ui/models/fraud\">fraud</a>"), "\(page)")
            #expect(page.contains("v1 70%"))
            #expect(page.contains("v2 30%"))
            #expect(page.contains("<noscript><meta http-equiv=\"refresh\""), "with JavaScript off it reloads itself")
            #expect(page.contains("name=\"viewport\""))
            #expect(!page.contains("<script>"), "no inline script; the table is in the HTML, readable with JavaScript off")
            #expect(!page.contains("http://") && !page.contains("https://"), "nothing loaded from elsewhere")
            for headers: HTTPFields in [[:], [.authorization: "Bearer wrong"]] {
                let (refused, login) = try await Self.get(client, "/ui", headers: headers)
                #expect(refused == .unauthorized)
                #expect(login.contains("<form method=\"post\" action=\"/ui/login\">"))
                #expect(!login.contains("fraud"))
            }
        }
    }

    @Test("a model page after an aborted canary shows the Failed verdict, the check's value and threshold, and the abort in the history")
    func abortedCanary() async throws {
        let fixture = try await AnalysisPassTests.analysed()
        fixture.backend.script("fraud", "v2", .init(errorRate: 0.3))
        await AnalysisPassTests.interval(fixture)
        #expect(await fixture.state()?.reason.rawValue == "AnalysisFailed")
        try await Self.withDashboard(fixture) { client in
            let (status, page) = try await Self.get(client, "/ui/models/fraud", headers: [.authorization: "Bearer \(Self.viewer)"])
            #expect(status == .ok)
            #expect(page.contains("AnalysisFailed"))
            #expect(page.contains("<td class=\"Failed\">Failed</td>"), "\(page)")
            #expect(page.contains("<td>0.3</td>"), "the measured value")
            #expect(page.contains("max 0.1"), "the threshold")
            #expect(page.contains("<svg"), "the measurement chart")
            #expect(page.contains("class=\"threshold\""), "the chart's threshold line")
            #expect(page.contains("<circle") && page.contains("class=\"Failed\" fill"), "a point coloured by its verdict")
            #expect(page.contains("<td>aborted</td>"), "the history")
            #expect(page.contains("v1 100%"), "the split")
            #expect(!page.contains("<h2>Actions</h2>"), "a viewer sees no action")
            let (missing, _) = try await Self.get(client, "/ui/models/nope", headers: [.authorization: "Bearer \(Self.viewer)"])
            #expect(missing == .notFound)
        }
    }

    @Test("names and messages from git are escaped on every page")
    func hostileNamesEscaped() throws {
        let hostile = "<script>alert(1)</script>\"'&"
        var state = RolloutState(name: hostile, now: 0)
        state.message = "\"><img src=x onerror=alert(2)>"
        let models = DashboardPages.models([state], error: hostile, csrf: nil)
        let model = DashboardPages.model(
            .init(state: state, measurements: [], monitors: [], history: []), role: .operator, csrf: "\"><b>csrf")
        for page in [models, model] {
            #expect(!page.contains("<script>"))
            #expect(!page.contains("<img"))
            #expect(!page.contains("<b>"))
            #expect(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;"))
        }
        #expect(models.contains("/ui/models/%3Cscript%3Ealert%281%29%3C%2Fscript%3E%22%27%26"), "the link's path is percent-encoded")
    }

    @Test("login sets a session cookie that opens the pages; logout ends it; a wrong token is refused")
    func loginAndLogout() async throws {
        let (fixture, _) = try await CanaryPassTests.canary(Manifests.rollout(["weight: 30", "pause: 1h"]))
        await fixture.settle()
        try await Self.withDashboard(fixture) { client in
            let wrong = try await Self.post(client, "/ui/login", form: "token=nope")
            #expect(wrong.status == .unauthorized)
            #expect(wrong.headers[.setCookie] == nil)
            #expect(String(buffer: wrong.body).contains("not one of the controller&#39;s"))
            let cookie = try await Self.login(client, Self.token)
            let (status, page) = try await Self.get(client, "/ui", headers: [.cookie: cookie])
            #expect(status == .ok)
            #expect(page.contains("fraud"))
            let logout = try await Self.post(client, "/ui/logout", cookie: cookie, form: "csrf=\(try Self.csrf(page))")
            #expect(logout.status == .seeOther)
            #expect(logout.headers[.setCookie]?.contains("Max-Age=0") == true)
            let (after, _) = try await Self.get(client, "/ui", headers: [.cookie: cookie])
            #expect(after == .unauthorized, "the session is gone on the server")
        }
    }

    @Test("a viewer session reads everything and gets 403 on an action; nothing changes")
    func viewerCannotAct() async throws {
        let (fixture, _) = try await CanaryPassTests.canary(Manifests.rollout(["weight: 30", "pause: 1h"]))
        await fixture.settle()
        try await Self.withDashboard(fixture) { client in
            let cookie = try await Self.login(client, Self.viewer)
            let (status, page) = try await Self.get(client, "/ui/models/fraud", headers: [.cookie: cookie])
            #expect(status == .ok)
            #expect(page.contains("v2 30%"))
            #expect(!page.contains("<h2>Actions</h2>"))
            let refused = try await Self.post(client, "/ui/models/fraud/abort", cookie: cookie, form: "csrf=\(try Self.csrf(page))&confirm=yes")
            #expect(refused.status == .forbidden)
            let bearer = try await client.execute(
                uri: "/ui/models/fraud/abort", method: .post,
                headers: [.authorization: "Bearer \(Self.viewer)", .contentType: "application/x-www-form-urlencoded"], body: ByteBuffer(string: "confirm=yes"))
            #expect(bearer.status == .forbidden)
        }
        await fixture.settle(.command)
        #expect(fixture.weights() == ["v1": 70, "v2": 30])
        #expect(try fixture.events(kind: "aborted").isEmpty)
    }

    @Test("an operator's abort needs the session's CSRF token and the confirmation; then it is done and the history names the dashboard")
    func operatorActsWithCSRF() async throws {
        let (fixture, _) = try await CanaryPassTests.canary(Manifests.rollout(["weight: 30", "pause: 1h"]))
        await fixture.settle()
        try await Self.withDashboard(fixture) { client in
            let cookie = try await Self.login(client, Self.token)
            let (_, page) = try await Self.get(client, "/ui/models/fraud", headers: [.cookie: cookie])
            #expect(page.contains("<h2>Actions</h2>"))
            for label in ["Promote", "Promote fully", "Abort", "Retry", "Approve"] { #expect(page.contains("<button>\(label)</button>"), "\(label)") }
            let csrf = try Self.csrf(page)
            let missing = try await Self.post(client, "/ui/models/fraud/abort", cookie: cookie, form: "confirm=yes")
            #expect(missing.status == .forbidden)
            let wrong = try await Self.post(client, "/ui/models/fraud/abort", cookie: cookie, form: "csrf=\(DashboardSessions.randomToken())&confirm=yes")
            #expect(wrong.status == .forbidden)
            let unconfirmed = try await Self.post(client, "/ui/models/fraud/abort", cookie: cookie, form: "csrf=\(csrf)")
            #expect(unconfirmed.status == .badRequest)
            #expect(try fixture.events(kind: "aborted").isEmpty, "nothing refused reached the controller")
            let done = try await Self.post(client, "/ui/models/fraud/abort", cookie: cookie, form: "csrf=\(csrf)&confirm=yes")
            #expect(done.status == .ok)
            #expect(String(buffer: done.body).contains("aborted the rollout of fraud"))
        }
        await fixture.settle(.command)
        #expect(fixture.weights() == ["v1": 100])
        let requested = try #require(try fixture.events(kind: "aborted").first)
        #expect(requested.actor == "controller-token", "the name of the token the session logged in with")
    }
}
