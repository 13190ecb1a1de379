import HTTPTypes
import Hummingbird

/// Refuses, from the request head, every request under `prefix` that lacks the bearer
/// token: it runs before routing and before anything reads the body, and its 401 closes
/// the connection, so a caller without the token never makes the server read a body.
package struct BearerMiddleware<Context: RequestContext>: RouterMiddleware {
    private let token: BearerToken
    private let realm: String
    private let prefix: String
    private let exempt: [String]

    /// `prefix` "/" guards every path; "/v1/" only the API's versioned routes. Paths under
    /// one of `exempt` pass unchecked: their routes guard themselves (the KServe payload
    /// logger's collector, which no logger can send a token to, and feedback, which has a
    /// token of its own).
    package init(token: BearerToken, realm: String, prefix: String = "/", exempt: [String] = []) {
        self.token = token
        self.realm = realm
        self.prefix = prefix
        self.exempt = exempt
    }

    package func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        guard path.hasPrefix(prefix), !exempt.contains(where: path.hasPrefix) else { return try await next(request, context) }
        guard token.admits(authorization: request.headers[.authorization]) else { throw APIError.unauthorized(realm: realm) }
        return try await next(request, context)
    }
}
