import NIOCore

/// The socket under a connection to a model server, as ``UpstreamConnectionHandler`` uses it:
/// NIO's channel (``ChannelUpstreamTransport``) or a socket on an ``EpollEventLoop``
/// (``EpollUpstreamSocket``). The transport tells the handler what arrives through
/// ``UpstreamConnectionHandler/attach(_:eventLoop:allocator:)`` and its siblings.
protocol UpstreamTransport: AnyObject {
    /// Open and connected: a request written now can be answered.
    var isActive: Bool { get }
    /// Writes `bytes` and sends them at once.
    func writeAndFlush(_ bytes: ByteBuffer)
    /// Closes the connection; the handler then hears ``UpstreamConnectionHandler/closed()``
    /// and ``UpstreamConnectionHandler/detach()``, later on the loop, not from inside this call.
    func close()
}

/// NIO's channel as an upstream transport: the handler's own pipeline context.
final class ChannelUpstreamTransport: UpstreamTransport {
    private let context: ChannelHandlerContext
    /// Read once (through the context, ~150 instructions a use).
    private let channel: any Channel

    init(_ context: ChannelHandlerContext) {
        self.context = context
        channel = context.channel
    }

    var isActive: Bool { channel.isActive }

    func writeAndFlush(_ bytes: ByteBuffer) {
        context.writeAndFlush(NIOAny(bytes), promise: nil)
    }

    func close() {
        context.close(promise: nil)
    }
}
