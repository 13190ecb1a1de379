import HTTPTypes
import Hummingbird
import SluiceCore

/// An error answer of the admin and controller APIs, thrown by a route or middleware and
/// written as `{"error": "…", "issues": [{"field": "…", "message": "…"}]}` (issues only
/// when a document was refused field by field). The status, extra headers and whether the
/// connection closes after it travel with the error but are not part of the body.
package struct APIError: Error, Codable, Sendable, HTTPResponseError {
    /// One field of a refused document and what is wrong with it.
    package struct Issue: Codable, Sendable, Hashable {
        /// The field's path (`models[0].route.weights`), empty for the whole document.
        package var field: String
        package var message: String

        package init(field: String, message: String) {
            self.field = field
            self.message = message
        }
    }

    /// What went wrong, for people.
    package var error: String
    /// The refused fields, when a document was refused.
    package var issues: [Issue]?
    /// The answer's status (not part of the body).
    package var status: HTTPResponse.Status = .internalServerError
    /// Headers sent with the answer (`www-authenticate`).
    package var headers: HTTPFields = [:]
    /// Whether the connection is closed after the answer, without reading the rest of the
    /// request: a refused head (401, 413) must not make the server read a body.
    package var closesConnection = false

    /// Header names as the APIs always wrote them, in lower case (HTTPTypes' constants are
    /// capitalised, and some clients match the text).
    private static let connection = HTTPField.Name("connection")!
    private static let wwwAuthenticate = HTTPField.Name("www-authenticate")!

    private enum CodingKeys: String, CodingKey {
        case error, issues
    }

    package init(_ status: HTTPResponse.Status, _ message: String, issues: [Issue]? = nil, headers: HTTPFields = [:], closesConnection: Bool = false) {
        self.status = status
        error = message
        self.issues = issues
        self.headers = headers
        self.closesConnection = closesConnection
    }

    /// The JSON answer.
    package func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers = self.headers
        if closesConnection { headers[Self.connection] = "close" }
        // One line like every error the APIs ever sent; a refusal with issues is for reading.
        return JSONAnswer(self, status: status, headers: headers, pretty: issues != nil).response()
    }
}

extension APIError {
    /// 401 naming the realm; the connection closes, so a body sent with it is never read.
    package static func unauthorized(realm: String) -> APIError {
        APIError(.unauthorized, "missing or wrong bearer token", headers: [wwwAuthenticate: "Bearer realm=\"\(realm)\""], closesConnection: true)
    }

    /// 413 for a body over `limit` bytes; the connection closes, so the rest is never read.
    package static func tooLarge(limit: Int) -> APIError {
        APIError(.payloadTooLarge, "request body larger than \(limit) bytes", closesConnection: true)
    }

    /// 404 for a path no route serves.
    package static func noRoute(_ method: HTTPRequest.Method, _ path: String) -> APIError {
        APIError(.notFound, "no route \(method) \(path)")
    }

    /// 405 naming the methods the path accepts.
    package static func methodNotAllowed(_ method: HTTPRequest.Method, _ path: String, allowed: [HTTPRequest.Method]) -> APIError {
        let names = allowed.map(\.rawValue).joined(separator: ", ")
        return APIError(.methodNotAllowed, "\(method) is not allowed on \(path) (allowed: \(names))", headers: [.allow: names])
    }
}

extension HTTPResponse.Status {
    /// 413 with the reason phrase the API has always sent (HTTPTypes says "Content Too Large").
    package static let payloadTooLarge = HTTPResponse.Status(code: 413, reasonPhrase: "Payload Too Large")
}
