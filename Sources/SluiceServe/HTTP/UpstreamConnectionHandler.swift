import NIOCore
import NIOHTTP1
import SluiceCore

/// The whole pipeline of one connection to a model server: it writes each request as one
/// buffer (`UpstreamRequestWriter.encode`) and reads raw bytes into `HTTP1ResponseParser`, one
/// exchange at a time. No NIO HTTP handlers: no `ByteToMessageHandler`, llhttp or `NIOAny`
/// parts per response (Benchmarks/README.md, "Hot path, slice 5").
///
/// Its socket is an ``UpstreamTransport``: as a NIO channel handler it makes its own
/// (``ChannelUpstreamTransport``); on an ``EpollEventLoop`` the socket drives it through
/// ``attach(_:eventLoop:allocator:)``, ``received(_:)``, ``closed()``, ``failed(_:)`` and
/// ``detach()``, the calls NIO's pipeline events make.
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

    // Touched only on the connection's loop, by reads, assignments and mutating calls of
    // value types that call nothing back: no access can overlap another, so the runtime's
    // exclusivity checks are left out (as in ``RequestHandler``).
    /// The exchange in flight, told once of its outcome.
    @exclusivity(unchecked) private var exchange: (any UpstreamExchange)?
    /// The exchange's request and timeout while ``resendVia`` may send it once more.
    @exclusivity(unchecked) private var request: UpstreamRequest?
    @exclusivity(unchecked) private var timeout = TimeAmount.zero
    /// Where this connection goes back after a whole answer (pooled connections).
    @exclusivity(unchecked) private var returnTo: IdleConnections?
    /// The pool that sends the request once more when this kept-alive connection turns out
    /// to have been closed while idle (``UpstreamFailure/unanswered``).
    @exclusivity(unchecked) private var resendVia: LoopPool?
    @exclusivity(unchecked) private var parser: HTTP1ResponseParser
    /// The current exchange's deadline (`send`'s timeout), one per connection.
    @exclusivity(unchecked) private var deadline: ConnectionDeadline?
    /// The socket, while attached.
    @exclusivity(unchecked) private var transport: (any UpstreamTransport)?
    @exclusivity(unchecked) private var allocator = ByteBufferAllocator()
    /// The last request's buffer, written into again for the next.
    @exclusivity(unchecked) private var writeBuffer = ReusedWriteBuffer()
    @exclusivity(unchecked) private(set) var reusable = true
    /// Whether any byte arrived since the current request went out: a connection closed
    /// before then left the request unanswered, so another version may be tried.
    @exclusivity(unchecked) private var receivedAny = false

    /// The `host` header of every request on this connection.
    let hostHeader: String
    /// The upstream this connection goes to (nil for a unix socket).
    let address: PooledAddress?

    convenience init(address: UpstreamAddress) {
        self.init(address: PooledAddress(address))
    }

    convenience init(address pooled: PooledAddress) {
        let address = pooled.address
        self.init(hostHeader: address.host.contains(":") ? "[\(address.host)]:\(address.port)" : "\(address.host):\(address.port)", address: pooled)
    }

    init(hostHeader: String, address: PooledAddress? = nil, maximumBody: Int = UpstreamClient.maximumBody) {
        self.hostHeader = hostHeader
        self.address = address
        parser = HTTP1ResponseParser(
            maximumHeadBytes: Self.maximumHeadBytes, maximumHeaderCount: Self.maximumHeaderCount, maximumBody: maximumBody)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        attach(ChannelUpstreamTransport(context), eventLoop: context.eventLoop, allocator: context.channel.allocator)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        detach()
    }

    /// The connection is open on `transport`, on `eventLoop`, where every later call comes.
    func attach(_ transport: any UpstreamTransport, eventLoop: any EventLoop, allocator: ByteBufferAllocator) {
        self.transport = transport
        self.allocator = allocator
        // A strong reference, dropped in `detach`: a weak one would give the handler a
        // side table, and every retain and release of it would take the slow path.
        deadline = ConnectionDeadline(eventLoop: eventLoop) { self.timedOut() }
    }

    /// The connection is gone: nothing more arrives, and an exchange in flight fails.
    func detach() {
        deadline?.cancel()
        deadline = nil
        transport = nil
        reusable = false
        fail(receivedAny ? .broken("the connection was closed") : .unanswered("the connection was closed"))
    }

    /// Whether the connection can take another request: open, and nothing made it unusable.
    var isReusable: Bool { reusable && transport?.isActive == true }

    /// Writes `request` and tells `exchange` (on the loop) its response or failure. A pooled
    /// connection goes back to `returnTo` after a whole answer; with `resendVia`, a request
    /// this kept-alive connection leaves unanswered is sent once more through that pool.
    func send(
        _ request: UpstreamRequest, timeout: TimeAmount, exchange: any UpstreamExchange, returnTo: IdleConnections? = nil, resendVia: LoopPool? = nil
    ) {
        guard self.exchange == nil else {
            exchange.upstreamFinished(.failure(.broken("connection busy")))
            return
        }
        self.exchange = exchange
        self.returnTo = returnTo
        if let resendVia {
            self.resendVia = resendVia
            self.request = request
            self.timeout = timeout
        }
        guard let transport, transport.isActive, reusable else {
            fail(.unanswered("the connection was closed"))
            return
        }
        receivedAny = false
        parser.expectResponse(toHEAD: request.method.isHEAD)
        deadline?.set(.now() + timeout)
        let bytes = UpstreamRequestWriter.encode(request, host: hostHeader, into: &writeBuffer, allocator: allocator)
        writeBuffer.keep(bytes)
        transport.writeAndFlush(bytes)
    }

    /// Tells the exchange in flight its outcome, after handing the connection back to its
    /// list (a success) or the request to its pool once more (a stale connection).
    private func finish(_ result: Result<UpstreamResponse, UpstreamFailure>) {
        guard let exchange else { return }
        self.exchange = nil
        let list = returnTo
        returnTo = nil
        let pool = resendVia
        resendVia = nil
        let request = self.request
        self.request = nil
        if let pool, let request, let address, case .failure(.unanswered) = result {
            pool.send(request, to: address, timeout: timeout, retryStale: false, exchange: exchange)
            return
        }
        if case .success = result { list?.release(self) }
        exchange.upstreamFinished(result)
    }

    /// Closes the connection (an idle one that cannot be reused, or a retired list's).
    func close() {
        transport?.close()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        received(&bytes)
    }

    func channelInactive(context: ChannelHandlerContext) {
        closed()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        failed(error)
    }

    /// Bytes from the model server.
    func received(_ bytes: inout ByteBuffer) {
        guard exchange != nil else {
            // Bytes with no request outstanding: whatever they are, they are no answer.
            reusable = false
            transport?.close()
            return
        }
        receivedAny = true
        parser.append(&bytes)
        let response: HTTP1ResponseParser.Response?
        do {
            response = try parser.next()
        } catch {
            failAndClose(error)
            return
        }
        if let response { succeed(response) }
    }

    /// The model server closed the connection (or it was closed here): an answer framed by
    /// the close is whole now; any other exchange in flight fails.
    func closed() {
        reusable = false
        do {
            if let response = try parser.finish() {
                succeed(response)
            }
        } catch {
            failAndClose(error)
        }
        fail(receivedAny ? .broken("closed by the upstream before a whole response") : .unanswered("closed by the upstream"))
    }

    /// The socket failed: the exchange in flight fails and the connection is closed.
    func failed(_ error: any Error) {
        reusable = false
        fail(receivedAny ? .broken("\(error)") : .unanswered("\(error)"))
        transport?.close()
    }

    private func succeed(_ response: HTTP1ResponseParser.Response) {
        deadline?.set(nil)
        // Not reusable before the caller hears of it: it may hand the connection back to the pool.
        if !response.reusable { reusable = false }
        if exchange != nil {
            finish(.success(UpstreamResponse(status: response.status, fields: response.fields, body: response.body)))
        }
        if !response.reusable, let transport, transport.isActive { transport.close() }
    }

    private func failAndClose(_ error: HTTP1ParseError) {
        if case .responseBodyTooLarge = error {
            fail(.tooLarge)
        } else {
            fail(.broken("the upstream's response: \(error.message)"))
        }
        transport?.close()
    }

    private func timedOut() {
        fail(.timeout)
        transport?.close()
    }

    private func fail(_ error: UpstreamFailure) {
        reusable = false
        deadline?.cancel()
        finish(.failure(error))
    }
}
