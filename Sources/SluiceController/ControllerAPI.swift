import Foundation
import NIOCore
import NIOHTTP1
import SluiceCore
import SluiceServe
import SluiceStore

/// The controller's HTTP API. `/v1/*` needs the bearer token; `/hooks/git` needs a valid
/// webhook signature; `/healthz` is open, and `/metrics` too unless a metrics token is
/// configured (both read-only, no secrets).
final class ControllerAPI: HTTPResponder {
    private let controller: Controller
    private let token: BearerToken
    private let webhook: WebhookVerifier?
    private let metricsToken: BearerToken?

    init(controller: Controller, token: String, webhookSecret: String?, metricsToken: String? = nil) {
        self.controller = controller
        self.token = BearerToken(token)
        self.metricsToken = metricsToken.map(BearerToken.init)
        webhook = webhookSecret.map { WebhookVerifier(secret: Array($0.utf8)) }
    }

    /// `/v1/*` checks the token on the head, so a caller without it never gets a body read.
    /// `/metrics` checks its token, when one is configured, the same way.
    func screen(_ head: HTTPRequestHead) -> HeadDecision {
        if head.uri.hasPrefix("/v1/"), !token.admits(head.headers) { return .refuse(BearerToken.unauthorized(realm: "sluice-controller")) }
        if head.uri == "/metrics" || head.uri.hasPrefix("/metrics?"), let metricsToken, !metricsToken.admits(head.headers) {
            return .refuse(BearerToken.unauthorized(realm: "sluice-metrics"))
        }
        if head.uri == "/hooks/git" || head.uri.hasPrefix("/hooks/git?") {
            guard let webhook else { return .refuse(Self.webhooksOff) }
            if case .refused(let why)? = webhook.screen(head.headers) { return .refuse(.error(.unauthorized, "webhook refused: \(why)")) }
            return .accept(maximumBody: WebhookVerifier.maximumBody)
        }
        return .accept(maximumBody: nil)
    }

    private static let webhooksOff = ServerResponse.error(
        .notFound, "webhooks are not configured (controller.webhookSecretEnv or webhookSecretFile)")

