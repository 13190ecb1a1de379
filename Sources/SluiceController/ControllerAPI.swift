import Foundation
import HTTPTypes
import Hummingbird
import NIOHTTP1
import SluiceConfig
import SluiceCore
import SluiceGit
import SluiceServe
import SluiceStore

/// The controller's HTTP API. Who may call each route is ``ControllerRoutes``: `/v1/*` needs
/// a named token whose role allows the route (checked on the head, before any body byte is
/// read); `/hooks/git` needs a valid webhook signature; `/healthz` and `/v1/leader` are
/// open, and `/metrics` too unless a metrics token is configured (all read-only, no secrets).
///
/// - `/ui`: the web dashboard (``DashboardRoutes``)
/// - `GET /v1/status`, `GET /v1/models/{model}`, `GET /v1/models/{model}/history`,
///   `GET /v1/history` (the audit trail, paginated)
/// - `POST /v1/models/{model}/{promote|abort|retry|approve}` (`?full=true`, `?overrideWindow=true`,
///   `?monitor=NAME`); the actor recorded is the token's name, whatever the request says
struct ControllerAPI: Sendable {
    private let controller: Controller
    private let credentials: APICredentials
    private let webhook: WebhookVerifier?
    private let metricsToken: BearerToken?
    /// The listener's shared body budget (``ServerLimits/bufferedBodies``): many webhook
    /// deliveries cannot each hold 25 MB at once.
    private let budget: BodyBudget
    /// The KServe payload-logger collector and its feedback route (the `kserve` driver).
    private let collector: KServeLogCollector?
    /// The web dashboard at `/ui` (its own login: any named token).
    private let dashboard: DashboardRoutes

    /// An API whose only tokens are `token` (an admin named `controller-token`) and
    /// `viewerToken` (a viewer named `viewer-token`), as before named tokens.
    init(
        controller: Controller, token: String, webhookSecret: String?, metricsToken: String? = nil,
        budget: BodyBudget = BodyBudget(limit: ServerLimits().bufferedBodies), collector: KServeLogCollector? = nil,
        viewerToken: String? = nil
    ) {
        self.init(
            controller: controller, tokens: APICredentials.legacy(apiToken: token, viewerToken: viewerToken), webhookSecret: webhookSecret,
            metricsToken: metricsToken, budget: budget, collector: collector)
    }

    /// An API that knows `tokens` (``ControllerSecrets/tokens``).
    init(
        controller: Controller, tokens: [APIToken], webhookSecret: String?, metricsToken: String? = nil,
        budget: BodyBudget = BodyBudget(limit: ServerLimits().bufferedBodies), collector: KServeLogCollector? = nil
    ) {
        self.controller = controller
        credentials = APICredentials(tokens)
        dashboard = DashboardRoutes(controller: controller, credentials: credentials, sessions: DashboardSessions())
        self.collector = collector
        self.budget = budget
        self.metricsToken = metricsToken.map(BearerToken.init)
        webhook = webhookSecret.map { WebhookVerifier(secret: Array($0.utf8)) }
    }

    /// Bodies of `/v1` requests (none is expected) are capped like the admin API's.
    static let maximumBody = 1 << 20

    /// `{"ok": true}`.
    struct Health: Codable, Sendable {
        var ok: Bool
    }

    /// `GET /v1/leader` on the replica that acts: `{"leader": true}`.
    struct Leadership: Codable, Sendable {
        var leader: Bool
    }

    /// What a command did: `{"message": "…"}`.
    struct CommandReply: Codable, Sendable {
        var message: String
    }

    /// A webhook delivery: `{"accepted": true}`, or false with the reason (a replay).
    struct WebhookReply: Codable, Sendable {
        var accepted: Bool
        var reason: String?
    }

