import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing

@testable import SluiceServe

/// One server connection (``HTTPServerHost/addHandlers(to:limits:budget:responder:)``) fed raw
/// bytes: earlier pipelined answers are delivered before the refusal of a malformed request,
/// the connection closes after it, and requests beyond the pipeline depth wait in order.
@Suite("HTTP/1 server connection") struct HTTP1ServerConnectionTests {
    /// Answers with the method, path and body; paths containing `hold` wait for `release()`.
    final class Echo: HTTPResponder {
        let held = NIOLockedValueBox<[(EventLoopPromise<ServerResponse>, ServerResponse)]>([])
        let answered = NIOLockedValueBox(0)

        func screen(_ head: RequestHead) -> HeadDecision {
            head.uri.hasPrefix("/secret") ? .refuse(.error(.unauthorized, "token needed")) : .accept(maximumBody: head.uri.hasPrefix("/small") ? 4 : nil)
        }

        func respond(to request: ServerRequest) -> EventLoopFuture<ServerResponse> {
            answered.withLockedValue { $0 += 1 }
            let body = ByteBuffer(string: "\(request.head.method.rawValue) \(request.head.uri) \(String(buffer: request.body))")
            var response = ServerResponse(status: .ok, body: body)
            if request.head.uri.contains("split") {
                // Own fields are checked as they are added and written before the headers.
                var own = OwnFields()
                own.add("x-own", "1")
                own.add("x-own-bad", "b\r\nset-cookie: evil=5")
                own.add("x-own-lf", "b\nevil=6")
                // A responder's fields that would end the line early, or frame the answer again.
                let headers = HTTPHeaders([
                    ("x-ok", "1"), ("x-bad", "a\r\nset-cookie: evil=1"), ("x-bad\r\nset-cookie", "evil=2"), ("x-lf", "a\nevil=3"),
                    ("x-cr", "a\revil=4"), ("Content-Length", "999"), ("TRANSFER-ENCODING", "chunked"), ("connection", "upgrade"), ("x-after", "2"),
                ])
                response = ServerResponse(status: .ok, own: own, headers: headers, body: body)
            }
            guard request.head.uri.contains("hold") else { return request.eventLoop.makeSucceededFuture(response) }
            let promise = request.eventLoop.makePromise(of: ServerResponse.self)
            held.withLockedValue { $0.append((promise, response)) }
            return promise.futureResult
        }

        func release() {
            for (promise, response) in held.withLockedValue({ list in defer { list = [] }; return list }) { promise.succeed(response) }
        }
    }

    struct Connection {
        let channel = EmbeddedChannel()
        let echo = Echo()
        let budget: BodyBudget

