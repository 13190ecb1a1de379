import NIOCore
import NIOHTTP1

/// Encodes each request to a model server as one buffer (request line, headers, body), which
/// the connection's handler writes once (NIO's `HTTPRequestEncoder` wrote the head, the body and
/// the end as three buffers and checked every header through generic paths: Benchmarks/README.md,
/// "Hot path, slice 2").
/// The framing is always `content-length` (the body is whole before it is sent) and `host` is
/// always the connection's (RFC 9112 §3.2): the caller's `content-length`, `host` and
/// `transfer-encoding` headers are never written.
enum UpstreamRequestWriter {
    /// The request as bytes: `METHOD uri HTTP/1.1`, the caller's headers but framing and
    /// host, then `content-length` and `host`, then the body.
    static func encode(_ request: UpstreamRequest, host: String, allocator: ByteBufferAllocator) -> ByteBuffer {
        let body = request.body
        let bodyBytes = body?.readableBytes ?? 0
        var buffer = allocator.buffer(capacity: 96 + request.uri.utf8.count + request.headers.count * 48 + bodyBytes)
        buffer.writeString(request.method.rawValue)
        buffer.writeStaticString(" ")
        buffer.writeString(request.uri)
        buffer.writeStaticString(" HTTP/1.1\r\n")
        for (name, value) in request.headers where !isReplaced(name) {
            buffer.writeString(name)
            buffer.writeStaticString(": ")
            buffer.writeString(value)
            buffer.writeStaticString("\r\n")
        }
        buffer.writeStaticString("content-length: ")
        buffer.writeString(String(bodyBytes))
        buffer.writeStaticString("\r\nhost: ")
        buffer.writeString(host)
        buffer.writeStaticString("\r\n\r\n")
        if var body {
            buffer.writeBuffer(&body)
        }
        return buffer
    }

    /// `content-length`, `host` and `transfer-encoding`, in any case: written by ``encode`` itself.
    private static func isReplaced(_ name: String) -> Bool {
        let count = name.utf8.count
        guard count == 14 || count == 4 || count == 17 else { return false }
        return HTTP1Syntax.equalsLowercase(name, "content-length") || HTTP1Syntax.equalsLowercase(name, "host")
            || HTTP1Syntax.equalsLowercase(name, "transfer-encoding")
    }
}
