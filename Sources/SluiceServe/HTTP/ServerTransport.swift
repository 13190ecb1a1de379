import NIOCore

/// The socket under a caller's connection, as ``RequestHandler`` uses it: NIO's channel
/// (``ChannelServerTransport``) or a socket on an ``EpollEventLoop``. The transport tells the
/// handler what arrives through ``RequestHandler/attach(_:eventLoop:allocator:)`` and its
/// siblings.
protocol ServerTransport: AnyObject {
    /// The caller's IP address as text; nil when it has none (a unix socket).
    var remoteAddress: String? { get }
    /// Writes `bytes` and sends them at once.
    func writeAndFlush(_ bytes: ByteBuffer)
    /// Writes the connection's last answer; once it is sent, closes the output and, `linger`
    /// later, the connection (reading and dropping meanwhile, so that the caller reads the
    /// answer rather than a reset).
    func writeLast(_ bytes: ByteBuffer, thenCloseAfter linger: TimeAmount)
    /// Reads again after ``RequestHandler/mayRead()`` held reading back.
    func resumeReading()
    /// Closes the connection.
    func close()
}

/// NIO's channel as a server transport: the handler's own pipeline context.
final class ChannelServerTransport: ServerTransport {
    private let context: ChannelHandlerContext

    init(_ context: ChannelHandlerContext) {
        self.context = context
    }

    var remoteAddress: String? { context.channel.remoteAddress?.ipAddress }

    func writeAndFlush(_ bytes: ByteBuffer) {
        context.writeAndFlush(NIOAny(bytes), promise: nil)
    }

    func writeLast(_ bytes: ByteBuffer, thenCloseAfter linger: TimeAmount) {
        let channel = context.channel
        context.writeAndFlush(NIOAny(bytes)).whenComplete { _ in
            channel.close(mode: .output, promise: nil)
            channel.eventLoop.scheduleTask(in: linger) { channel.close(promise: nil) }
        }
    }

    func resumeReading() {
        context.read()
    }

    func close() {
        context.close(promise: nil)
    }
}