        init(limits: ServerLimits = ServerLimits()) throws {
            budget = BodyBudget(limit: limits.bufferedBodies)
            try HTTPServerHost.addHandlers(to: channel, limits: limits, budget: budget, responder: echo)
            try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 8080)).wait()
        }

        /// Sends `text` (in pieces of `piece` bytes) and returns what was written back.
        func send(_ text: String, piece: Int = .max) throws -> String {
            let bytes = Array(text.utf8)
            var offset = 0
            while offset < bytes.count, channel.isActive {
                let end = min(bytes.count, offset + min(piece, bytes.count))
                try channel.writeInbound(ByteBuffer(bytes: bytes[offset..<end]))
                offset = end
            }
            return try output()
        }

        func output() throws -> String {
            channel.embeddedEventLoop.run()
            var text = ""
            while let buffer = try channel.readOutbound(as: ByteBuffer.self) { text += String(buffer: buffer) }
            return text
        }

        /// The status lines written, in order (an answer follows the previous body directly).
        func statuses(_ text: String) -> [String] {
            text.components(separatedBy: "HTTP/1.").dropFirst().map { "HTTP/1." + ($0.components(separatedBy: "\r\n").first ?? "") }
                .filter { $0.count > 12 && $0.utf8.dropFirst(9).prefix(3).allSatisfy { $0 &- 48 < 10 } }
        }
    }

    @Test("hostile requests after two pipelined good ones: both answers, then 400 (431 for an oversized head) naming the reason, then the close")
    func hostileAfterPipelined() throws {
        let good = "GET /one HTTP/1.1\r\nHost: h\r\n\r\nPOST /two HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nhi"
        for (request, expected) in HTTP1RequestParserTests.hostile + [("GET / HTTP/1.1\r\nHost: h\r\nX: \(String(repeating: "v", count: 70_000))\r\n\r\n", .headTooLarge(limit: 64 << 10))] {
            for piece in [Int.max, 5] {
                let connection = try Connection()
                let text = try connection.send(good + request + "GET /never HTTP/1.1\r\nHost: h\r\n\r\n", piece: piece)
                let statuses = connection.statuses(text)
                #expect(statuses == ["HTTP/1.1 200 OK", "HTTP/1.1 200 OK", "HTTP/1.1 \(expected.status.code) \(expected.status.reasonPhrase)"], "\(request.debugDescription)")
                #expect(text.contains("GET /one ") && text.contains("POST /two hi"))
                #expect(text.contains("connection: close\r\n\r\n{\"error\":\"malformed request: "), "\(request.debugDescription): \(text.suffix(200))")
                #expect(!text.contains("/never"))
                #expect(connection.budget.reserve(256 << 20), "every body byte was given back")
                connection.channel.embeddedEventLoop.advanceTime(by: RequestHandler.linger + .seconds(1))
                #expect(!connection.channel.isActive, "closed after the refusal")
                _ = try? connection.channel.finish(acceptAlreadyClosed: true)
            }
        }
    }

    @Test("a head refused by screening is answered before its body arrives; a Content-Length over the route's limit is 413 at once")
    func screening() throws {
        let refused = try Connection()
        let text = try refused.send("POST /secret HTTP/1.1\r\nHost: h\r\nContent-Length: 1000000\r\n\r\n")
        #expect(refused.statuses(text) == ["HTTP/1.1 401 Unauthorized"])
        _ = try refused.send(String(repeating: "x", count: 100_000))
        #expect(refused.echo.answered.withLockedValue { $0 } == 0)
        #expect(refused.budget.reserve(256 << 20), "no body byte was kept")

        let small = try Connection()
        #expect(small.statuses(try small.send("POST /small HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\n")) == ["HTTP/1.1 413 Payload Too Large"])
        let chunked = try Connection()
        let answer = try chunked.send("POST /small HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n3\r\ndef\r\n0\r\n\r\n")
        #expect(chunked.statuses(answer) == ["HTTP/1.1 413 Payload Too Large"])
    }

    @Test("Expect: 100-continue gets the interim answer before the body; HEAD gets no body; HTTP/1.0 closes after its answer")
    func continueHeadAndHTTP10() throws {
        let connection = try Connection()
        let interim = try connection.send("POST /c HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n")
        #expect(interim == "HTTP/1.1 100 Continue\r\n\r\n")
        let answer = try connection.send("body" + "HEAD /h HTTP/1.1\r\nHost: h\r\n\r\n" + "GET /old HTTP/1.0\r\n\r\n")
        #expect(connection.statuses(answer) == ["HTTP/1.1 200 OK", "HTTP/1.1 200 OK", "HTTP/1.0 200 OK"])
        #expect(answer.contains("POST /c body"))
        #expect(answer.contains("content-length: 8\r\nconnection: keep-alive\r\n\r\nHTTP/1.0"), "HEAD: the length of the body it would have, no body")
        #expect(answer.hasSuffix("connection: close\r\n\r\nGET /old "))
    }

    @Test("a responder's field holding a CR or LF is never written (no response splitting), nor its framing fields; the others are")
    func responseSplitting() throws {
        let connection = try Connection()
        let answer = try connection.send("GET /split HTTP/1.1\r\nHost: h\r\n\r\n")
        let head = answer.components(separatedBy: "\r\n\r\n").first ?? ""
        #expect(head == "HTTP/1.1 200 OK\r\nx-own: 1\r\nx-ok: 1\r\nx-after: 2\r\ncontent-length: 11\r\nconnection: keep-alive")
        #expect(!answer.contains("evil"))
        #expect(answer.hasSuffix("\r\n\r\nGET /split "))
    }

    @Test("requests beyond the pipeline depth wait, unparsed, and are answered in order once the held ones are")
    func pipelineDepth() throws {
        let connection = try Connection(limits: ServerLimits(pipelineDepth: 2))
        let requests = (1...6).map { "POST /hold\($0) HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\n\r\n\($0)" }.joined()
        #expect(try connection.send(requests) == "")
        #expect(connection.echo.answered.withLockedValue { $0 } == 1, "one answered at a time, the next waits, the rest unparsed")
        var answers = ""
        for _ in 0..<6 {
            connection.echo.release()
            answers += try connection.output()
        }
        let bodies = answers.components(separatedBy: "\r\n\r\n").dropFirst().map { $0.components(separatedBy: "HTTP/1.1").first ?? "" }
        #expect(bodies == (1...6).map { "POST /hold\($0) \($0)" })
        #expect(connection.channel.isActive)
    }
}
