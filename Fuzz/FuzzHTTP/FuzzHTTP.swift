import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded
import NIOHTTP1
import SluiceServe

/// Answers every request with its own path and body; a path containing `slow` is answered
/// only after the whole input was read, so pipelined requests queue behind it.
final class EchoResponder: HTTPResponder {
    private let pending = NIOLockedValueBox<[(EventLoopPromise<ServerResponse>, ServerResponse)]>([])

    func respond(to request: ServerRequest) -> EventLoopFuture<ServerResponse> {
        var headers = HTTPHeaders()
        headers.add(name: "x-path", value: String(request.path))
        headers.add(name: "x-query", value: request.query("q") ?? "")
        let response = ServerResponse(status: .ok, headers: headers, body: request.body)
        guard request.path.contains("slow") else { return request.eventLoop.makeSucceededFuture(response) }
        let promise = request.eventLoop.makePromise(of: ServerResponse.self)
        pending.withLockedValue { $0.append((promise, response)) }
        return promise.futureResult
    }

    /// Completes the held answers, failing every other one; returns whether any was held.
    func release() -> Bool {
        let held = pending.withLockedValue { list in defer { list = [] }; return list }
        for (index, (promise, response)) in held.enumerated() {
            if index % 2 == 0 { promise.succeed(response) } else { promise.fail(ChannelError.ioOnClosedChannel) }
        }
        return !held.isEmpty
    }
}

/// Feeds `bytes` to one connection's real pipeline (the server's request handler and its
/// parser) in chunks of `chunk` bytes, then drains and closes it.
func feed(_ bytes: UnsafeRawBufferPointer, chunk: Int) {
    let channel = EmbeddedChannel()
    let responder = EchoResponder()
    do {
        try HTTPServerHost.addHandlers(to: channel, maximumBody: 512, responder: responder)
        // An embedded channel is inactive until connected; a closed one stops reading.
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 8080)).wait()
    } catch {
        fatalError("pipeline: \(error)")
    }
    var offset = 0
    while offset < bytes.count, channel.isActive {
        let end = min(bytes.count, offset + chunk)
        var buffer = channel.allocator.buffer(capacity: end - offset)
        buffer.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[offset..<end]))
        _ = try? channel.writeInbound(buffer)
        channel.embeddedEventLoop.run()
        while (try? channel.readOutbound(as: ByteBuffer.self)) ?? nil != nil {}
        offset = end
    }
    // Answering one held request starts the next queued one, which may be held in turn.
    while responder.release() {
        channel.embeddedEventLoop.run()
        while (try? channel.readOutbound(as: ByteBuffer.self)) ?? nil != nil {}
    }
    _ = try? channel.finish(acceptAlreadyClosed: true)
}

/// What the request parser makes of `bytes` delivered in pieces of `chunk` bytes: one line
/// per event, then the error if any.
func parse(_ bytes: UnsafeRawBufferPointer, chunk: Int) -> [String] {
    var parser = HTTP1RequestParser(maximumHeadBytes: 2048, maximumHeaderCount: 16)
    var events: [String] = []
    // Bytes, not text: a body split inside a UTF-8 sequence must compare equal.
    var body: [UInt8] = []
    var offset = 0
    while offset < bytes.count {
        let end = min(bytes.count, offset + chunk)
        var buffer = ByteBuffer(bytes: UnsafeRawBufferPointer(rebasing: bytes[offset..<end]))
        offset = end
        parser.append(&buffer)
        do {
            while let event = try parser.next() {
                switch event {
                case .head(let parsed):
                    let head = parsed.head
                    events.append(
                        "\(head.method) \(head.uri) \(head.version) \(head.headers) \(parsed.contentLength ?? -1) \(parsed.expectsContinue) "
                            + "\(head.isKeepAlive) \(forwarded(head.fields))")
                case .body(let bytes):
                    body += bytes.readableBytesView
                case .end:
                    events.append("body \(body)")
                    body = []
                }
            }
        } catch {
            events.append("error \(error)")
            return events
        }
    }
    return events
}

