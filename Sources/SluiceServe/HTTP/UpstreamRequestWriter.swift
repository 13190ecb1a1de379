import NIOCore
import NIOHTTP1

/// Encodes each request to a model server as one buffer (request line, headers, body), which
/// the connection's handler writes once (NIO's `HTTPRequestEncoder` wrote the head, the body and
/// the end as three buffers and checked every header through generic paths: Benchmarks/README.md,
/// "Hot path, slice 2").
/// The framing is always `content-length` (the body is whole before it is sent) and `host` is
/// always the connection's (RFC 9112 §3.2): the caller's `content-length`, `host` and
/// `transfer-encoding` headers are never written (nor copied: ``ForwardedFields`` drops them).
enum UpstreamRequestWriter {
    /// The request as bytes: `METHOD uri HTTP/1.1`, the forwarded field lines, the own fields,
    /// the caller's headers but framing and host, then `content-length` and `host`, then the body.
    static func encode(_ request: UpstreamRequest, host: String, allocator: ByteBufferAllocator) -> ByteBuffer {
        var reused = ReusedWriteBuffer()
        return encode(request, host: host, into: &reused, allocator: allocator)
    }

    /// ``encode(_:host:allocator:)`` into the connection's `reused` buffer.
    static func encode(_ request: UpstreamRequest, host: String, into reused: inout ReusedWriteBuffer, allocator: ByteBufferAllocator) -> ByteBuffer {
        let body = request.body
        let bodyBytes = body?.readableBytes ?? 0
        // `METHOD uri HTTP/1.1` CRLF, `name: value` CRLF per field, the two framing lines, CRLF.
        // Read once: `rawValue` is a switch that makes a `String` on each call.
        let method = request.method.rawValue
        var headBytes = method.utf8.count + request.uri.utf8.count + 11 + (request.forwarded?.maximumBytes ?? 0)
            + request.own.maximumBytes
        for (name, value) in request.headers { headBytes += name.utf8.count + value.utf8.count + 4 }
        headBytes += 16 + HeadBytesWriter.maximumDecimalBytes + 8 + host.utf8.count + 4
        var buffer = reused.take(capacity: headBytes + bodyBytes, allocator: allocator)
        buffer.writeHead(maximumBytes: headBytes) { head in
            head.append(string: method)
            head.append(" ")
            head.append(string: request.uri)
            head.append(" HTTP/1.1\r\n")
            request.forwarded?.write(to: &head)
            request.own.write(to: &head)
            for (name, value) in request.headers where !isReplaced(name) {
                head.append(string: name)
                head.append(": ")
                head.append(string: value)
                head.append("\r\n")
            }
            head.append("content-length: ")
            head.appendDecimal(bodyBytes)
            head.append("\r\nhost: ")
            head.append(string: host)
            head.append("\r\n\r\n")
        }
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
