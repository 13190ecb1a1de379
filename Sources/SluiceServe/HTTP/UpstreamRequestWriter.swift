import NIOCore
import NIOHTTP1

/// Encodes each request to a model server as one buffer (request line, headers, body) and
/// writes it once, in place of NIO's `HTTPRequestEncoder`, which wrote the head, the body and
/// the end as three buffers and checked every header through generic paths (measured in
/// Benchmarks/README.md, "Hot path, slice 2").
///
/// It sits at the socket end of the pipeline, below NIO's response decoder, which still sees
/// each request head go by (it needs the method to read a response to HEAD).
/// The framing is always `content-length` (the body is whole before it is sent) and `host` is
/// always this connection's (RFC 9112 §3.2): the caller's `content-length`, `host` and
/// `transfer-encoding` headers are never written.
final class UpstreamRequestWriter: ChannelOutboundHandler {
    typealias OutboundIn = HTTPClientRequestPart
    typealias OutboundOut = IOData

    private let hostHeader: String
    private var head: HTTPRequestHead?
    private var body: ByteBuffer?
    /// Promises of the parts before the end, completed with the one write.
    private var promises: [EventLoopPromise<Void>] = []

    init(hostHeader: String) {
        self.hostHeader = hostHeader
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        // Parts of a request that never got its end (the connection closed first): fail
        // their promises rather than leak them.
        let waiting = promises
        promises.removeAll()
        head = nil
        body = nil
        for promise in waiting { promise.fail(ChannelError.ioOnClosedChannel) }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(let requestHead):
            head = requestHead
            body = nil
            if let promise { promises.append(promise) }
        case .body(.byteBuffer(var chunk)):
            if body == nil {
                body = chunk
            } else {
                body!.writeBuffer(&chunk)
            }
            if let promise { promises.append(promise) }
        case .body(.fileRegion):
            // Never sent by UpstreamConnectionHandler: refuse rather than drop bytes silently.
            promise?.fail(ChannelError.operationUnsupported)
        case .end:
            guard let requestHead = head else {
                promise?.fail(ChannelError.operationUnsupported)
                return
            }
            let buffer = Self.encode(requestHead, body: body, host: hostHeader, allocator: context.channel.allocator)
            head = nil
            body = nil
            let waiting = promises
            promises.removeAll(keepingCapacity: true)
            if waiting.isEmpty {
                context.write(wrapOutboundOut(.byteBuffer(buffer)), promise: promise)
            } else {
                let done = promise ?? context.eventLoop.makePromise()
                for earlier in waiting { done.futureResult.cascade(to: earlier) }
                context.write(wrapOutboundOut(.byteBuffer(buffer)), promise: done)
            }
        }
    }

    /// The request as bytes: `METHOD uri HTTP/1.1`, the caller's headers but framing and
    /// host, then `content-length` and `host`, then the body.
    static func encode(_ head: HTTPRequestHead, body: ByteBuffer?, host: String, allocator: ByteBufferAllocator) -> ByteBuffer {
        let bodyBytes = body?.readableBytes ?? 0
        var buffer = allocator.buffer(capacity: 96 + head.uri.utf8.count + head.headers.count * 48 + bodyBytes)
        buffer.writeString(head.method.rawValue)
        buffer.writeStaticString(" ")
        buffer.writeString(head.uri)
        buffer.writeStaticString(" HTTP/1.1\r\n")
        for (name, value) in head.headers where !isReplaced(name) {
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
        let lower = name.lowercased()
        return lower == "content-length" || lower == "host" || lower == "transfer-encoding"
    }
}
