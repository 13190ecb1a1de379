import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import SluiceConfig
import SluiceCore
import SluiceServe

/// The web dashboard at `/ui`: who may read it (any named token; ``ControllerRoutes`` says
/// which role each page and action needs), its login sessions and CSRF tokens, and its
/// pages and action forms.
///
/// A browser logs in once (`POST /ui/login` with the token in the form body) and gets an
/// HttpOnly, SameSite=Strict cookie holding a random session id; scripts may send
/// `Authorization: Bearer` instead. Actions are POST forms (an operator's or an admin's
/// only), each with the session's CSRF token and a ticked confirmation box; the history
/// records the token's name as the actor.
struct DashboardRoutes: Sendable {
    let controller: Controller
    /// The named tokens that may log in.
    let credentials: APICredentials
    let sessions: DashboardSessions

    static let cookie = "sluice_session"
    /// Login and action forms are small.
    static let maximumForm = 16 * 1024

    /// Who the request is: from its bearer header, else from its session cookie.
    struct Caller {
        var who: APICaller
        var role: APIRole { who.role }
        /// The session's CSRF token; nil for a bearer caller (a header a browser does not send by itself).
        var csrf: String?
    }

    /// Links to commits on the repository's host, when its remote names a known one.
    var commitLink: DashboardCommitLink? { DashboardCommitLink(remote: controller.config.repository) }

    func caller(_ request: Request) -> Caller? {
        if let authorization = request.headers[.authorization] {
            guard let who = credentials.caller(authorization: authorization) else { return nil }
            return Caller(who: who, csrf: nil)
        }
        guard let id = Self.cookieValue(request.headers[values: .cookie], name: Self.cookie), let session = sessions.session(id) else { return nil }
        return Caller(who: session.caller, csrf: session.csrf)
    }

    func addRoutes(to router: Router<BasicRequestContext>) {
        router.get(RouterPath(ControllerRoutes.dashboard.path)) { request, _ in await self.modelsPage(request) }
        router.get("/ui/dashboard.js") { _, _ in Self.script() }
        router.get("/ui/login") { _, _ in Self.html(.ok, DashboardPages.login()) }
        router.post("/ui/login") { request, _ in try await self.login(request) }
        router.post("/ui/logout") { request, _ in try await self.logout(request) }
        router.get(RouterPath(ControllerRoutes.dashboardModel.path)) { request, context in
            try await self.modelPage(request, model: context.parameters.require("model"))
        }
        router.post(RouterPath(ControllerRoutes.dashboardAction.path)) { request, context in
            try await self.act(request, model: context.parameters.require("model"), command: context.parameters.require("command"))
        }
    }

    func modelsPage(_ request: Request) async -> Response {
        guard let caller = caller(request) else { return Self.html(.unauthorized, DashboardPages.login()) }
        if let needed = ControllerRoutes.dashboard.requiredRole, !caller.role.allows(needed) { return Self.forbidden(caller, needs: needed, back: "/ui/login") }
        let states = await controller.status()
        let error = await controller.lastError()
        let source = await controller.sourceVerification()
        return Self.html(.ok, DashboardPages.models(states, error: error, csrf: caller.csrf, link: commitLink, source: source))
    }

    func modelPage(_ request: Request, model: String) async throws -> Response {
        guard let caller = caller(request) else { return Self.html(.unauthorized, DashboardPages.login()) }
        if let needed = ControllerRoutes.dashboardModel.requiredRole, !caller.role.allows(needed) { return Self.forbidden(caller, needs: needed, back: "/ui/") }
        guard let state = await controller.status(of: model) else {
            return Self.html(.notFound, DashboardPages.message("Not found", "No model '\(model)'.", back: "/ui/", csrf: caller.csrf))
        }
        let view = DashboardPages.ModelView(
            state: state, measurements: (try? await controller.measurements(of: model)) ?? [],
            monitors: await controller.monitors(of: model), readings: (try? await controller.monitorReadings(of: model)) ?? [],
            steps: await controller.rolloutSteps(of: model), link: commitLink, plan: await controller.headPlan(of: model),
            history: (try? await controller.history(of: model)) ?? [])
        return Self.html(.ok, DashboardPages.model(view, role: caller.role, csrf: caller.csrf))
    }

    func login(_ request: Request) async throws -> Response {
        let form = try await Self.form(request)
        guard let token = form["token"], let who = credentials.caller(token: token) else {
            return Self.html(.unauthorized, DashboardPages.login(error: "That token is not one of the controller's."))
        }
        let id = sessions.open(who)
        var response = Self.redirect("/ui/")
        response.headers[.setCookie] = "\(Self.cookie)=\(id); Path=/ui; HttpOnly; SameSite=Strict; Max-Age=\(Int(DashboardSessions.lifetime))"
        return response
    }

