import NIOCore
import NIOExtras
import NIOHTTP1

/// Reads requests from the connection's raw bytes with ``HTTP1RequestParser``, answers them
/// one at a time in order, and writes each response as one pre-encoded buffer. It enforces
/// the connection's ``ServerLimits``: the head is screened before any body byte is kept,
/// bodies are bounded per route, slow or idle connections are closed, and parsing and
/// reading pause while `pipelineDepth` requests wait.
///
/// Its socket is a ``ServerTransport``: as a NIO channel handler it makes its own
/// (``ChannelServerTransport``); on an ``EpollEventLoop`` the socket drives it through
/// ``attach(_:eventLoop:allocator:)``, ``active()``, ``received(_:)``, ``mayRead()``,
/// ``inactive()`` and ``detach()``, the calls NIO's pipeline events make.
final class RequestHandler: ChannelDuplexHandler, ResponseReceiver, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// After a final answer, input is read and dropped this long so the client can read
    /// the answer before the close (closing with unread input would reset the connection).
    static let linger = TimeAmount.seconds(2)

    /// Something to answer, in arrival order.
    private enum Pending {
        /// A whole request for the responder.
        case request(ServerRequest)
        /// An answer decided without the responder (401, 413, 400); the connection closes after it.
        case final(ServerResponse, RequestHead)
    }

    /// What answering a request needs of it once the responder has it.
    private struct Answering {
        let method: HTTPMethod
        let version: HTTPVersion
        let keepAlive: Bool
        /// The body's size, given back to the listener's budget when the answer is written.
        let bodyBytes: Int

        init(_ request: ServerRequest) {
            method = request.head.method
            version = request.head.version
            keepAlive = request.head.isKeepAlive
            bodyBytes = request.body.readableBytes
        }
    }

    /// Where the connection is in reading its next request; decides which timeout applies.
    private enum Phase {
        /// Between requests.
        case waiting
        /// Bytes of a head arrived, the head is not complete.
        case head(since: NIODeadline)
        /// The head is read, the body is not complete.
        case body(lastProgress: NIODeadline)
    }

    // The state below is touched only on the connection's loop, by reads, assignments and
    // mutating calls of value types that call nothing back, so no access to it can overlap
    // another: the runtime's exclusivity check of each access (~65 instructions; 13 a
    // request in `parse` alone) is left out (Benchmarks/README.md, "Hot path, slice 39").
    private let responder: any HTTPResponder
    private let limits: ServerLimits
    private let budget: BodyBudget
    /// Body bytes this connection holds from the listener's budget.
    @exclusivity(unchecked) private var reserved = 0
    /// The socket, while attached.
    @exclusivity(unchecked) private var transport: (any ServerTransport)?
    /// The connection's loop, where every call comes, while attached.
    @exclusivity(unchecked) private var eventLoop: (any EventLoop)?
    /// The channel's allocator, read once (`context.channel.allocator` cost ~150 instructions a use).
    @exclusivity(unchecked) private var allocator = ByteBufferAllocator()
    /// The last answer's buffer, written into again for the next.
    @exclusivity(unchecked) private var writeBuffer = ReusedWriteBuffer()
    @exclusivity(unchecked) private var head: RequestHead?
    @exclusivity(unchecked) private var body: ByteBuffer?
    @exclusivity(unchecked) private var bodyLimit: Int
    @exclusivity(unchecked) private var phase = Phase.waiting
    /// No further request is read (one was refused, or the input could not be parsed).
    @exclusivity(unchecked) private var stopped = false
    @exclusivity(unchecked) private var busy = false
    @exclusivity(unchecked) private var closing = false
    /// The listener is stopping: answer what has begun, the last answer closing, then close.
    @exclusivity(unchecked) private var draining = false
    @exclusivity(unchecked) private var readDeferred = false
    /// The deadline of the current phase (idle, head, body), one per connection.
    @exclusivity(unchecked) private var deadline: ConnectionDeadline?
    /// The request the responder is answering (at most one at a time: `busy`).
    @exclusivity(unchecked) private var answering: Answering?
    @exclusivity(unchecked) private var queue = CircularBuffer<Pending>()
    @exclusivity(unchecked) private var parser: HTTP1RequestParser
    @exclusivity(unchecked) private var parsing = false
    /// The peer's address as text, made once per connection (not per request).
    @exclusivity(unchecked) private var peer: String??

    init(responder: any HTTPResponder, limits: ServerLimits, budget: BodyBudget) {
        self.responder = responder
        self.limits = limits
        self.budget = budget
        bodyLimit = limits.maximumBody
        parser = HTTP1RequestParser(maximumHeadBytes: limits.maximumHeadBytes, maximumHeaderCount: limits.maximumHeaderCount)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        attach(ChannelServerTransport(context), eventLoop: context.eventLoop, allocator: context.channel.allocator)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        detach()
    }

    func channelActive(context: ChannelHandlerContext) {
        active()
        context.fireChannelActive()
    }

    /// The listener is closing gracefully (NIOExtras' quiescing helper): drain.
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard event is ChannelShouldQuiesceEvent else { return context.fireUserInboundEventTriggered(event) }
        drain()
    }

    func channelInactive(context: ChannelHandlerContext) {
        inactive()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        received(&bytes)
    }

    /// The connection is on `transport`, on `eventLoop`, where every later call comes.
    func attach(_ transport: any ServerTransport, eventLoop: any EventLoop, allocator: ByteBufferAllocator) {
        self.transport = transport
        self.eventLoop = eventLoop
        self.allocator = allocator
        // A strong reference, dropped in `detach`: a weak one would give the handler a
        // side table, and every retain and release of it would take the slow path.
        deadline = ConnectionDeadline(eventLoop: eventLoop) { self.close() }
    }

    /// The connection is gone: its deadline and its share of the body budget are given up.
    func detach() {
        deadline?.cancel()
        deadline = nil
        transport = nil
        budget.release(reserved)
        reserved = 0
    }

    /// The connection is open: the idle deadline starts.
    func active() {
        rearm()
    }

    /// The connection closed: nothing more is read or written.
    func inactive() {
        closing = true
        deadline?.cancel()
    }

    /// The listener is stopping (a graceful shutdown): the requests this connection has
    /// begun are answered, the last with `connection: close`, and then it closes; a
    /// connection with nothing under way closes now.
    func drain() {
        guard !closing, !draining else { return }
        draining = true
        if !hasBegunWork { close() }
    }

    /// Whether a request is being read, waits or is being answered.
    private var hasBegunWork: Bool {
        busy || !queue.isEmpty || hasBegunReading
    }

    /// Whether a request's head or body is being read.
    private var hasBegunReading: Bool {
        if parser.hasPartialHead { return true }
        if case .waiting = phase { return false }
        return true
    }

    /// Bytes from the caller.
    func received(_ bytes: inout ByteBuffer) {
        // After a final answer, input is dropped (see `write`).
        guard !closing, !stopped else { return }
        guard bytes.readableBytes > 0 else { return }
        parser.append(&bytes)
        parse()
    }

    /// Parses and handles buffered requests until more bytes are needed, the connection
    /// stops, or `pipelineDepth` requests wait (the rest stays buffered until one is answered).
    private func parse() {
        // Answering a request can finish at once and come back here: the running loop goes on.
        guard transport != nil, !parsing else { return }
        parsing = true
        defer { parsing = false }
        do {
            while !closing, !stopped {
                if parser.isAtRequestStart, queue.count + (busy ? 1 : 0) >= limits.pipelineDepth { return }
                guard let event = try parser.next() else { break }
                switch event {
                case .head(let parsed):
                    guard accepted(parsed) else { break }
                    // The usual request: its whole body came with its head, taken at once
                    // (no body events, no body deadline set and moved, ~400 instructions).
                    if let whole = parser.takeWholeBody() {
                        if whole.readableBytes == 0 || kept(whole) { receivedEnd() }
                    } else {
                        awaitBody()
                    }
                case .body(let chunk):
                    if kept(chunk) { awaitBody() }
                case .end: receivedEnd()
                }
            }
        } catch {
            refuse(.error(error.status, "malformed request: \(error.message)"), .unread)
            return
        }
        // A head begun and not complete: it must be complete `headerTimeout` after now.
        if parser.hasPartialHead, case .waiting = phase {
            phase = .head(since: .now())
            rearm()
        }
    }

    /// Screens a head and takes it as the request being read; false when it was refused.
    private func accepted(_ parsed: HTTP1RequestParser.Head) -> Bool {
        let requestHead = parsed.head
        body = nil
        switch responder.screen(requestHead) {
        case .refuse(let response):
            refuse(response, requestHead)
            return false
        case .accept(let limit):
            bodyLimit = limit ?? limits.maximumBody
        }
        if let length = parsed.contentLength, length > bodyLimit {
            refuse(.error(.payloadTooLarge, "request body larger than \(bodyLimit) bytes"), requestHead)
            return false
        }
        head = requestHead
        if parsed.expectsContinue, !busy, queue.isEmpty {
            // curl and others wait for this before sending a body over 1 KiB.
            var interim = allocator.buffer(capacity: 32)
            interim.writeStaticString("HTTP/1.1 100 Continue\r\n\r\n")
            transport?.writeAndFlush(interim)
        }
        return true
    }

    /// The body is still to come: it must keep arriving within `bodyTimeout`.
    private func awaitBody() {
        phase = .body(lastProgress: .now())
        rearm()
    }

    /// Adds body bytes to the request being read; false when they were refused (over the
    /// request's limit or the server's budget).
    private func kept(_ chunk: ByteBuffer) -> Bool {
        guard let requestHead = head else { return false }
        var chunk = chunk
        if (body?.readableBytes ?? 0) + chunk.readableBytes > bodyLimit {
            refuse(.error(.payloadTooLarge, "request body larger than \(bodyLimit) bytes"), requestHead)
            return false
        }
        guard budget.reserve(chunk.readableBytes) else {
            refuse(.error(.serviceUnavailable, "the server holds too many request bodies; retry later"), requestHead)
            return false
        }
        reserved += chunk.readableBytes
        if body == nil {
            body = chunk
        } else {
            body!.writeBuffer(&chunk)
        }
        return true
    }

    private func receivedEnd() {
        guard let requestHead = head, let eventLoop else { return }
        head = nil
        phase = .waiting
        let request = ServerRequest(
            head: requestHead,
            body: body ?? allocator.buffer(capacity: 0),
            eventLoop: eventLoop,
            remoteAddress: peerAddress()
        )
        body = nil
        // Answered at once when nothing is ahead of it, without a `Pending` made and taken
        // apart (each copy of a `ServerRequest` retains and releases its references).
        guard busy || !queue.isEmpty else { return answer(request) }
        enqueue(.request(request))
    }

    private func peerAddress() -> String? {
        if let peer { return peer }
        let address = transport?.remoteAddress
        peer = .some(address)
        return address
    }

    /// Holds back reads while enough requests wait, so a client that pipelines faster
    /// than it is answered is slowed by TCP instead of filling memory.
    func read(context: ChannelHandlerContext) {
        if mayRead() { context.read() }
    }

    /// Whether the transport may read now; false holds reading back until
    /// ``ServerTransport/resumeReading()``.
    func mayRead() -> Bool {
        if !stopped, queue.count + (busy ? 1 : 0) >= limits.pipelineDepth {
            readDeferred = true
            deadline?.set(nil)
            return false
        }
        return true
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        failed()
    }

    /// The socket failed: the connection closes.
    func failed() {
        close()
    }

    // MARK: - answering in order

    /// Stops reading requests and answers `response` after the ones before it, then closes.
    private func refuse(_ response: ServerResponse, _ requestHead: RequestHead) {
        stopped = true
        head = nil
        giveBack(body?.readableBytes ?? 0)
        body = nil
        phase = .waiting
        enqueue(.final(response, requestHead))
    }

    private func enqueue(_ item: Pending) {
        if !busy, queue.isEmpty {
            process(item)
            return
        }
        // Bounded by `parse`, which stops at `pipelineDepth` waiting requests.
        queue.append(item)
        rearm()
    }

    private func process(_ item: Pending) {
        switch item {
        case .final(let response, let requestHead):
            guard let transport = beginTurn() else { return }
            write(response, for: requestHead.method, version: requestHead.version, keepAlive: false, to: transport)
            busy = false
        case .request(let request):
            answer(request)
        }
    }

    /// Hands `request` to the responder.
    private func answer(_ request: ServerRequest) {
        guard beginTurn() != nil else { return }
        // Only what the answer needs, not the request: each reference in a kept
        // `ServerRequest` would be retained and released once more per request.
        answering = Answering(request)
        responder.respond(to: request, receiver: self)
    }

    /// Starts the server's turn on the connection and returns its transport; nil, and nothing
    /// started, once it is closed or closing.
    private func beginTurn() -> (any ServerTransport)? {
        guard let transport, !closing else { return nil }
        busy = true
        timerForServerTurn()
        return transport
    }

    /// The responder's answer to the request in `answering`, on this connection's loop, once.
    func receive(_ response: ServerResponse) {
        guard let answering else { return }
        self.answering = nil
        giveBack(answering.bodyBytes)
        guard let transport, let eventLoop else { return }
        eventLoop.preconditionInEventLoop()
        // Draining, the last answer of what had begun closes the connection.
        let last = draining && queue.isEmpty && !hasBegunReading
        write(response, for: answering.method, version: answering.version, keepAlive: answering.keepAlive && !last, to: transport)
        busy = false
        next()
    }

    private func next() {
        guard !closing else { return }
        if let item = queue.popFirst() {
            process(item)
        }
        // Requests buffered while the queue was full.
        parse()
        guard !closing, !busy, queue.isEmpty else { return }
        if readDeferred, let transport {
            readDeferred = false
            transport.resumeReading()
        }
        rearm()
    }

    /// Returns a body's bytes to the listener's budget once it is no longer held.
    private func giveBack(_ bytes: Int) {
        let returned = min(bytes, reserved)
        reserved -= returned
        budget.release(returned)
    }

    // MARK: - timeouts

    /// While the server is answering, only a request being read has a deadline.
    private func timerForServerTurn() {
        if case .waiting = phase { deadline?.set(nil) }
    }

    /// Schedules the deadline of the current phase: idle between requests, a complete
    /// head after its first byte, body progress after each chunk.
    /// Moving it later schedules nothing (``ConnectionDeadline``).
    private func rearm() {
        guard let deadline else { return }
        guard transport != nil, !closing, !stopped, !readDeferred else {
            deadline.set(nil)
            return
        }
        switch phase {
        case .waiting:
            deadline.set(!busy && queue.isEmpty ? .now() + limits.idleTimeout : nil)
        case .head(let since):
            deadline.set(since + limits.headerTimeout)
        case .body(let lastProgress):
            deadline.set(lastProgress + limits.bodyTimeout)
        }
    }

    private func close() {
        guard !closing else { return }
        closing = true
        deadline?.cancel()
        transport?.close()
    }

    // MARK: - writing

    private func write(_ response: ServerResponse, for method: HTTPMethod, version: HTTPVersion, keepAlive: Bool, to transport: any ServerTransport) {
        guard !closing else { return }
        let bodyBytes = method.isHEAD ? 0 : (response.body?.readableBytes ?? 0)
        // Status line, forwarded fields, own fields, `content-length` and `connection` lines, CRLF.
        var headBytes = 17 + response.status.reasonPhrase.utf8.count + (response.forwarded?.maximumBytes ?? 0) + response.own.maximumBytes
        for (name, value) in response.headers { headBytes += name.utf8.count + value.utf8.count + 4 }
        headBytes += 16 + HeadBytesWriter.maximumDecimalBytes + 28
        var buffer = writeBuffer.take(capacity: headBytes + bodyBytes, allocator: allocator)
        let http10 = version.minor == 0 && version.major == 1
        buffer.writeHead(maximumBytes: headBytes) { head in
            if response.status == .ok {
                head.append(http10 ? "HTTP/1.0 200 OK\r\n" : "HTTP/1.1 200 OK\r\n")
            } else {
                head.append(http10 ? "HTTP/1.0 " : "HTTP/1.1 ")
                head.appendDecimal(Int(response.status.code))
                head.append(" ")
                head.append(string: response.status.reasonPhrase)
                head.append("\r\n")
            }
            // Copied from the model server's bytes, without hop-by-hop, framing and the gateway's names.
            response.forwarded?.write(to: &head)
            response.own.write(to: &head)
            for (name, value) in response.headers {
                // Never forward a header that could split the response, nor one we set below.
                guard !HTTP1Syntax.hasLineBreak(name), !HTTP1Syntax.hasLineBreak(value) else { continue }
                if Self.isFraming(name) { continue }
                head.append(string: name)
                head.append(": ")
                head.append(string: value)
                head.append("\r\n")
            }
            head.append("content-length: ")
            head.appendDecimal(response.body?.readableBytes ?? 0)
            head.append(keepAlive ? "\r\nconnection: keep-alive\r\n\r\n" : "\r\nconnection: close\r\n\r\n")
        }
        if bodyBytes > 0, var body = response.body {
            buffer.writeBuffer(&body)
        }
        // A kept-alive connection needs no word of the write's end: no promise is made for it.
        guard !keepAlive else {
            writeBuffer.keep(buffer)
            return transport.writeAndFlush(buffer)
        }
        // The last answer: stop writing, drop whatever the client still sends for a
        // moment (so it reads the answer instead of a reset), then close.
        closing = true
        stopped = true
        deadline?.cancel()
        transport.writeLast(buffer, thenCloseAfter: Self.linger)
    }

    /// Whether `name` is one of the framing headers the writer sets itself, in any case
    /// (compared without a lowercased copy).
    static func isFraming(_ name: String) -> Bool {
        switch name.utf8.count {
        case 14: HTTP1Syntax.equalsLowercase(name, "content-length")
        case 10: HTTP1Syntax.equalsLowercase(name, "connection")
        case 17: HTTP1Syntax.equalsLowercase(name, "transfer-encoding")
        default: false
        }
    }

}