    /// The routes: errors first (so every refusal is an ``APIError``), then the roles of
    /// ``ControllerRoutes``, then the body limits, then the routes themselves.
    func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: APIErrorMiddleware())
        let collector = self.collector
        // The collector's routes guard themselves: KServe's logger sends no token (the
        // NetworkPolicy limits who reaches it), and feedback checks its own token.
        router.add(middleware: APIAccessMiddleware(credentials: credentials, collector: collector != nil))
        router.add(middleware: BodyLimitMiddleware { path in
            if path == "/hooks/git" { return WebhookVerifier.maximumBody }
            // The collector caps its bodies itself, and still counts a call whose body was too big.
            if collector != nil, path.hasPrefix(KServeLogCollector.collectorPrefix) { return Int.max }
            return Self.maximumBody
        })
        collector?.addRoutes(to: router, budget: budget)
        dashboard.addRoutes(to: router)
        let controller = self.controller
        let webhook = self.webhook
        let metricsToken = self.metricsToken
        let budget = self.budget
        let credentials = self.credentials

        router.get("/healthz") { _, _ in JSONAnswer(Health(ok: true), pretty: false) }
        router.get("/metrics") { request, _ -> Response in
            if let metricsToken, !metricsToken.admits(authorization: request.headers[.authorization]) {
                throw APIError.unauthorized(realm: "sluice-metrics")
            }
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: await controller.metricsText() + (collector?.metricsText() ?? ""))))
        }
        router.post("/hooks/git") { request, _ -> JSONAnswer<WebhookReply> in
            guard let webhook else { throw Self.webhooksOff }
            let headers = HTTPHeaders(request.headers.map { ($0.name.rawName, $0.value) })
            // The signature's form is checked on the head: a delivery that cannot pass is
            // refused before its (up to 25 MB) body is read.
            if case .refused(let why)? = webhook.screen(headers) { throw Self.webhookRefused(why) }
            let body = try await BodyLimit.collect(request, limit: WebhookVerifier.maximumBody, budget: budget)
            switch webhook.verify(headers: headers, body: body) {
            case .accepted(let forge):
                let keys = WebhookVerifier.deliveryKeys(headers, forge: forge)
                let replay = JSONAnswer(WebhookReply(accepted: false, reason: "delivery already received"), pretty: false)
                // A delivery recorded before (a replay) triggers nothing. A new one starts its
                // pass first and is recorded (a durable write) while the pass fetches; the record
                // still decides the answer, so of two copies arriving together one is a replay
                // (both may trigger: a pass is level-triggered, so one more is harmless, as it
                // is when the store cannot say).
                if !keys.isEmpty, (try? controller.store.hasDelivery(keys: keys)) == true { return replay }
                await controller.trigger(.webhook(forge: forge.rawValue))
                let fresh = keys.isEmpty || ((try? controller.store.recordDelivery(keys: keys, at: Date().timeIntervalSince1970)) ?? true)
                guard fresh else { return replay }
                return JSONAnswer(WebhookReply(accepted: true), status: .accepted, pretty: false)
            case .refused(let why):
                throw Self.webhookRefused(why)
            }
        }

        router.get("/v1/status") { _, _ in
            let states = await controller.status()
            let error = await controller.lastError()
            var monitors: [String: [MonitorStatus]] = [:]
            var replicas: [String: [String: ObservedReplicas]] = [:]
            for state in states {
                monitors[state.name] = await controller.monitors(of: state.name)
                replicas[state.name] = await controller.replicas(of: state.name)
            }
            let source = await controller.sourceVerification()
            return JSONAnswer(StatusJSON.document(states, monitors: monitors, replicas: replicas, error: error, source: source))
        }
        router.get("/v1/models/:model") { _, context in
            let model = try context.parameters.require("model")
            guard let state = await controller.status(of: model) else { throw Self.unknownModel(model) }
            let measurements = (try? await controller.measurements(of: model)) ?? []
            let monitors = await controller.monitors(of: model)
            let replicas = await controller.replicas(of: model)
            return JSONAnswer(StatusJSON.detail(state, monitors: monitors, replicas: replicas, measurements: measurements))
        }
        router.get("/v1/models/:model/history") { _, context in
            let model = try context.parameters.require("model")
            // `_controller`: the controller-wide events (reconcileError, reconcileRecovered).
            let known = model == ControllerStore.controllerScope ? true : await controller.status(of: model) != nil
            guard known else { throw Self.unknownModel(model) }
            let entries = (try? await controller.history(of: model)) ?? []
            return JSONAnswer(StatusJSON.history(entries))
        }
        router.get(RouterPath(ControllerRoutes.history.path)) { request, _ in
            try await Self.auditPage(request, controller: controller)
        }
        // One route per command (each in the roles table); any other name is 404.
        for route in ControllerRoutes.commands {
            let name = String(route.path.split(separator: "/").last ?? "")
            router.post(RouterPath(route.path)) { request, context -> JSONAnswer<CommandReply> in
                let model = try context.parameters.require("model")
                // The middleware let only a known token with the command's role through.
                guard let caller = credentials.caller(authorization: request.headers[.authorization]) else {
                    throw APIError.unauthorized(realm: "sluice-controller")
                }
                let command = try Self.command(name, model: model, request: request, actor: caller.name)
                switch await controller.submit(command) {
                case .done(let message): return JSONAnswer(CommandReply(message: message), pretty: false)
                case .refused(let message): throw APIError(.conflict, message)
                case .unknownModel: throw Self.unknownModel(model)
                case .unavailable(let message): throw APIError(.serviceUnavailable, message)
                }
            }
        }
        router.post("/v1/models/:model/:command") { _, context -> Response in
            let name = try context.parameters.require("command")
            throw APIError(.notFound, "no command '\(name.prefix(64))' (commands: promote, abort, retry, approve)")
        }
        // The readiness probe of a replicated controller: only the leader is ready, so the
        // Service sends commands, webhooks and payload-logger events to the one that acts.
        router.get("/v1/leader") { _, _ -> JSONAnswer<Leadership> in
            let leading = await controller.isActing()
            guard leading else { throw APIError(.serviceUnavailable, "this replica is a follower; another one holds the lease") }
            return JSONAnswer(Leadership(leader: true), pretty: false)
        }
        // Every path of the table answers 405 to the methods it does not list (the collector's
        // and the dashboard's register their own).
        let own = ControllerRoutes.methodsByPath.filter { path, _ in
            !path.hasPrefix("/ui") && !path.hasPrefix(KServeLogCollector.collectorPrefix) && !path.hasPrefix(KServeLogCollector.feedbackPrefix)
        }
        router.refuseOtherMethods(own.filter { path, _ in !ControllerRoutes.commands.contains { $0.path == path } })
        return router
    }

    /// The command a `POST /v1/models/{model}/{name}` asks for, by `actor` (the token's name:
    /// a header claiming someone else is not read).
    private static func command(_ name: String, model: String, request: Request, actor: String) throws -> Controller.Command {
        switch name {
        case "promote":
            let query = request.uri.queryParameters
            return .promote(model: model, full: query.get("full") == "true", actor: actor, overrideWindow: query.get("overrideWindow") == "true")
        case "abort": return .abort(model: model, actor: actor)
        case "retry": return .retry(model: model, actor: actor)
        default:
            guard let monitor = request.uri.queryParameters.get("monitor"), !monitor.isEmpty else {
                throw APIError(.badRequest, "approve needs ?monitor=NAME")
            }
            return .approve(model: model, monitor: monitor, actor: actor)
        }
    }

    /// The most events one page of `GET /v1/history` holds, and the default.
    static let auditPageLimit = 1000
    static let auditPageDefault = 500

    /// `GET /v1/history?model=&since=&until=&after=&limit=`: one page of the audit trail,
    /// read from the store (never the controller's loop), at most ``auditPageLimit`` events.
    static func auditPage(_ request: Request, controller: Controller) async throws -> JSONAnswer<AuditPage> {
        let parameters = request.uri.queryParameters
        var query = ControllerStore.AuditQuery(limit: auditPageDefault)
        for (name, path) in [("since", \ControllerStore.AuditQuery.since), ("until", \ControllerStore.AuditQuery.until)] {
            guard let text = parameters.get(name) else { continue }
            guard let seconds = AuditTime.parse(rfc3339: text) else {
                throw APIError(.badRequest, "\(name): expected an RFC 3339 time such as 2026-12-05T08:00:00Z, found '\(text.prefix(64))'")
            }
            query[keyPath: path] = seconds
        }
        if let since = query.since, let until = query.until, since >= until {
            throw APIError(.badRequest, "since must be before until")
        }
        if let text = parameters.get("after") {
            guard let after = Int64(text), after >= 0 else { throw APIError(.badRequest, "after: expected an event id (a whole number), found '\(text.prefix(64))'") }
            query.after = after
        }
        if let text = parameters.get("limit") {
            guard let limit = Int(text), (1...auditPageLimit).contains(limit) else {
                throw APIError(.badRequest, "limit: expected 1 to \(auditPageLimit), found '\(text.prefix(64))'")
            }
            query.limit = limit
        }
        if let model = parameters.get("model") {
            // A model gone from git keeps its history; one that never had any is a typo.
            var known = model == ControllerStore.controllerScope || ((try? controller.store.hasHistory(model)) ?? false)
            if !known { known = await controller.status(of: model) != nil }
            guard known else { throw Self.unknownModel(model) }
            query.model = model
        }
        do {
            return JSONAnswer(try controller.store.audit(query), pretty: false)
        } catch {
            throw APIError(.internalServerError, "the history could not be read: \(error)")
        }
    }

    private static func unknownModel(_ model: String) -> APIError {
        APIError(.notFound, "no model '\(model)'")
    }

    private static func webhookRefused(_ why: String) -> APIError {
        APIError(.unauthorized, "webhook refused: \(why)", closesConnection: true)
    }

    private static let webhooksOff = APIError(
        .notFound, "webhooks are not configured (controller.webhookSecretEnv or webhookSecretFile)", closesConnection: true)
}

