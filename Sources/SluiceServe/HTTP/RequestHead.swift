import NIOCore
import NIOHTTP1

/// A request's head as the server read it: the request line's parts, whether the client keeps
/// the connection open, and the field lines as they arrived (``HTTP1FieldLines``). No `String`
/// is made per field unless a reader asks for one (``HTTP1FieldLines/first(_:)``,
/// ``headers``): the gateway forwards the fields from their bytes (``ForwardedFields``).
///
/// A class whose parts never change: a head is handed from the parser to the connection, the
/// request and the responder, and a struct of its size was copied at each step, each of its
/// references retained and released, and its `Optional` destroyed through the runtime's
/// generic witnesses (NIO's `HTTPMethod` carries a tuple payload).
package final class RequestHead: Sendable {
    package let method: HTTPMethod
    /// The request target in origin form (`/path?query`), `*` for `OPTIONS *`.
    package let uri: String
    package let version: HTTPVersion
    /// The fields in their order, repeats kept, each checked by the parser.
    package let fields: HTTP1FieldLines
    /// Whether the connection stays open after the answer (RFC 9112 §9.3): in HTTP/1.1 unless
    /// `Connection` names `close`, in HTTP/1.0 only when it names `keep-alive`.
    package let isKeepAlive: Bool
    /// The path's segments, split once here for every reader (the gateway's screening and
    /// routing each split it before: ~600 instructions a request each).
    let segments: PathSegments

    package convenience init(method: HTTPMethod, uri: String, version: HTTPVersion, fields: HTTP1FieldLines, isKeepAlive: Bool) {
        self.init(method: method, uri: uri, version: version, fields: fields, isKeepAlive: isKeepAlive, segments: PathSegments(target: uri))
    }

    /// A head whose path was split already: `segments` must be `uri`'s (the parser's, kept
    /// from the connection's last request to the same target).
    init(method: HTTPMethod, uri: String, version: HTTPVersion, fields: HTTP1FieldLines, isKeepAlive: Bool, segments: PathSegments) {
        assert(segments.target == uri, "the segments of another target")
        self.method = method
        self.uri = uri
        self.version = version
        self.fields = fields
        self.isKeepAlive = isKeepAlive
        self.segments = segments
    }

    /// NIO's head for a request made in process (tests, internal callers): its headers become
    /// field lines (``HTTP1FieldLines/init(_:)``, which leaves out any that is not a valid field).
    package convenience init(_ head: HTTPRequestHead) {
        self.init(method: head.method, uri: head.uri, version: head.version, fields: HTTP1FieldLines(head.headers), isKeepAlive: head.isKeepAlive)
    }

    /// The head a refusal is answered for when no head could be read: GET / in HTTP/1.1, closing.
    static let unread = RequestHead(method: .GET, uri: "/", version: .http1_1, fields: .empty, isKeepAlive: false)

    /// The fields as `HTTPHeaders`, made on each call (for the token checks and tests).
    package var headers: HTTPHeaders { fields.headers }
}
