import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

/// A tiny HTTP receiver on a loopback port: records every request's path and JSON body and
/// answers `status` (or, as a receiver that fails, closes the connection without an answer,
/// or never answers). Outgoing monitor webhooks are sent to it for real.
final class WebhookCatcher: Sendable {
    /// What the receiver does with each whole request it records.
    enum Behaviour: Sendable {
        /// Answers with this status.
        case answer(HTTPResponseStatus)
        /// Closes the connection without a byte of answer.
        case close
        /// Keeps the connection open and never answers.
        case hold
    }

    /// A received request.
    struct Received: Sendable {
        var path: String
        var body: String
        var authorization: String?
        var contentType: String?

        /// The body as a JSON object.
        var json: [String: Any] { ((try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any]) ?? [:] }
    }

    private let channel: any Channel
    private let received: NIOLockedValueBox<[Received]>
    let port: Int

    convenience init(status: HTTPResponseStatus = .ok) async throws {
        try await self.init(behaviour: .answer(status))
    }

    init(behaviour: Behaviour) async throws {
        let received = NIOLockedValueBox<[Received]>([])
        self.received = received
        channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(Handler(received: received, behaviour: behaviour))
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
        let behaviour: Behaviour
        var head: HTTPRequestHead?
        var body = ""

        init(received: NIOLockedValueBox<[Received]>, behaviour: Behaviour) {
            self.received = received
            self.behaviour = behaviour
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head):
                self.head = head
                body = ""
            case .body(let buffer):
                body += String(buffer: buffer)
            case .end:
                let record = Received(path: head?.uri ?? "", body: body, authorization: head?.headers.first(name: "authorization"),
                    contentType: head?.headers.first(name: "content-type"))
                received.withLockedValue { $0.append(record) }
                let status: HTTPResponseStatus
                switch behaviour {
                case .answer(let answer): status = answer
                case .close:
                    context.close(promise: nil)
                    return
                case .hold: return
                }
                var headers = HTTPHeaders()
                headers.add(name: "content-length", value: "0")
                headers.add(name: "connection", value: "close")
                context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            }
        }
    }
}
