import HTTPTypes
import Hummingbird
import SluiceCore

/// A JSON answer of the admin and controller APIs: any `Encodable` (the SluiceCore wire
/// types, the controller's replies), encoded the one way `WireJSON` encodes (keys sorted;
/// pretty for people reading `curl` output, compact for bulk answers); a `JSONValue`
/// document is written as built.
package struct JSONAnswer<Value: Encodable & Sendable>: ResponseGenerator, Sendable {
    package var value: Value
    package var status: HTTPResponse.Status
    package var headers: HTTPFields
    package var pretty: Bool

    package init(_ value: Value, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:], pretty: Bool = true) {
        self.value = value
        self.status = status
        self.headers = headers
        self.pretty = pretty
    }

    package func response(from request: Request, context: some RequestContext) throws -> Response {
        response()
    }

    /// The response, without a request (error answers build it the same way).
    package func response() -> Response {
        var headers = self.headers
        headers[.contentType] = "application/json"
        // A hand-built document (the controller's status shapes) keeps its members' order.
        let text = (value as? JSONValue).map { pretty ? $0.serialized(indent: 2) : $0.serialized() } ?? WireJSON.text(value, pretty: pretty)
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }
}