    func logout(_ request: Request) async throws -> Response {
        let form = try await Self.form(request)
        if let id = Self.cookieValue(request.headers[values: .cookie], name: Self.cookie), let session = sessions.session(id),
           DashboardSessions.same(form["csrf"] ?? "", session.csrf) {
            sessions.close(id)
        }
        var response = Self.redirect("/ui/login")
        response.headers[.setCookie] = "\(Self.cookie)=; Path=/ui; HttpOnly; SameSite=Strict; Max-Age=0"
        return response
    }

    func act(_ request: Request, model: String, command name: String) async throws -> Response {
        guard let caller = caller(request) else { return Self.html(.unauthorized, DashboardPages.login()) }
        let back = "/ui/models/\(DashboardHTML.pathSegment(model))"
        if let needed = ControllerRoutes.dashboardAction.requiredRole, !caller.role.allows(needed) { return Self.forbidden(caller, needs: needed, back: back) }
        let form = try await Self.form(request)
        if let csrf = caller.csrf, !DashboardSessions.same(form["csrf"] ?? "", csrf) {
            return Self.html(.forbidden, DashboardPages.message("Forbidden", "The form's CSRF token is missing or stale; reload the page and try again.", back: back, csrf: caller.csrf))
        }
        guard let kind = DashboardCommand(rawValue: name) else {
            return Self.html(.notFound, DashboardPages.message("Not found", "No command '\(name)' (promote, promote-fully, abort, retry, approve).", back: back, csrf: caller.csrf))
        }
        guard form["confirm"] == "yes" else {
            return Self.html(.badRequest, DashboardPages.message("Not confirmed", "Tick the confirmation box to \(name) \(model).", back: back, csrf: caller.csrf))
        }
        guard let command = kind.command(model: model, monitor: form["monitor"], actor: caller.who.name) else {
            return Self.html(.badRequest, DashboardPages.message("Bad request", "approve needs a monitor.", back: back, csrf: caller.csrf))
        }
        switch await controller.submit(command) {
        case .done(let message): return Self.html(.ok, DashboardPages.message("Done", message, back: back, csrf: caller.csrf))
        case .refused(let message): return Self.html(.conflict, DashboardPages.message("Refused", message, back: back, csrf: caller.csrf))
        case .unknownModel: return Self.html(.notFound, DashboardPages.message("Not found", "No model '\(model)'.", back: "/ui/", csrf: caller.csrf))
        case .unavailable(let message): return Self.html(.serviceUnavailable, DashboardPages.message("Unavailable", message, back: back, csrf: caller.csrf))
        }
    }

    // MARK: - HTTP helpers

    /// 403: the caller's role is lower than `needed`.
    static func forbidden(_ caller: Caller, needs needed: APIRole, back: String) -> Response {
        html(.forbidden, DashboardPages.message(
            "Forbidden", "The token '\(caller.who.name)' has the role \(caller.role); this needs \(needed).", back: back, csrf: caller.csrf))
    }

    /// An HTML answer, never cached, with a policy that allows only the dashboard's own
    /// script (same origin, no inline code) and no external load.
    static func html(_ status: HTTPResponse.Status, _ page: String) -> Response {
        Response(
            status: status,
            headers: [
                .contentType: "text/html; charset=utf-8", .cacheControl: "no-store",
                .contentSecurityPolicy: "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
                HTTPField.Name("x-content-type-options")!: "nosniff", HTTPField.Name("referrer-policy")!: "no-referrer",
            ],
            body: ResponseBody(byteBuffer: ByteBuffer(string: page)))
    }

    /// ``DashboardScript``: no secret in it, so it needs no login (the login page does not load it).
    static func script() -> Response {
        Response(
            status: .ok,
            headers: [.contentType: "text/javascript; charset=utf-8", .cacheControl: "no-cache", HTTPField.Name("x-content-type-options")!: "nosniff"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: DashboardScript.source)))
    }

    static func redirect(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location, .cacheControl: "no-store"])
    }

    /// The `application/x-www-form-urlencoded` body, at most ``maximumForm`` bytes.
    static func form(_ request: Request) async throws -> [String: String] {
        let body = try await request.body.collect(upTo: maximumForm)
        return parseForm(String(buffer: body))
    }

    static func parseForm(_ text: String) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ part: Substring) -> String? { part.replacingOccurrences(of: "+", with: " ").removingPercentEncoding }
            guard let key = parts.first.flatMap(decode), fields[key] == nil else { continue }
            fields[key] = parts.count > 1 ? decode(parts[1]) ?? "" : ""
        }
        return fields
    }

    /// The value of cookie `name` among `Cookie` header values.
    static func cookieValue(_ headers: [String], name: String) -> String? {
        for header in headers {
            for pair in header.split(separator: ";") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                if parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces) == name { return parts[1].trimmingCharacters(in: .whitespaces) }
            }
        }
        return nil
    }
}
