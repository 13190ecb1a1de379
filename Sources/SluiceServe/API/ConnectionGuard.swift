import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// Enforces what Hummingbird's HTTP/1 channel does not: a request head must be complete
/// ``ServerLimits/headerTimeout`` after its first byte, and a body must make progress every
/// ``ServerLimits/bodyTimeout`` (idle connections are Hummingbird's `idleTimeout`). After an
/// answer marked `connection: close` (a refused head: 401, 413) it stops writing, drops what
/// the client still sends for a moment so the client reads the answer instead of a reset,
/// then closes: the refused request's body is never waited for.
final class ConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler, @unchecked Sendable {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    /// How long input is read and dropped after a final answer before the close.
    static let linger = TimeAmount.seconds(2)

    /// Where the connection is in reading a request; decides which deadline applies.
    private enum Phase {
        /// Between requests (Hummingbird's idle timeout applies).
        case waiting
        /// Bytes of a head arrived, the head is not complete.
        case head(since: NIODeadline)
        /// The head is read, the body is not complete.
        case body(lastProgress: NIODeadline)
    }

    private let limits: ServerLimits
    private var phase = Phase.waiting
    private var timer: Scheduled<Void>?
    private var context: ChannelHandlerContext?
    private var closeAfterAnswer = false
    private var closing = false

    init(limits: ServerLimits) {
        self.limits = limits
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        self.context = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        closing = true
        timer?.cancel()
        context.fireChannelInactive()
    }

    /// Raw bytes arrived (seen before the HTTP decoder): a new request's head may have begun.
    func bytesArrived() {
        guard case .waiting = phase, !closing else { return }
        phase = .head(since: .now())
        rearm()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head, .body:
            phase = .body(lastProgress: .now())
            rearm()
        case .end:
            phase = .waiting
            timer?.cancel()
            timer = nil
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(let head):
            if head.headerFields[.connection]?.lowercased() == "close" { closeAfterAnswer = true }
            context.write(data, promise: promise)
        case .body:
            context.write(data, promise: promise)
        case .end:
            guard closeAfterAnswer, !closing else {
                context.write(data, promise: promise)
                return
            }
            closing = true
            timer?.cancel()
            let written = context.eventLoop.makePromise(of: Void.self)
            written.futureResult.cascade(to: promise)
            context.writeAndFlush(data, promise: written)
            let channel = context.channel
            written.futureResult.whenComplete { _ in
                channel.close(mode: .output, promise: nil)
                channel.eventLoop.scheduleTask(in: Self.linger) { channel.close(promise: nil) }
            }
        }
    }

    /// Schedules the deadline of the current phase.
    private func rearm() {
        timer?.cancel()
        timer = nil
        guard let context, !closing else { return }
        let deadline: NIODeadline
        switch phase {
        case .waiting: return
        case .head(let since): deadline = since + limits.headerTimeout
        case .body(let lastProgress): deadline = lastProgress + limits.bodyTimeout
        }
        let channel = context.channel
        timer = context.eventLoop.scheduleTask(deadline: deadline) { channel.close(promise: nil) }
    }
}

/// Sits before the HTTP decoder and tells the guard when raw bytes arrive, so a head
/// dribbled byte by byte is timed from its first byte.
final class FirstByteObserver: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer

    private let connectionGuard: ConnectionGuard

    init(_ connectionGuard: ConnectionGuard) {
        self.connectionGuard = connectionGuard
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        connectionGuard.bytesArrived()
        context.fireChannelRead(data)
    }
}
