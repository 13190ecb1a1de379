import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

/// A tiny HTTP receiver on a loopback port: records every request's path and JSON body and
/// answers `status`. Outgoing monitor webhooks are sent to it for real.
final class WebhookCatcher: Sendable {
    /// A received request.
    struct Received: Sendable {
        var path: String
        var body: String
        var authorization: String?

        /// The body as a JSON object.
        var json: [String: Any] { ((try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any]) ?? [:] }
    }

    private let channel: any Channel
    private let received: NIOLockedValueBox<[Received]>
    let port: Int

    init(status: HTTPResponseStatus = .ok) async throws {
        let received = NIOLockedValueBox<[Received]>([])
        self.received = received
        channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(Handler(received: received, status: status))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        port = channel.localAddress?.port ?? 0
    }

    deinit { channel.close(promise: nil) }

    /// Everything received so far.
    var requests: [Received] { received.withLockedValue { $0 } }

    /// `http://127.0.0.1:PORT/PATH`.
    func url(_ path: String) -> String { "http://127.0.0.1:\(port)\(path)" }

    private final class Handler: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart
        let received: NIOLockedValueBox<[Received]>
        let status: HTTPResponseStatus
        var head: HTTPRequestHead?
        var body = ""

        init(received: NIOLockedValueBox<[Received]>, status: HTTPResponseStatus) {
            self.received = received
            self.status = status
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head):
                self.head = head
                body = ""
            case .body(let buffer):
                body += String(buffer: buffer)
            case .end:
                let record = Received(path: head?.uri ?? "", body: body, authorization: head?.headers.first(name: "authorization"))
                received.withLockedValue { $0.append(record) }
                var headers = HTTPHeaders()
                headers.add(name: "content-length", value: "0")
                headers.add(name: "connection", value: "close")
                context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            }
        }
    }
}
