import HTTPTypes
import Hummingbird

/// Makes every error an ``APIError`` body: a path no route serves is `{"error": "no route …"}`
/// (Hummingbird's own 404 has another shape), and an unexpected error is a 500 that says
/// what failed rather than an empty answer. Added first, so it sees every other error.
package struct APIErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    package init() {}

    package func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            throw error
        } catch let error as HTTPError where error.status == .notFound {
            throw APIError.noRoute(request.method, request.uri.path)
        } catch let error as any HTTPResponseError {
            throw error
        } catch {
            throw APIError(.internalServerError, "internal error: \(error)")
        }
    }
}

extension Router {
    /// Answers 405 (with `allow`) for the common methods a known path does not take, so a
    /// wrong method is told apart from a wrong path.
    package func refuseOtherMethods(_ paths: [String: [HTTPRequest.Method]]) {
        let common: [HTTPRequest.Method] = [.get, .head, .post, .put, .patch, .delete]
        for (path, allowed) in paths {
            for method in common where !allowed.contains(method) {
                on(RouterPath(path), method: method) { request, _ -> Response in
                    throw APIError.methodNotAllowed(request.method, request.uri.path, allowed: allowed)
                }
            }
        }
    }
}
