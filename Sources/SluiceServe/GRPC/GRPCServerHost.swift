import NIOCore
import NIOExtras
import NIOHTTP2
import NIOPosix
import SluiceConfig

/// The gRPC listener (`serve.grpcListen`): HTTP/2 with prior knowledge (h2c, no TLS), each
/// stream a unary call handed to a ``GRPCResponder``. Bounded like the HTTP listener: the
/// connections at once (``ServerLimits/maximumConnections``), 100 concurrent streams and a
/// 16 KiB header list per connection (advertised in SETTINGS and enforced by swift-nio-http2,
/// as are its flood and "glitch" limits), a body limit per call, the request bytes all calls
/// hold together (``ServerLimits/bufferedBodies``), and an idle timeout.
///
/// At shutdown it drains (``close()``) as gRPC servers do (RFC 9113 §6.8): each connection is
/// sent a GOAWAY allowing every stream, a PING, and on its answer a GOAWAY naming the last
/// stream it took (swift-nio-http2's `NIOHTTP2ServerConnectionManagementHandler`); the calls
/// under way are answered, a call the client opened later is refused unprocessed (gRPC
/// clients retry those on a new connection), and the connection closes when its last call
/// is answered, or at the drain timeout.
final class GRPCServerHost: Sendable {
    let channel: any Channel
    /// Tells every open connection to drain when the listener closes (``close()``).
    private let quiescing: ServerQuiescingHelper
    /// How long ``close()`` lets open connections finish the calls they have begun.
    private let drainTimeout: Swift.Duration

    private init(channel: any Channel, quiescing: ServerQuiescingHelper, drainTimeout: Swift.Duration) {
        self.channel = channel
        self.quiescing = quiescing
        self.drainTimeout = drainTimeout
    }

    /// Streams one connection may have open at once.
    static let maximumConcurrentStreams = 100
    /// Bytes of headers (HPACK-decoded) one call may send.
    static let maximumHeaderListSize = 16 * 1024

    static func start(
        address: ServeConfig.ListenAddress, group: any EventLoopGroup, limits: ServerLimits,
        drainTimeout: Swift.Duration = .seconds(30), responder: any GRPCResponder
    ) async throws -> GRPCServerHost {
        let admission = ConnectionAdmission(maximumConnections: limits.maximumConnections)
        let budget = BodyBudget(limit: limits.bufferedBodies)
        var settings = NIOHTTP2Handler.ConnectionConfiguration()
        settings.initialSettings = [
            HTTP2Setting(parameter: .maxConcurrentStreams, value: maximumConcurrentStreams),
            HTTP2Setting(parameter: .maxHeaderListSize, value: maximumHeaderListSize),
        ]
        let connection = settings
        let maximumBody = limits.maximumBody
        let idleTimeout = limits.idleTimeout
        // The drain's GOAWAYs, and its bound: a connection still open `drainTimeout` after its
        // last GOAWAY is closed (no idle, age or keep-alive rules: GRPCIdleHandler has those it needs).
        let management = NIOHTTP2ServerConnectionManagementHandler.Configuration(
            maxIdleTime: nil, maxAge: nil, maxGraceTime: TimeAmount(drainTimeout), keepalive: nil)
        let quiescing = ServerQuiescingHelper(group: group)
        let bootstrap = ServerBootstrap.inferenceListener(group: group, quiescing: quiescing)
            .childChannelInitializer { channel in
                admission.admit(channel) {
                    let manager = NIOHTTP2ServerConnectionManagementHandler(eventLoop: channel.eventLoop, configuration: management)
                    _ = try channel.pipeline.syncOperations.configureHTTP2Pipeline(
                        mode: .server, connectionConfiguration: connection, streamConfiguration: .init(),
                        streamDelegate: manager.http2StreamDelegate
                    ) { stream in
                        stream.eventLoop.makeCompletedFuture {
                            try stream.pipeline.syncOperations.addHandler(GRPCServerStreamHandler(responder: responder, maximumBody: maximumBody, budget: budget))
                        }
                    }
                    try channel.pipeline.syncOperations.addHandler(manager)
                    try channel.pipeline.syncOperations.addHandler(GRPCIdleHandler(timeout: idleTimeout), position: .first)
                    // A connection-level protocol error (not HTTP/2, a malformed frame, a flood)
                    // reaches the end of the pipeline: the connection is closed.
                    try channel.pipeline.syncOperations.addHandler(NIOCloseOnErrorHandler())
                }
            }
        guard case .tcp(let host, let port) = address else { throw GRPCListenerError.notTCP }
        let channel = try await bootstrap.bind(host: host, port: port).get()
        return GRPCServerHost(channel: channel, quiescing: quiescing, drainTimeout: drainTimeout)
    }

    /// The bound TCP port (useful when the config asked for port 0).
    var port: Int? { channel.localAddress?.port }

    /// Stops accepting, then drains each open connection (the GOAWAYs above); returns when all
    /// are closed, or after `drainTimeout`.
    func close() async {
        await quiescing.drain(on: channel.eventLoop, within: drainTimeout)
    }
}

/// The gRPC listener is TCP only (the config refuses a unix socket for it).
enum GRPCListenerError: Error {
    case notTCP
}

/// Closes a connection on which no bytes arrived for `timeout`: an HTTP/2 connection idles
/// between calls by design, but one that sends nothing for this long holds a slot of
/// `maxConnections` for nobody.
final class GRPCIdleHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let timeout: TimeAmount
    private var lastRead = NIODeadline.now()
    private var check: Scheduled<Void>?

    init(timeout: TimeAmount) {
        self.timeout = timeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        schedule(context: context, in: timeout)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        check?.cancel()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        lastRead = .now()
        context.fireChannelRead(data)
    }

    private func schedule(context: ChannelHandlerContext, in delay: TimeAmount) {
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        check = context.eventLoop.scheduleTask(in: delay) {
            let (handler, context) = loopBound.value
            let quiet = NIODeadline.now() - handler.lastRead
            if quiet >= handler.timeout {
                context.close(promise: nil)
            } else {
                handler.schedule(context: context, in: handler.timeout - quiet)
            }
        }
    }
}
