import HTTPTypes
import Hummingbird
import SluiceCore
import SluiceServe

/// Checks the bearer token of every route ``ControllerRoutes`` says needs a role, from the
/// request head, before routing and before any body byte is read: none or an unknown token
/// is 401, a token whose role is too low 403, both closing the connection. Other `/v1/`
/// paths (unknown ones, other methods) need any token, so a caller without one learns
/// nothing about what exists. The other routes check their own credentials.
struct APIAccessMiddleware<Context: RequestContext>: RouterMiddleware {
    let credentials: APICredentials
    /// Whether the KServe collector's routes are served (else their paths are unknown `/v1/` paths).
    let collector: Bool

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let (required, route) = Self.required(request.method, request.uri.path, collector: collector) else {
            return try await next(request, context)
        }
        guard let caller = credentials.caller(authorization: request.headers[.authorization]) else {
            throw APIError.unauthorized(realm: "sluice-controller")
        }
        guard caller.role.allows(required) else {
            throw APIError(
                .forbidden, "the token '\(caller.name)' has the role \(caller.role); \(route.map { "\($0)" } ?? "this route") needs \(required)",
                closesConnection: true)
        }
        return try await next(request, context)
    }

    /// The role a request needs and its route; nil when the route checks its own credential.
    static func required(
        _ method: HTTPRequest.Method, _ path: String, collector: Bool
    ) -> (APIRole, ControllerRoutes.Route?)? {
        if let route = ControllerRoutes.route(method, path), collector || ![.payloadLogger, .feedbackToken].contains(route.access) {
            guard case .role(let role) = route.access else { return nil }
            return (role, route)
        }
        return path.hasPrefix("/v1/") ? (.viewer, nil) : nil
    }
}
