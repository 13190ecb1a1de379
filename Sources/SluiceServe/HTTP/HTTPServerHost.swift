import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import SluiceCore

/// A whole HTTP request, body included.
package struct ServerRequest: Sendable {
    package var head: HTTPRequestHead
    package var body: ByteBuffer
    /// The connection's event loop: answering on it avoids thread hops.
    package var eventLoop: any EventLoop
    /// The peer address, for X-Forwarded-For.
    package var remoteAddress: String?

    /// The path without the query string.
    package var path: Substring {
        let uri = head.uri[...]
        return uri.firstIndex(of: "?").map { uri[..<$0] } ?? uri
    }

    /// The query parameter `name`, when present.
    package func query(_ name: String) -> String? {
        guard let mark = head.uri.firstIndex(of: "?") else { return nil }
        for pair in head.uri[head.uri.index(after: mark)...].split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            if parts.first == Substring(name) { return parts.count == 2 ? String(parts[1]) : "" }
        }
        return nil
    }
}

/// A whole HTTP response.
package struct ServerResponse: Sendable {
    package var status: HTTPResponseStatus
    package var headers: HTTPHeaders
    package var body: ByteBuffer?

    package init(status: HTTPResponseStatus, headers: HTTPHeaders = HTTPHeaders(), body: ByteBuffer? = nil) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A JSON response.
    package static func json(_ status: HTTPResponseStatus, _ text: String, headers: HTTPHeaders = HTTPHeaders()) -> ServerResponse {
        var headers = headers
        headers.replaceOrAdd(name: "content-type", value: "application/json")
        return ServerResponse(status: status, headers: headers, body: ByteBuffer(string: text))
    }

    /// A V2 error body: `{"error": "…"}`.
    package static func error(_ status: HTTPResponseStatus, _ message: String, headers: HTTPHeaders = HTTPHeaders()) -> ServerResponse {
        json(status, "{\"error\":\(JSONText.quote(message))}", headers: headers)
    }
}

/// Answers whole requests.
package protocol HTTPResponder: Sendable {
    func respond(to request: ServerRequest) -> EventLoopFuture<ServerResponse>
}

/// A listener (TCP or unix socket) that reads whole requests (bounded), hands them to a
/// responder and writes whole responses with a Content-Length, one request at a time per
/// connection (pipelined requests wait their turn).
///
/// The pipeline is NIO's request decoder and one handler that encodes each response into a
/// single buffer itself: NIO's response encoder, pipelining handler and error handler cost
/// a third of the gateway's CPU per request in the benchmark (Benchmarks/README.md).
package final class HTTPServerHost: Sendable {
    /// The bound channel.
    package let channel: any Channel

    private init(channel: any Channel) {
        self.channel = channel
    }

    /// Binds and starts serving.
    package static func start(
        address: ServeConfig.ListenAddress,
        group: any EventLoopGroup,
        maximumBody: Int,
        responder: any HTTPResponder
    ) async throws -> HTTPServerHost {
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try addHandlers(to: channel, maximumBody: maximumBody, responder: responder)
                }
            }
        let channel: any Channel
        switch address {
        case .tcp(let host, let port):
            channel = try await bootstrap.bind(host: host, port: port).get()
        case .unix(let path):
            channel = try await bootstrap.bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true).get()
            chmod(path, 0o600)
        }
        return HTTPServerHost(channel: channel)
    }

    /// Adds the request decoder and the request handler to a new connection's pipeline; the
    /// HTTP fuzz target (Fuzz/FuzzHTTP) drives the same pipeline through an `EmbeddedChannel`.
    package static func addHandlers(to channel: any Channel, maximumBody: Int, responder: any HTTPResponder) throws {
        try channel.pipeline.syncOperations.addHandler(
            ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .dropBytes)))
        try channel.pipeline.syncOperations.addHandler(RequestHandler(responder: responder, maximumBody: maximumBody))
    }

    /// The bound TCP port (useful when the config asked for port 0).
    package var port: Int? { channel.localAddress?.port }

    /// Stops accepting connections.
    package func close() async {
        try? await channel.close()
    }
}