/// The fields the gateway would copy from a response into its answer, or from a request to the
/// model server, checked: written as a head they read back as exactly the kept fields (whole
/// lines, nothing injected), none of them a dropped, framing or host name.
func forwarded(_ lines: HTTP1FieldLines) -> String {
    let dropped = ["keep-alive", "te", "x-request-id", "upgrade"]
    let fields = ForwardedFields(lines, dropping: FieldNameSet(dropped))
    var head = ByteBuffer(string: "HTTP/1.1 200 OK\r\n")
    head.writeHead(maximumBytes: fields.maximumBytes) { fields.write(to: &$0) }
    head.writeString("\r\n")
    let written = String(buffer: head)
    var parser = HTTP1ResponseParser(maximumHeadBytes: 8192, maximumHeaderCount: 64, maximumBody: 0)
    parser.expectResponse(toHEAD: true)
    parser.append(&head)
    let reread: HTTP1ResponseParser.Response?
    do {
        reread = try parser.next()
    } catch {
        fatalError("forwarded fields do not read back as a head (\(error)): \(Array(written.utf8))")
    }
    guard let reread, !parser.hasUnreadBytes else { fatalError("forwarded fields are not one whole head: \(Array(written.utf8))") }
    let kept = fields.headers.map { "\($0.name)=\($0.value)" }
    let back = reread.headers.map { "\($0.name)=\($0.value)" }
    if kept != back { fatalError("forwarded \(back) against kept \(kept)") }
    let framing: Set<String> = ["content-length", "transfer-encoding", "connection", "host"]
    if let name = reread.headers.map({ $0.name.lowercased() }).first(where: { dropped.contains($0) || framing.contains($0) }) {
        fatalError("forwarded a dropped field: \(name)")
    }
    return "\(back)"
}

/// What the upstream response reader makes of `bytes` as a model server's answer to one request
/// (HEAD or not), delivered in pieces of `chunk` bytes, then the server's close: the response,
/// whether its connection stays reusable, and the error if any.
func readResponse(_ bytes: UnsafeRawBufferPointer, chunk: Int, toHEAD head: Bool) -> String {
    var parser = HTTP1ResponseParser(maximumHeadBytes: 2048, maximumHeaderCount: 16, maximumBody: 512)
    parser.expectResponse(toHEAD: head)
    func describe(_ response: HTTP1ResponseParser.Response, reusable: Bool? = nil) -> String {
        let fields = response.headers.map { "\($0.name)=\($0.value)" }
        return "\(response.version) \(response.status.code) \(fields) forwarded=\(forwarded(response.fields)) reusable=\(reusable ?? response.reusable) body=\(Array(response.body.readableBytesView))"
    }
    var offset = 0
    do {
        while offset < bytes.count {
            let end = min(bytes.count, offset + chunk)
            var buffer = ByteBuffer(bytes: UnsafeRawBufferPointer(rebasing: bytes[offset..<end]))
            offset = end
            parser.append(&buffer)
            if let response = try parser.next() {
                // Bytes past the response, whether already read or not, make it unreusable.
                if parser.hasUnreadBytes, response.reusable { fatalError("reusable with bytes after the response") }
                let unread = offset < bytes.count || parser.hasUnreadBytes
                return describe(response, reusable: response.reusable && !unread)
            }
        }
        if let response = try parser.finish() {
            if response.reusable { fatalError("a response read until the close is reusable") }
            return describe(response)
        }
        return "incomplete"
    } catch {
        return "error \(error)"
    }
}

/// libFuzzer entry point: the bytes a client sends on one connection to the gateway or the
/// admin API, read at once and in small pieces. The parser alone must read them the same
/// whatever the pieces (a difference is a crash). The same bytes are then a model server's
/// answer to the gateway, read by the upstream response reader, which must also read them the
/// same whatever the pieces.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzHTTP(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    feed(bytes, chunk: max(1, size))
    feed(bytes, chunk: 7)
    let whole = parse(bytes, chunk: max(1, size))
    for chunk in [1, 3, 64] where chunk < size {
        let split = parse(bytes, chunk: chunk)
        if split != whole { fatalError("pieces of \(chunk) bytes: \(split) against \(whole)") }
    }
    for head in [false, true] {
        let response = readResponse(bytes, chunk: max(1, size), toHEAD: head)
        for chunk in [1, 3, 64] where chunk < size {
            let split = readResponse(bytes, chunk: chunk, toHEAD: head)
            if split != response { fatalError("response in pieces of \(chunk) bytes: \(split) against \(response)") }
        }
    }
    return 0
}
