import NIOCore
import NIOHTTP1
import SluiceCore

/// The whole pipeline of one connection to a model server: it writes each request as one
/// buffer (`UpstreamRequestWriter.encode`) and reads raw bytes into `HTTP1ResponseParser`, one
/// exchange at a time. No NIO HTTP handlers: no `ByteToMessageHandler`, llhttp or `NIOAny`
/// parts per response (Benchmarks/README.md, "Hot path, slice 5").
///
/// Any failure makes the connection unusable; so does any byte the server sends beyond the
/// answer to the one request outstanding (a second, unsolicited response must never be read
/// as the answer to the next request in the pool).
final class UpstreamConnectionHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// Largest response head (status line and fields) and number of fields accepted.
    static let maximumHeadBytes = 64 * 1024
    static let maximumHeaderCount = 100

    /// The request outstanding, if any: who hears of its outcome and where the connection goes after.
    private var outstanding: Outstanding?
    private var parser: HTTP1ResponseParser
    /// The current exchange's deadline (`send`'s timeout), one per connection.
    private var deadline: ConnectionDeadline?
    private var context: ChannelHandlerContext?
    private(set) var reusable = true
    /// Whether any byte arrived since the current request went out: a connection closed
    /// before then left the request unanswered, so another version may be tried.
    private var receivedAny = false

    /// The `host` header of every request on this connection.
    let hostHeader: String
    /// The model server this connection is to (nil for a unix socket): its pool's key.
    let address: UpstreamAddress?

    convenience init(address: UpstreamAddress) {
        self.init(hostHeader: address.host.contains(":") ? "[\(address.host)]:\(address.port)" : "\(address.host):\(address.port)", address: address)
    }

    init(hostHeader: String, address: UpstreamAddress? = nil, maximumBody: Int = UpstreamClient.maximumBody) {
        self.hostHeader = hostHeader
        self.address = address
        parser = HTTP1ResponseParser(
            maximumHeadBytes: Self.maximumHeadBytes, maximumHeaderCount: Self.maximumHeaderCount, maximumBody: maximumBody)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        deadline = ConnectionDeadline(eventLoop: context.eventLoop) { [weak self] in self?.timedOut() }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
        self.context = nil
        reusable = false
        fail(receivedAny ? .broken("the connection was closed") : .unanswered("the connection was closed"))
    }

    /// One request sent and not yet answered.
    struct Outstanding {
        let exchange: any UpstreamExchange
        /// The pool the outcome goes through (to keep the connection, or send again), nil for a one-off connection.
        let pool: LoopPool?
        /// On a kept-alive connection, the request as sent: one the server closed while idle
        /// leaves it unanswered, and the pool sends it again on a new connection.
        let resend: Resend?
    }

    /// A request's bytes as sent, and what the pool needs to send them again.
    struct Resend {
        let bytes: ByteBuffer
        let toHEAD: Bool
        let timeout: TimeAmount
    }

    /// Writes `request` and calls `completion` (on the loop) with its response or failure
    /// (one-off connections and tests; the gateway's pool passes its exchange).
    func send(_ request: UpstreamRequest, timeout: TimeAmount, completion: @escaping UpstreamCompletion) {
        send(request, timeout: timeout, exchange: CallbackExchange(completion))
    }

    /// Writes `request` (encoded for this connection's host) and tells `exchange` its outcome,
    /// through `pool` when it came from one; `resendable` keeps its bytes for a second try.
    func send(_ request: UpstreamRequest, timeout: TimeAmount, exchange: any UpstreamExchange, pool: LoopPool? = nil, resendable: Bool = false) {
        let bytes = UpstreamRequestWriter.encode(request, host: hostHeader, allocator: context?.channel.allocator ?? ByteBufferAllocator())
        let toHEAD = request.method == .HEAD
        let resend = resendable ? Resend(bytes: bytes, toHEAD: toHEAD, timeout: timeout) : nil
        send(bytes, toHEAD: toHEAD, timeout: timeout, to: Outstanding(exchange: exchange, pool: pool, resend: resend))
    }

    /// Writes a request's `bytes` and tells `outstanding` its outcome, on the loop.
    func send(_ bytes: ByteBuffer, toHEAD: Bool, timeout: TimeAmount, to outstanding: Outstanding) {
        guard self.outstanding == nil else {
            return Self.deliver(.failure(.broken("connection busy")), to: outstanding, from: self)
        }
        guard let context, context.channel.isActive, reusable else {
            return Self.deliver(.failure(.unanswered("the connection was closed")), to: outstanding, from: self)
        }
        self.outstanding = outstanding
        receivedAny = false
        parser.expectResponse(toHEAD: toHEAD)
        deadline?.set(.now() + timeout)
        context.writeAndFlush(wrapOutboundOut(bytes), promise: nil)
    }

    /// Whether this connection may carry another request.
    var isReusable: Bool { reusable && context?.channel.isActive == true }

    /// Closes the connection (idle, or no longer wanted).
    func close() {
        context?.close(promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        guard outstanding != nil else {
            // Bytes with no request outstanding: whatever they are, they are no answer.
            reusable = false
            context.close(promise: nil)
            return
        }
        receivedAny = true
        parser.append(&bytes)
        let response: HTTP1ResponseParser.Response?
        do {
            response = try parser.next()
        } catch {
            failAndClose(error, context: context)
            return
        }
        if let response { succeed(response, context: context) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        reusable = false
        do {
            if let response = try parser.finish() {
                succeed(response, context: context)
            }
        } catch {
            failAndClose(error, context: context)
        }
        fail(receivedAny ? .broken("closed by the upstream before a whole response") : .unanswered("closed by the upstream"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        reusable = false
        fail(receivedAny ? .broken("\(error)") : .unanswered("\(error)"))
        context.close(promise: nil)
    }

    private func succeed(_ response: HTTP1ResponseParser.Response, context: ChannelHandlerContext) {
        deadline?.set(nil)
        // Not reusable before the caller hears of it: it may hand the connection back to the pool.
        if !response.reusable { reusable = false }
        if let outstanding {
            self.outstanding = nil
            Self.deliver(.success(UpstreamResponse(status: response.status, fields: response.fields, body: response.body)), to: outstanding, from: self)
        }
        if !response.reusable, context.channel.isActive { context.close(promise: nil) }
    }

    private func failAndClose(_ error: HTTP1ParseError, context: ChannelHandlerContext) {
        if case .responseBodyTooLarge = error {
            fail(.tooLarge)
        } else {
            fail(.broken("the upstream's response: \(error.message)"))
        }
        context.close(promise: nil)
    }

    private func timedOut() {
        fail(.timeout)
        context?.close(promise: nil)
    }

    private func fail(_ error: UpstreamFailure) {
        reusable = false
        deadline?.cancel()
        guard let outstanding else { return }
        self.outstanding = nil
        Self.deliver(.failure(error), to: outstanding, from: self)
    }

    /// Hands an outcome to the pool the request came through, or straight to its exchange.
    private static func deliver(
        _ result: Result<UpstreamResponse, UpstreamFailure>, to outstanding: Outstanding, from connection: UpstreamConnectionHandler
    ) {
        if let pool = outstanding.pool {
            pool.connection(connection, finished: result, for: outstanding)
        } else {
            outstanding.exchange.upstreamDidFinish(result)
        }
    }
}