/// Collects requests, answers them one at a time in order, and writes each response as
/// one pre-encoded buffer.
private final class RequestHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = ByteBuffer

    /// Pipelined requests waiting beyond this many close the connection (abuse).
    static let maximumQueued = 64

    private let responder: any HTTPResponder
    private let maximumBody: Int
    private var head: HTTPRequestHead?
    private var body: ByteBuffer?
    private var refused = false
    private var busy = false
    private var closing = false
    private var queue = CircularBuffer<ServerRequest>()

    init(responder: any HTTPResponder, maximumBody: Int) {
        self.responder = responder
        self.maximumBody = maximumBody
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !closing else { return }
        switch unwrapInboundIn(data) {
        case .head(let requestHead):
            head = requestHead
            body = nil
            refused = false
            if let length = requestHead.headers.first(name: "content-length").flatMap(Int.init), length > maximumBody {
                refuse(context: context, requestHead)
            } else if requestHead.headers.first(name: "expect")?.lowercased() == "100-continue" {
                // curl and others wait for this before sending a body over 1 KiB.
                var interim = context.channel.allocator.buffer(capacity: 32)
                interim.writeStaticString("HTTP/1.1 100 Continue\r\n\r\n")
                context.writeAndFlush(wrapOutboundOut(interim), promise: nil)
            }
        case .body(var chunk):
            guard !refused, let requestHead = head else { return }
            if (body?.readableBytes ?? 0) + chunk.readableBytes > maximumBody {
                refuse(context: context, requestHead)
                return
            }
            if body == nil {
                body = chunk
            } else {
                body!.writeBuffer(&chunk)
            }
        case .end:
            guard !refused, let requestHead = head else { return }
            head = nil
            let request = ServerRequest(
                head: requestHead,
                body: body ?? context.channel.allocator.buffer(capacity: 0),
                eventLoop: context.eventLoop,
                remoteAddress: context.channel.remoteAddress?.ipAddress
            )
            body = nil
            if busy {
                guard queue.count < Self.maximumQueued else {
                    closing = true
                    context.close(promise: nil)
                    return
                }
                queue.append(request)
            } else {
                start(request, context: context)
            }
        }
    }

    private func start(_ request: ServerRequest, context: ChannelHandlerContext) {
        busy = true
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        responder.respond(to: request).hop(to: context.eventLoop).whenComplete { result in
            let context = loopBound.value
            let response: ServerResponse
            switch result {
            case .success(let value): response = value
            case .failure(let error): response = .error(.internalServerError, "internal error: \(error)")
            }
            self.write(response, for: request.head, keepAlive: request.head.isKeepAlive, context: context)
            self.busy = false
            if !self.closing, let next = self.queue.popFirst() {
                self.start(next, context: context)
            }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A request NIO's parser cannot read: answer 400 once and close.
        if error is HTTPParserError, !closing, !busy {
            var buffer = context.channel.allocator.buffer(capacity: 64)
            buffer.writeStaticString("HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n")
            closing = true
            context.writeAndFlush(wrapOutboundOut(buffer)).whenComplete { _ in context.close(promise: nil) }
            return
        }
        closing = true
        context.close(promise: nil)
    }

    private func refuse(context: ChannelHandlerContext, _ requestHead: HTTPRequestHead) {
        refused = true
        head = nil
        body = nil
        let response = ServerResponse.error(.payloadTooLarge, "request body larger than \(maximumBody) bytes")
        write(response, for: requestHead, keepAlive: false, context: context)
    }

    private func write(_ response: ServerResponse, for request: HTTPRequestHead, keepAlive: Bool, context: ChannelHandlerContext) {
        guard !closing else { return }
        let bodyBytes = request.method == .HEAD ? 0 : (response.body?.readableBytes ?? 0)
        var buffer = context.channel.allocator.buffer(capacity: 160 + bodyBytes + response.headers.count * 48)
        buffer.writeString(request.version.minor == 0 && request.version.major == 1 ? "HTTP/1.0 " : "HTTP/1.1 ")
        buffer.writeString(String(response.status.code))
        buffer.writeStaticString(" ")
        buffer.writeString(response.status.reasonPhrase)
        buffer.writeStaticString("\r\n")
        for (name, value) in response.headers {
            // Never forward a header that could split the response, nor one we set below.
            guard !name.utf8.contains(where: { $0 == 13 || $0 == 10 }), !value.utf8.contains(where: { $0 == 13 || $0 == 10 }) else { continue }
            if Self.isFraming(name) { continue }
            buffer.writeString(name)
            buffer.writeStaticString(": ")
            buffer.writeString(value)
            buffer.writeStaticString("\r\n")
        }
        buffer.writeStaticString("content-length: ")
        buffer.writeString(String(response.body?.readableBytes ?? 0))
        buffer.writeStaticString(keepAlive ? "\r\nconnection: keep-alive\r\n\r\n" : "\r\nconnection: close\r\n\r\n")
        if bodyBytes > 0, var body = response.body {
            buffer.writeBuffer(&body)
        }
        let done = context.writeAndFlush(wrapOutboundOut(buffer))
        if !keepAlive {
            closing = true
            let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
            done.whenComplete { _ in loopBound.value.close(promise: nil) }
        }
    }

    private static func isFraming(_ name: String) -> Bool {
        let count = name.utf8.count
        guard count == 14 || count == 10 || count == 17 else { return false }
        let lower = name.lowercased()
        return lower == "content-length" || lower == "connection" || lower == "transfer-encoding"
    }
}

/// JSON string quoting for hand-built bodies.
package enum JSONText {
    package static func quote(_ text: String) -> String {
        JSONValue.string(text).serialized()
    }
}