    func respond(to request: ServerRequest) -> EventLoopFuture<ServerResponse> {
        let controller = self.controller
        let path = String(request.path)
        let method = request.head.method
        let authorized = token.admits(request.head.headers)
        let webhook = self.webhook
        let metricsToken = self.metricsToken
        return request.eventLoop.makeFutureWithTask {
            switch (method, path) {
            case (.GET, "/healthz"):
                return .json(.ok, "{\"ok\":true}")
            case (.GET, "/metrics"):
                if let metricsToken, !metricsToken.admits(request.head.headers) { return BearerToken.unauthorized(realm: "sluice-metrics") }
                var headers = HTTPHeaders()
                headers.add(name: "content-type", value: "text/plain; version=0.0.4")
                return ServerResponse(status: .ok, headers: headers, body: ByteBuffer(string: await controller.metricsText()))
            case (.POST, "/hooks/git"):
                guard let webhook else { return Self.webhooksOff }
                switch webhook.verify(headers: request.head.headers, body: Array(request.body.readableBytesView)) {
                case .accepted(let forge):
                    let keys = WebhookVerifier.deliveryKeys(request.head.headers, forge: forge)
                    // A delivery seen before (a replay) triggers nothing; a store that cannot
                    // say is treated as new: a pass is level-triggered, so one more is harmless.
                    let fresh = keys.isEmpty || ((try? controller.store.recordDelivery(keys: keys, at: Date().timeIntervalSince1970)) ?? true)
                    guard fresh else { return .json(.ok, "{\"accepted\":false,\"reason\":\"delivery already received\"}") }
                    await controller.trigger(.webhook(forge: forge.rawValue))
                    return .json(.accepted, "{\"accepted\":true}")
                case .refused(let why):
                    return .error(.unauthorized, "webhook refused: \(why)")
                }
            default:
                break
            }
            guard path.hasPrefix("/v1/") else { return .error(.notFound, "no route \(path)") }
            guard authorized else {
                var headers = HTTPHeaders()
                headers.add(name: "www-authenticate", value: "Bearer realm=\"sluice-controller\"")
                return .error(.unauthorized, "missing or wrong bearer token", headers: headers)
            }
            let segments = path.split(separator: "/").map(String.init)
            switch (method, segments.count) {
            case (.GET, 2) where segments[1] == "status":
                let states = await controller.status()
                let error = await controller.lastError()
                var monitors: [String: [MonitorStatus]] = [:]
                for state in states { monitors[state.name] = await controller.monitors(of: state.name) }
                return .json(.ok, StatusJSON.document(states, monitors: monitors, error: error).serialized(indent: 2))
            case (.GET, 3) where segments[1] == "models":
                guard let state = await controller.status(of: segments[2]) else { return .error(.notFound, "no model '\(segments[2])'") }
                let measurements = (try? await controller.measurements(of: segments[2])) ?? []
                let monitors = await controller.monitors(of: segments[2])
                return .json(.ok, StatusJSON.detail(state, monitors: monitors, measurements: measurements).serialized(indent: 2))
            case (.GET, 4) where segments[1] == "models" && segments[3] == "history":
                guard await controller.status(of: segments[2]) != nil else { return .error(.notFound, "no model '\(segments[2])'") }
                let entries = (try? await controller.history(of: segments[2])) ?? []
                return .json(.ok, StatusJSON.history(entries).serialized(indent: 2))
            case (.POST, 4) where segments[1] == "models":
                let model = segments[2]
                let actor = request.head.headers.first(name: "x-sluice-actor") ?? "api"
                let outcome: Controller.CommandOutcome
                switch segments[3] {
                case "promote": outcome = await controller.promote(model, full: request.query("full") == "true", actor: actor)
                case "abort": outcome = await controller.abort(model, actor: actor)
                case "retry": outcome = await controller.retry(model, actor: actor)
                case "approve":
                    guard let monitor = request.query("monitor"), !monitor.isEmpty else {
                        return .error(.badRequest, "approve needs ?monitor=NAME")
                    }
                    outcome = await controller.approve(model: model, monitor: monitor, by: actor)
                default: return .error(.notFound, "no command '\(segments[3])'")
                }
                switch outcome {
                case .done(let message): return .json(.ok, JSONValue.object([("message", .string(message))]).serialized())
                case .refused(let message): return .error(.conflict, message)
                case .unknownModel: return .error(.notFound, "no model '\(model)'")
                }
            default:
                return .error(.notFound, "no route \(method) \(path)")
            }
        }
    }
}

/// The JSON shapes of the API (also printed by `sluice status --format json`).
enum StatusJSON {
    static func document(_ states: [RolloutState], monitors: [String: [MonitorStatus]] = [:], error: String?) -> JSONValue {
        var members: [(String, JSONValue)] = [("models", .array(states.map { summary($0, monitors: monitors[$0.name] ?? []) }))]
        if let error { members.append(("error", .string(error))) }
        return .object(members)
    }

    static func summary(_ state: RolloutState, monitors: [MonitorStatus] = []) -> JSONValue {
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
            members.append(("candidate", .object([
                ("version", .string(candidate.target.primary)), ("revision", .string(candidate.target.revision)),
                ("split", .string(candidate.target.split)), ("step", .int(candidate.step)), ("weight", .int(candidate.weight)),
            ])))
        }
        if let route = RolloutEngine.route(for: state) {
            members.append(("weights", .object(route.versions.map { ($0.name, .int(route.weights[$0.name] ?? 0)) })))
        }
        if let analysis = state.lastAnalysis {
            members.append(("lastAnalysis", .object([
                ("verdict", .string(analysis.verdict.rawValue)), ("summary", .string(analysis.summary)), ("at", .number(analysis.at)),
            ])))
        }
        for (key, value) in [("desiredRevision", state.desiredRevision), ("appliedRevision", state.appliedRevision), ("attemptedRevision", state.attemptedRevision), ("manifestError", state.manifestError)] {
            if let value { members.append((key, .string(value))) }
        }
        if !monitors.isEmpty { members.append(("monitors", .array(monitors.map(monitor)))) }
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

    static func detail(_ state: RolloutState, monitors: [MonitorStatus] = [], measurements: [ControllerStore.MeasurementEntry]) -> JSONValue {
        guard case .object(var members) = summary(state, monitors: monitors) else { return .null }
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