/// The JSON shapes of the API (also printed by `sluice status --format json`).
enum StatusJSON {
    static func document(
        _ states: [RolloutState], monitors: [String: [MonitorStatus]] = [:], replicas: [String: [String: ObservedReplicas]] = [:], error: String?,
        source: SourceVerification? = nil
    ) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("models", .array(states.map { summary($0, monitors: monitors[$0.name] ?? [], replicas: replicas[$0.name] ?? [:]) })),
        ]
        if let error { members.append(("error", .string(error))) }
        if let source { members.append(("source", Self.source(source))) }
        return .object(members)
    }

    /// The signature check of the head (`controller.verify`): `{"verification": "Unverified",
    /// "head": …, "commit": …, "reason": "unsigned", "message": …, "applied": …}`.
    static func source(_ source: SourceVerification) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("verification", .string(source.status.rawValue)), ("head", .string(source.head)), ("mode", .string(source.mode.rawValue)),
        ]
        for (key, value) in [("commit", source.commit), ("reason", source.reason?.rawValue), ("message", source.message), ("applied", source.applied)] {
            if let value { members.append((key, .string(value))) }
        }
        return .object(members)
    }

    static func summary(_ state: RolloutState, monitors: [MonitorStatus] = [], replicas: [String: ObservedReplicas] = [:]) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("name", .string(state.name)),
            ("sync", .string(state.isSynced ? "Synced" : "OutOfSync")),
            ("health", .string(state.health.rawValue)),
            ("reason", .string(state.reason.rawValue)),
            ("message", .string(state.message)),
        ]
        if let stable = state.stable {
            members.append(("stable", .object([
                ("version", .string(stable.primary)), ("revision", .string(stable.revision)), ("split", .string(stable.split)),
            ])))
        }
        if let candidate = state.candidate {
            // Steps count from 1 everywhere people see them (`step 2/3` in the message).
            var step: [(String, JSONValue)] = [("step", .int(candidate.stepNumber))]
            if let count = candidate.stepCount { step.append(("steps", .int(count))) }
            members += step
            members.append(("candidate", .object([
                ("version", .string(candidate.target.primary)), ("revision", .string(candidate.target.revision)),
                ("split", .string(candidate.target.split)),
            ] + step + [("weight", .int(candidate.weight))])))
        }
        if let outcome = state.lastRollout { members.append(("lastRollout", LastRolloutJSON(outcome).jsonValue)) }
        if let route = RolloutEngine.route(for: state) {
            members.append(("weights", .object(route.versions.map { ($0.name, .int(route.weights[$0.name] ?? 0)) })))
        }
        if let routing = RolloutEngine.routing(for: state) { members.append(("routing", routing.jsonValue)) }
        // Only a run of what serves or of the rollout it belongs to (not, say, of a spec a
        // fast rollback left).
        if let analysis = state.currentAnalysis {
            var fields: [(String, JSONValue)] = [
                ("verdict", .string(analysis.verdict.rawValue)), ("summary", .string(analysis.summary)), ("at", .number(analysis.at)),
                ("phase", .object([("kind", .string(analysis.effectivePhase.kind.rawValue)), ("percent", .int(analysis.effectivePhase.percent))])),
            ]
            if let revision = analysis.revision { fields.append(("revision", .string(revision))) }
            members.append(("lastAnalysis", .object(fields)))
        }
        if let shadow = state.lastShadow { members.append(("shadow", Self.shadow(shadow))) }
        members += windowMembers(state)
        for (key, value) in [("desiredRevision", state.desiredRevision), ("appliedRevision", state.appliedRevision), ("attemptedRevision", state.attemptedRevision), ("manifestError", state.manifestError)] {
            if let value { members.append((key, .string(value))) }
        }
        if !monitors.isEmpty { members.append(("monitors", .array(monitors.map(monitor)))) }
        if !replicas.isEmpty {
            members.append(("replicas", .object(replicas.sorted { $0.key < $1.key }.map { ($0.key, Self.replicas($0.value)) })))
        }
        return .object(members)
    }

    /// What the last shadow-step analysis saw: `{"percent": 100, "version": "v2", "pairs": 603,
    /// "agreement": 0.14, "agreementMin": 0.9, "shed": 12, …}` (absent values left out).
    static func shadow(_ shadow: ShadowSummary) -> JSONValue {
        var members: [(String, JSONValue)] = [("percent", .int(shadow.percent))]
        if let version = shadow.version { members.append(("version", .string(version))) }
        members += [
            ("verdict", .string(shadow.verdict.rawValue)), ("at", .number(shadow.at)), ("pairs", .int(shadow.pairs)),
            ("copies", .int(shadow.copies)), ("answered", .int(shadow.answered)), ("candidateErrors", .int(shadow.candidateErrors)),
            ("shed", .int(shadow.shed)), ("tolerance", .number(shadow.tolerance)),
        ]
        if let agreement = shadow.agreement { members.append(("agreement", .number(agreement))) }
        if let minimum = shadow.agreementMin { members.append(("agreementMin", .number(minimum))) }
        if let mae = shadow.meanAbsoluteError { members.append(("meanAbsoluteError", .number(mae))) }
        return .object(members)
    }

    /// A version's replicas: `{"desired": 3, "ready": 2, "minReplicas": 1, "maxReplicas": 8, …}`.
    static func replicas(_ replicas: ObservedReplicas) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("desired", .int(replicas.desired)), ("ready", .int(replicas.ready)),
            ("minReplicas", .int(replicas.minReplicas)), ("maxReplicas", .int(replicas.maxReplicas)),
        ]
        if let metric = replicas.metric { members.append(("metric", .string(metric.rawValue))) }
        if let target = replicas.target { members.append(("target", .number(target))) }
        if let load = replicas.load { members.append(("load", .number(load))) }
        if let limit = replicas.limitedBy { members.append(("limitedBy", .string(limit.rawValue))) }
        return .object(members)
    }

    /// A monitor's latest reading and whether it is firing.
    static func monitor(_ status: MonitorStatus) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("name", .string(status.monitor)), ("version", .string(status.version)),
            ("firing", status.firing.map { .string($0.rawValue) } ?? .null),
            ("breachStreak", .int(status.breachStreak)),
        ]
        if let latest = status.latest { members.append(("latest", latest.jsonValue())) }
        return .object(members)
    }

    static func detail(
        _ state: RolloutState, monitors: [MonitorStatus] = [], replicas: [String: ObservedReplicas] = [:],
        measurements: [ControllerStore.MeasurementEntry]
    ) -> JSONValue {
        guard case .object(var members) = summary(state, monitors: monitors, replicas: replicas) else { return .null }
        members.append(("measurements", .array(measurements.map { entry in
            .object([
                ("at", .number(entry.at)), ("weight", .int(entry.weight)), ("metric", .string(entry.metric)),
                ("value", entry.value.map(JSONValue.number) ?? .null), ("stableValue", entry.stableValue.map(JSONValue.number) ?? .null),
                ("threshold", .string(entry.threshold)), ("verdict", .string(entry.verdict)), ("detail", .string(entry.detail)),
            ])
        })))
        return .object(members)
    }

    static func history(_ entries: [ControllerStore.HistoryEntry]) -> JSONValue {
        .object([("events", .array(entries.map { entry in
            .object([
                ("at", .number(entry.at)), ("kind", .string(entry.kind.rawValue)), ("message", .string(entry.message)),
                ("revision", entry.revision.map(JSONValue.string) ?? .null), ("actor", .string(entry.actor)),
            ])
        }))])
    }
}
