import HTTPTypes
import SluiceCore

/// Every route of the controller's listener and who may call it: the one table the API's
/// role check reads, `docs/controller.md` (*Roles*) is generated from, and the roles test
/// walks. A route added to the router but not here answers 405 (see ``ControllerAPI``).
package enum ControllerRoutes {
    /// Who may call a route.
    package enum Access: Sendable, Hashable {
        /// Anyone.
        case open
        /// A bearer token of the API with at least this role: none or an unknown one is 401,
        /// a lower role 403, both from the head before any body byte is read.
        case role(APIRole)
        /// A dashboard session (or a bearer token) with at least this role; the refusals are
        /// pages: 401 the login page, 403 a page that says why.
        case dashboard(APIRole)
        /// The metrics token when one is configured (`metricsTokenEnv`/`metricsTokenFile`), else open.
        case metricsToken
        /// A valid webhook signature (`webhookSecretEnv`/`webhookSecretFile`).
        case webhookSignature
        /// KServe's payload logger, which cannot send a token (a NetworkPolicy limits who reaches it).
        case payloadLogger
        /// The feedback token (under the `kserve` driver, the controller token of `tokenEnv`/`tokenFile`).
        case feedbackToken

        /// How the access reads in the docs.
        var text: String {
            switch self {
            case .open: "open"
            case .role(let role): "`\(role)`"
            case .dashboard(let role): "`\(role)` (session or bearer)"
            case .metricsToken: "the metrics token if set, else open"
            case .webhookSignature: "the webhook signature"
            case .payloadLogger: "open (NetworkPolicy)"
            case .feedbackToken: "the feedback token"
            }
        }

        /// What a caller presenting one of the API's bearer tokens (or none) gets.
        package func outcome(for caller: APIRole?) -> Outcome {
            switch self {
            case .open: return .allowed
            case .role(let required), .dashboard(let required):
                guard let caller else { return .unauthorized }
                return caller.allows(required) ? .allowed : .forbidden
            case .metricsToken, .webhookSignature, .payloadLogger, .feedbackToken: return .notAPIToken
            }
        }
    }

    /// What a caller gets from a route, as far as access goes.
    package enum Outcome: Sendable, Hashable {
        /// The route runs.
        case allowed
        /// 401: no token, or one the controller does not know.
        case unauthorized
        /// 403: a known token whose role is too low.
        case forbidden
        /// The API's tokens play no part: the route checks its own credential, and every
        /// caller gets the same answer.
        case notAPIToken

        var cell: String {
            switch self {
            case .allowed: "yes"
            case .unauthorized: "401"
            case .forbidden: "403"
            case .notAPIToken: "—"
            }
        }
    }

    /// One route: a method, a path (`:name` matches one segment) and who may call it.
    package struct Route: Sendable, Hashable, CustomStringConvertible {
        package var method: HTTPRequest.Method
        package var path: String
        package var access: Access
        package var summary: String

        init(_ method: HTTPRequest.Method, _ path: String, _ access: Access, _ summary: String) {
            self.method = method
            self.path = path
            self.access = access
            self.summary = summary
        }

        package var description: String { "\(method) \(path)" }

        /// The role a ``Access/role(_:)`` or ``Access/dashboard(_:)`` route needs; nil for the others.
        package var requiredRole: APIRole? {
            switch access {
            case .role(let role), .dashboard(let role): role
            case .open, .metricsToken, .webhookSignature, .payloadLogger, .feedbackToken: nil
            }
        }

        /// Whether `path` (a request's, without its query) is this route's.
        func matches(_ method: HTTPRequest.Method, _ path: some StringProtocol) -> Bool {
            guard method == self.method else { return false }
            let pattern = self.path.split(separator: "/")
            let segments = path.split(separator: "/")
            guard pattern.count == segments.count else { return false }
            return zip(pattern, segments).allSatisfy { $0.hasPrefix(":") || $0 == $1 }
        }
    }

    // MARK: - The routes

    static let healthz = Route(.get, "/healthz", .open, "liveness: `{\"ok\": true}`")
    static let leader = Route(.get, "/v1/leader", .open, "readiness of a replicated controller: 200 on the leader, 503 on a follower")
    static let metrics = Route(.get, "/metrics", .metricsToken, "Prometheus metrics")
    static let webhook = Route(.post, "/hooks/git", .webhookSignature, "a git host's push webhook")
    static let status = Route(.get, "/v1/status", .role(.viewer), "every model's status")
    static let model = Route(.get, "/v1/models/:model", .role(.viewer), "one model's status with monitors and measurements")
    static let modelHistory = Route(.get, "/v1/models/:model/history", .role(.viewer), "a model's newest 100 events")
    static let history = Route(.get, "/v1/history", .role(.viewer), "the audit trail, paginated (`sluice history`)")
    static let promote = Route(.post, "/v1/models/:model/promote", .role(.operator), "pass the current step (`?full=true`: to the end)")
    static let abort = Route(.post, "/v1/models/:model/abort", .role(.operator), "abort the rollout")
    static let retry = Route(.post, "/v1/models/:model/retry", .role(.operator), "try a failed spec again")
    static let approve = Route(.post, "/v1/models/:model/approve", .role(.operator), "approve retraining (`?monitor=NAME`)")
    static let collector = Route(
        .post, KServeLogCollector.collectorPrefix + ":model/:version", .payloadLogger, "KServe payload-logger events (the `kserve` driver)")
    static let feedback = Route(.post, KServeLogCollector.feedbackPrefix + ":model", .feedbackToken, "ground truth (the `kserve` driver)")
    static let dashboard = Route(.get, "/ui", .dashboard(.viewer), "the dashboard's models page")
    static let dashboardModel = Route(.get, "/ui/models/:model", .dashboard(.viewer), "a model's dashboard page")
    static let dashboardAction = Route(
        .post, "/ui/models/:model/:command", .dashboard(.operator), "a dashboard action form (promote, promote-fully, abort, retry, approve)")
    static let dashboardScript = Route(.get, "/ui/dashboard.js", .open, "the dashboard's script (no secret in it)")
    static let loginPage = Route(.get, "/ui/login", .open, "the login form")
    static let login = Route(.post, "/ui/login", .open, "log in with any API token")
    static let logout = Route(.post, "/ui/logout", .open, "log out")

    /// Every route, in the order the docs list them.
    package static let all: [Route] = [
        healthz, leader, metrics, webhook, status, model, modelHistory, history, promote, abort, retry, approve,
        collector, feedback, dashboard, dashboardModel, dashboardAction, dashboardScript, loginPage, login, logout,
    ]

    /// The API's commands (`POST /v1/models/{model}/{command}`).
    static let commands: [Route] = [promote, abort, retry, approve]

    /// The route a request is for, if the table has it.
    package static func route(_ method: HTTPRequest.Method, _ path: some StringProtocol) -> Route? {
        all.first { $0.matches(method, path) }
    }

    /// The methods each path of the table answers; others are 405.
    static var methodsByPath: [String: [HTTPRequest.Method]] {
        Dictionary(grouping: all, by: \.path).mapValues { $0.map(\.method) }
    }

    /// The table of `docs/controller.md` (*Roles*), generated by `scripts/update-generated.sh`.
    package static func markdown() -> String {
        var lines = [
            "| Route | Who may call | `viewer` | `operator` | `admin` | no or unknown token | What |",
            "|---|---|---|---|---|---|---|",
        ]
        for route in all {
            let path = route.path.split(separator: "/").map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }.joined(separator: "/")
            let cells = (APIRole.allCases.map(Optional.some) + [nil]).map { route.access.outcome(for: $0).cell }
            lines.append("| `\(route.method) /\(path)` | \(route.access.text) | " + cells.joined(separator: " | ") + " | \(route.summary) |")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
