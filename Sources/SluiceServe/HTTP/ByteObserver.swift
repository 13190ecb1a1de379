import NIOCore

/// Sits before the HTTP decoder and tells the request handler when raw bytes arrive, so
/// a head dribbled byte by byte is timed from its first byte.
final class ByteObserver: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer

    private let handler: RequestHandler

    init(handler: RequestHandler) {
        self.handler = handler
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        handler.bytesArrived()
        context.fireChannelRead(data)
    }
}
