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

    private var completion: UpstreamCompletion?
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

    convenience init(address: UpstreamAddress) {
        self.init(hostHeader: address.host.contains(":") ? "[\(address.host)]:\(address.port)" : "\(address.host):\(address.port)")
    }

    init(hostHeader: String, maximumBody: Int = UpstreamClient.maximumBody) {
        self.hostHeader = hostHeader
        parser = HTTP1ResponseParser(
            maximumHeadBytes: Self.maximumHeadBytes, maximumHeaderCount: Self.maximumHeaderCount, maximumBody: maximumBody)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        // A strong reference, dropped in `handlerRemoved`: a weak one would give the handler a
        // side table, and every retain and release of it would take the slow path.
        deadline = ConnectionDeadline(eventLoop: context.eventLoop) { self.timedOut() }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
        self.context = nil
        reusable = false
        fail(receivedAny ? .broken("the connection was closed") : .unanswered("the connection was closed"))
    }

    /// Writes `request` and calls `completion` (on the loop) with its response or failure.
    func send(_ request: UpstreamRequest, timeout: TimeAmount, completion: @escaping UpstreamCompletion) {
        guard self.completion == nil else {
            completion(.failure(.broken("connection busy")))
            return
        }
        guard let context, context.channel.isActive, reusable else {
            completion(.failure(.unanswered("the connection was closed")))
            return
        }
        self.completion = completion
        receivedAny = false
        parser.expectResponse(toHEAD: request.method == .HEAD)
        deadline?.set(.now() + timeout)
        let bytes = UpstreamRequestWriter.encode(request, host: hostHeader, allocator: context.channel.allocator)
        context.writeAndFlush(wrapOutboundOut(bytes), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        guard completion != nil else {
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
        if let completion {
            self.completion = nil
            completion(.success(UpstreamResponse(status: response.status, fields: response.fields, body: response.body)))
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
        guard let completion else { return }
        self.completion = nil
        completion(.failure(error))
    }
}
