import HTTPTypes
import Hummingbird

/// Bounds request bodies twice: a declared `Content-Length` over the limit is refused
/// from the head (413, before any body byte is read), and ``collect(_:limit:budget:)``
/// stops reading a body (chunked, or longer than declared) the moment it passes the limit.
package struct BodyLimitMiddleware<Context: RequestContext>: RouterMiddleware {
    /// The limit for a request's path.
    private let limit: @Sendable (String) -> Int

    package init(limit: @escaping @Sendable (String) -> Int) {
        self.limit = limit
    }

    package func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let maximum = limit(request.uri.path)
        if let declared = request.headers[.contentLength].flatMap({ Int($0) }), declared > maximum {
            throw APIError.tooLarge(limit: maximum)
        }
        return try await next(request, context)
    }
}

/// Reading a request body with a limit.
package enum BodyLimit {
    /// The body's bytes, read chunk by chunk: past `limit` bytes the request is refused
    /// (413) without reading further, and past the listener's shared `budget` it is
    /// answered 503 (many connections cannot each hold a large body). The bytes are given
    /// back to the budget before this returns: the caller holds them only briefly.
    package static func collect(_ request: Request, limit: Int, budget: BodyBudget?) async throws -> [UInt8] {
        var bytes: [UInt8] = []
        var reserved = 0
        defer { budget?.release(reserved) }
        for try await chunk in request.body {
            guard bytes.count + chunk.readableBytes <= limit else { throw APIError.tooLarge(limit: limit) }
            if let budget {
                guard budget.reserve(chunk.readableBytes) else {
                    throw APIError(.serviceUnavailable, "the server holds too many request bodies; retry later", closesConnection: true)
                }
                reserved += chunk.readableBytes
            }
            bytes.append(contentsOf: chunk.readableBytesView)
        }
        return bytes
    }
}
