import Foundation
import NIOCore
import NIOHTTP1
import Testing

@testable import SluiceServe

/// The hand-written request parser alone: what it makes of good requests, which hostile
/// forms it refuses (and why), and that the way the bytes are split across reads never
/// changes the result.
@Suite("HTTP/1 request parser") struct HTTP1RequestParserTests {
    /// What a connection's bytes parse to: each request as text, then the error if any.
    struct Outcome: Equatable, CustomStringConvertible {
        var requests: [String] = []
        var error: HTTP1ParseError?
        var description: String { "\(requests) error: \(error.map { "\($0)" } ?? "none")" }
    }

    /// Parses `input` delivered in pieces ending at `cuts` (offsets into it). `takingWholeBodies`:
    /// after each head, takes the whole body at once where the parser has it
    /// (``HTTP1RequestParser/takeWholeBody()``, as the connection's handler does).
    static func parse(_ input: [UInt8], cuts: [Int] = [], limits: ServerLimits = ServerLimits(), takingWholeBodies: Bool = false) -> Outcome {
        var parser = HTTP1RequestParser(maximumHeadBytes: limits.maximumHeadBytes, maximumHeaderCount: limits.maximumHeaderCount)
        var outcome = Outcome()
        var current = ""
        var body: [UInt8] = []
        var start = 0
        for end in cuts.filter({ $0 > 0 && $0 < input.count }).sorted() + [input.count] where end > start {
            var piece = ByteBuffer(bytes: input[start..<end])
            start = end
            parser.append(&piece)
            do {
                while let event = try parser.next() {
                    switch event {
                    case .head(let parsed):
                        let head = parsed.head
                        let fields = head.headers.map { "\($0.name)=\($0.value)" }.joined(separator: ",")
                        current = "\(head.method.rawValue) \(head.uri) \(head.version) [\(fields)] length=\(parsed.contentLength.map(String.init) ?? "-") continue=\(parsed.expectsContinue) body="
                        body = []
                        if takingWholeBodies, let whole = parser.takeWholeBody() {
                            outcome.requests.append(current + String(decoding: Array(whole.readableBytesView), as: UTF8.self))
                        }
                    case .body(let bytes):
                        // Bytes, not text: a body split inside a UTF-8 sequence is still the same body.
                        body += bytes.readableBytesView
                    case .end:
                        outcome.requests.append(current + String(decoding: body, as: UTF8.self))
                    }
                }
            } catch {
                outcome.error = error
                return outcome
            }
        }
        return outcome
    }

    static func parse(_ text: String, cuts: [Int] = []) -> Outcome {
        parse(Array(text.utf8), cuts: cuts)
    }

    /// The same result fed at once, one byte at a time, and in random pieces.
    static func parseEverySplit(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> Outcome {
        let bytes = Array(text.utf8)
        let whole = parse(bytes)
        // A body taken whole after its head where it is all there reads the same as its events.
        for taking in [false, true] {
            if taking { #expect(parse(bytes, takingWholeBodies: true) == whole, "at once, bodies taken whole", sourceLocation: sourceLocation) }
            #expect(parse(bytes, cuts: Array(0..<bytes.count), takingWholeBodies: taking) == whole, "byte by byte", sourceLocation: sourceLocation)
            var generator = SplitMix64(state: UInt64(bytes.count))
            for _ in 0..<20 {
                let cuts = (0..<Int(generator.next() % 6)).map { _ in Int(generator.next() % UInt64(max(1, bytes.count))) }
                #expect(parse(bytes, cuts: cuts, takingWholeBodies: taking) == whole, "cut at \(cuts)", sourceLocation: sourceLocation)
            }
            // Every single cut point.
            for cut in 0..<bytes.count {
                #expect(parse(bytes, cuts: [cut], takingWholeBodies: taking) == whole, "cut at \(cut)", sourceLocation: sourceLocation)
            }
        }
        return whole
    }

    // MARK: - what real clients send

    @Test("heads held while later ones are parsed keep their own fields; the memory of heads let go is reused")
    func heldHeadsKeepTheirFields() throws {
        var parser = HTTP1RequestParser(maximumHeadBytes: 64 * 1024, maximumHeaderCount: 100)
        var input = ByteBuffer()
        for index in 0..<8 {
            let extra = (0..<(index % 4) * 3).map { "x-\($0): v\(index)-\($0)\r\n" }.joined()
            input.writeString("GET /\(index) HTTP/1.1\r\nHost: h\(index)\r\n" + extra + "\r\n")
        }
        parser.append(&input)
        var kept: [RequestHead] = []
        while let event = try parser.next() {
            // Every third head is let go at once: the next reuses its memory.
            if case .head(let parsed) = event, !parsed.head.uri.hasSuffix("3"), !parsed.head.uri.hasSuffix("6") { kept.append(parsed.head) }
        }
        #expect(kept.map(\.uri) == ["/0", "/1", "/2", "/4", "/5", "/7"])
        for head in kept {
            let index = Int(head.uri.dropFirst())!
            let expected = ["Host=h\(index)"] + (0..<(index % 4) * 3).map { "x-\($0)=v\(index)-\($0)" }
            #expect(head.headers.map { "\($0.name)=\($0.value)" } == expected, "\(head.uri)")
        }
    }

    @Test("a connection's targets: the same path again, a path of the same length one byte apart, absolute-form between, each read as sent")
    func repeatedTargets() {
        let targets = [
            "/v2/models/fraud/infer", "/v2/models/fraud/infer", "/v2/models/fraue/infer", "/v2/models/fraud/infer",
            "http://h/v2/models/fraud/infer", "/v2/models/fraud/infer?a=1", "/v2/models/fraud/infer", "/", "/",
        ]
        let outcome = Self.parse(targets.map { "GET \($0) HTTP/1.1\r\nHost: h\r\n\r\n" }.joined())
        #expect(outcome.error == nil)
        #expect(outcome.requests.map { $0.split(separator: " ")[1] } == [
            "/v2/models/fraud/infer", "/v2/models/fraud/infer", "/v2/models/fraue/infer", "/v2/models/fraud/infer",
            "/v2/models/fraud/infer", "/v2/models/fraud/infer?a=1", "/v2/models/fraud/infer", "/", "/",
        ])
        // The segments the gateway routes on are each head's own, whether split again or kept
        // from the last head with the same target.
        var parser = HTTP1RequestParser(maximumHeadBytes: 4096, maximumHeaderCount: 10)
        var input = ByteBuffer(string: targets.map { "GET \($0) HTTP/1.1\r\nHost: h\r\n\r\n" }.joined())
        parser.append(&input)
        var models: [String] = []
        while let event = try? parser.next() {
            guard case .head(let parsed) = event else { continue }
            let segments = parsed.head.segments
            #expect(segments.target == parsed.head.uri)
            models.append(segments.count > 2 ? segments.string(2) : "-")
        }
        #expect(models == ["fraud", "fraud", "fraue", "fraud", "fraud", "fraud", "fraud", "-", "-"])
    }

    @Test("a GET as wrk sends it, a POST with a body as curl and Python requests send it")
    func ordinaryRequests() {
        let outcome = Self.parseEverySplit(
            "GET /v2/health/live HTTP/1.1\r\nHost: localhost:8080\r\n\r\n"
                + "POST /v2/models/fraud/infer?x=1 HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: python-requests/2.31\r\nAccept-Encoding: gzip, deflate\r\nAccept: */*\r\nConnection: keep-alive\r\nContent-Length: 7\r\nContent-Type: application/json\r\n\r\n{\"a\":1}")
        #expect(outcome.error == nil)
        #expect(outcome.requests == [
            "GET /v2/health/live HTTP/1.1 [Host=localhost:8080] length=- continue=false body=",
            "POST /v2/models/fraud/infer?x=1 HTTP/1.1 [Host=127.0.0.1,User-Agent=python-requests/2.31,Accept-Encoding=gzip, deflate,Accept=*/*,Connection=keep-alive,Content-Length=7,Content-Type=application/json] length=7 continue=false body={\"a\":1}",
        ])
    }

    @Test("names in any case, whitespace around values trimmed, empty values, obs-text kept, Expect: 100-continue in any case")
    func lenientWhereHarmless() {
        let outcome = Self.parseEverySplit(
            "PUT /x HTTP/1.1\r\nhOsT:h\r\nX-Empty:\r\nX-Spaces: \t a  b \t\r\nX-Utf8: caf\u{e9}\r\nEXPECT:  100-Continue \r\ncontent-LENGTH: 2\r\n\r\nok")
        #expect(outcome.requests == ["PUT /x HTTP/1.1 [hOsT=h,X-Empty=,X-Spaces=a  b,X-Utf8=caf\u{e9},EXPECT=100-Continue,content-LENGTH=2] length=2 continue=true body=ok"])
        #expect(outcome.error == nil)
    }

    @Test("HTTP/1.0 needs no Host; empty lines before a request line are skipped")
    func http10AndLeadingEmptyLines() {
        let outcome = Self.parseEverySplit("GET /a HTTP/1.0\r\n\r\n\r\n\r\nHEAD /b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        #expect(outcome.requests == [
            "GET /a HTTP/1.0 [] length=- continue=false body=",
            "HEAD /b HTTP/1.1 [Host=x,Connection=close] length=- continue=false body=",
        ])
        #expect(outcome.error == nil)
    }

    @Test("methods: the common ones without a string, others by name, case kept (get is not GET)")
    func methods() {
        for (name, method) in [("GET", HTTPMethod.GET), ("PUT", .PUT), ("POST", .POST), ("HEAD", .HEAD), ("DELETE", .DELETE), ("PATCH", .PATCH), ("get", .RAW(value: "get")), ("POSTX", .RAW(value: "POSTX")), ("PST", .RAW(value: "PST"))] {
            var parser = HTTP1RequestParser(maximumHeadBytes: 1024, maximumHeaderCount: 10)
            var bytes = ByteBuffer(string: "\(name) / HTTP/1.1\r\nHost: h\r\n\r\n")
            parser.append(&bytes)
            guard case .head(let parsed)? = try? parser.next() else {
                Issue.record("\(name): no head")
                continue
            }
            #expect(parsed.head.method == method, "\(name)")
        }
    }

    @Test("absolute-form is reduced to path and query; * only for OPTIONS")
    func targetForms() {
        let outcome = Self.parseEverySplit(
            "GET http://example.com:80/v2/models/m?q=1 HTTP/1.1\r\nHost: example.com\r\n\r\n"
                + "GET HTTPS://example.com HTTP/1.1\r\nHost: example.com\r\n\r\n"
                + "GET http://example.com?q HTTP/1.1\r\nHost: example.com\r\n\r\n"
                + "OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n")
        #expect(outcome.requests.map { $0.components(separatedBy: " [").first ?? "" } == [
            "GET /v2/models/m?q=1 HTTP/1.1", "GET / HTTP/1.1", "GET /?q HTTP/1.1", "OPTIONS * HTTP/1.1",
        ])
        #expect(outcome.error == nil)
        for target in ["*", "example.com:443", "http://", "http:///path", "ftp://h/x", "v2/models"] {
            #expect(Self.parse("GET \(target) HTTP/1.1\r\nHost: h\r\n\r\n").error == .invalidTarget, "\(target)")
        }
    }

    @Test("chunked bodies: sizes in any case, extensions, trailers dropped, split at every byte")
    func chunked() {
        let outcome = Self.parseEverySplit(
            "POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: Chunked\r\n\r\n5\r\nhello\r\na;name=\"v\"\r\n, chunked!\r\n00 ; last\r\nX-Trailer: 1\r\nX-Other: two\r\n\r\n"
                + "GET /after HTTP/1.1\r\nHost: h\r\n\r\n")
        #expect(outcome.requests == [
            "POST /c HTTP/1.1 [Host=h,Transfer-Encoding=Chunked] length=- continue=false body=hello, chunked!",
            "GET /after HTTP/1.1 [Host=h] length=- continue=false body=",
        ])
        #expect(outcome.error == nil)
    }

    @Test("fuzz finding: a body with bytes that are not UTF-8, split inside them, is the same bytes however it is cut")
    func bodyBytesNotText() throws {
        let input = Array(try #require(Data(base64Encoded: "UE9TVCAvdjIvbW9kZWxzL2ZyYXVkL2luZmVyP3E9MiBIVFRQLzEuMQ0KSG9zdDogeA0KQ29udGVudC1UeXBlOiBhcHBsaWNhdGlvjNCVjG9uDQpDb250ZW50LUxlbmd0aDogMTINCg0KeyJpbj9xPXMixqSE5G5hbWUiOiJ4Iiwic2hhcGUiOlsxXSwiZGF0YXR5cGUiOiJGUDMyIiwiZGF0YSI6WzEuNV19XX0gIA==")))
        var parser = HTTP1RequestParser(maximumHeadBytes: 2048, maximumHeaderCount: 16)
        var body: [UInt8] = []
        for byte in input {
            var piece = ByteBuffer(bytes: [byte])
            parser.append(&piece)
            while case .some(let event) = try parser.next() {
                if case .body(let bytes) = event { body += bytes.readableBytesView }
            }
        }
        let start = try #require(input.indices.first { input[$0] == 13 && input[$0 + 1] == 10 && input[$0 + 2] == 13 && input[$0 + 3] == 10 }) + 4
        #expect(body == Array(input[start..<(start + 12)]))
    }

    @Test("fuzz finding: a request line starting with CR after empty lines is refused the same however it is cut (it was skipped as if it were an empty line)")
    func carriageReturnStartingRequestLine() throws {
        let input = Array(try #require(Data(base64Encoded: "DQoNCg1HDQoNCg1HRVQg2olpdmUNCg0KYWxpdkVUINqJaXZlDQoNCmFsaXZlDQoNCg==")))
        let whole = Self.parse(input)
        #expect(whole.error == .invalidMethod)
        #expect(Self.parse(input, cuts: Array(0..<input.count)) == whole)
        #expect(Self.parseEverySplit("\r\n\rG\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n").error == .invalidMethod)
    }

    @Test("a large body arrives whole across many reads, and the next pipelined request after it")
    func largeBody() {
        let body = String(repeating: "0123456789abcdef", count: 65_536)
        let input = Array(("POST /big HTTP/1.1\r\nHost: h\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body + "GET /next HTTP/1.1\r\nHost: h\r\n\r\n").utf8)
        let cuts = stride(from: 1_000, to: input.count, by: 65_536).map { $0 }
        let outcome = Self.parse(input, cuts: cuts)
        #expect(outcome.error == nil)
        #expect(outcome.requests.count == 2)
        #expect(outcome.requests.first?.hasSuffix("body=" + body) == true)
        #expect(outcome.requests.last == "GET /next HTTP/1.1 [Host=h] length=- continue=false body=")
    }

    @Test("heads up to the limits are read; one byte or one field more is 431")
    func headLimits() {
        let limits = ServerLimits(maximumHeadBytes: 200, maximumHeaderCount: 3)
        let fits = "GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\n\r\n"
        #expect(Self.parse(Array(fits.utf8), limits: limits).requests.count == 1)
        #expect(Self.parse(Array("GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n".utf8), limits: limits).error == .tooManyHeaders(limit: 3))
        let long = "GET /\(String(repeating: "a", count: 200)) HTTP/1.1\r\nHost: h\r\n\r\n"
        #expect(Self.parse(Array(long.utf8), limits: limits).error == .headTooLarge(limit: 200))
        // Without an end in sight: refused as soon as the limit is passed, not at the end.
        let endless = Array(("GET / HTTP/1.1\r\nX: " + String(repeating: "a", count: 300)).utf8)
        #expect(Self.parse(endless, limits: limits).error == .headTooLarge(limit: 200))
        #expect(Self.parse(endless, cuts: Array(0..<endless.count), limits: limits).error == .headTooLarge(limit: 200))
        // Nothing past the limit is read: a bare LF after it is 431 in one read as in many (it
        // was a 400 when the head came whole, found by the random edits below).
        let badPastLimit = Array(("GET / HTTP/1.1\r\nX: " + String(repeating: "a", count: 300) + "\n\r\n").utf8)
        for cuts in [[], [100], Array(0..<badPastLimit.count)] {
            #expect(Self.parse(badPastLimit, cuts: cuts, limits: limits).error == .headTooLarge(limit: 200), "cut at \(cuts.count) places")
        }
        #expect(HTTP1ParseError.headTooLarge(limit: 1).status == .requestHeaderFieldsTooLarge)
        // The defaults: 64 KiB and 100 fields.
        let many = "GET / HTTP/1.1\r\nHost: h\r\n" + (1...99).map { "X-\($0): v\r\n" }.joined() + "\r\n"
        #expect(Self.parse(many).requests.count == 1)
        #expect(Self.parse("GET / HTTP/1.1\r\nHost: h\r\n" + (1...100).map { "X-\($0): v\r\n" }.joined() + "\r\n").error == .tooManyHeaders(limit: 100))
        #expect(Self.parse("GET / HTTP/1.1\r\nHost: h\r\nX: \(String(repeating: "v", count: 64 << 10))\r\n\r\n").error == .headTooLarge(limit: 64 << 10))
    }

    // MARK: - hostile input

    /// Each hostile request, after a good one: the good one is read, then the error.
    static let hostile: [(String, HTTP1ParseError)] = [
        ("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", .contentLengthWithTransferEncoding),
        ("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n", .contentLengthWithTransferEncoding),
        ("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", .duplicateContentLength),
        ("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc", .duplicateContentLength),
        ("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3, 3\r\n\r\nabc", .invalidContentLength),
        ("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: +3\r\n\r\nabc", .invalidContentLength),
        ("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n", .invalidContentLength),
        ("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0x10\r\n\r\n", .invalidContentLength),
        ("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: \r\n\r\n", .invalidContentLength),
        ("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999999\r\n\r\n", .invalidContentLength),
        ("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", .unsupportedTransferEncoding),
        ("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n", .unsupportedTransferEncoding),
        ("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: identity\r\n\r\n", .unsupportedTransferEncoding),
        ("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", .unsupportedTransferEncoding),
        ("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n", .unsupportedTransferEncoding),
        ("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", .transferEncodingInHTTP10),
        ("GET / HTTP/1.1\r\nHost: h\r\nX-A: 1\r\n folded\r\n\r\n", .obsoleteLineFolding),
        ("GET / HTTP/1.1\r\nHost: h\r\n\tX-A: 1\r\n\r\n", .obsoleteLineFolding),
        ("GET / HTTP/1.1\r\nHost: h\r\nContent-Length : 5\r\n\r\nhello", .whitespaceBeforeColon),
        ("GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding\t: chunked\r\n\r\n", .whitespaceBeforeColon),
        ("GET / HTTP/1.1\r\nHost: h\r\nX\u{0}A: 1\r\n\r\n", .invalidHeaderName),
        ("GET / HTTP/1.1\r\nHost: h\r\n: empty\r\n\r\n", .invalidHeaderName),
        ("GET / HTTP/1.1\r\nHost: h\r\nno colon\r\n\r\n", .whitespaceBeforeColon),
        ("GET / HTTP/1.1\r\nHost: h\r\nX(A): 1\r\n\r\n", .invalidHeaderName),
        ("GET / HTTP/1.1\r\nHost: h\r\nX-A: a\u{0}b\r\n\r\n", .invalidHeaderValue),
        ("GET / HTTP/1.1\r\nHost: h\r\nX-A: a\u{7f}b\r\n\r\n", .invalidHeaderValue),
        ("GET / HTTP/1.1\r\nHost: h\r\nX-A: a\rb\r\n\r\n", .invalidHeaderValue),
        ("GET / HTTP/1.1\r\nHost: h\nX-A: 1\r\n\r\n", .bareLineFeed),
        ("GET / HTTP/1.1\nHost: h\n\n", .bareLineFeed),
        ("GET / HTTP/1.1\r\nHost: h\r\n\n", .bareLineFeed),
        ("GET / HTTP/1.1\r\n\r\n", .missingHost),
        ("GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n", .duplicateHost),
        ("GET  / HTTP/1.1\r\nHost: h\r\n\r\n", .invalidTarget),
        ("GET / HTTP/1.1 \r\nHost: h\r\n\r\n", .invalidVersion),
        ("GET / http/1.1\r\nHost: h\r\n\r\n", .invalidVersion),
        ("GET / HTTP/1.10\r\nHost: h\r\n\r\n", .invalidVersion),
        ("GET /\u{1}x HTTP/1.1\r\nHost: h\r\n\r\n", .invalidTarget),
        ("GET /caf\u{e9} HTTP/1.1\r\nHost: h\r\n\r\n", .invalidTarget),
        ("GET / HTTP/2.0\r\nHost: h\r\n\r\n", .unsupportedVersion),
        ("G(T / HTTP/1.1\r\nHost: h\r\n\r\n", .invalidMethod),
        (" GET / HTTP/1.1\r\nHost: h\r\n\r\n", .invalidMethod),
        ("NOT HTTP AT ALL\r\n\r\n", .invalidVersion),
        ("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nz\r\n", .invalidChunkSize),
        ("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n\r\n", .invalidChunkSize),
        ("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\n", .invalidChunkSize),
        ("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5 \r\nhello\r\n0\r\n\r\n", .invalidChunkExtension),
        ("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5x\r\nhello\r\n0\r\n\r\n", .invalidChunkSize),
        ("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5;a\u{0}b\r\nhello\r\n0\r\n\r\n", .invalidChunkExtension),
        ("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n1000000000000000\r\n", .chunkSizeOverflow),
        ("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\n", .chunkSizeOverflow),
        ("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\nhello\r\n0\r\n\r\n", .bareLineFeed),
        ("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXY0\r\n\r\n", .missingChunkTerminator),
        ("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\n0\r\n\r\n", .missingChunkTerminator),
        ("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nbad trailer\r\n\r\n", .whitespaceBeforeColon),
        ("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n folded: 1\r\n\r\n", .obsoleteLineFolding),
        ("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n1;" + String(repeating: "e", count: 5000) + "\r\n", .chunkLineTooLong(limit: 4096)),
        ("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n" + String(repeating: "X: 1\r\n", count: 101) + "\r\n", .trailersTooLarge(limit: 64 << 10)),
        ("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: " + String(repeating: "v", count: 70_000), .trailersTooLarge(limit: 64 << 10)),
    ]

    @Test("hostile forms are refused with the reason, after the good request before them, however the bytes are split")
    func hostileForms() {
        let good = "GET /first HTTP/1.1\r\nHost: h\r\n\r\n"
        for (request, expected) in Self.hostile {
            let input = Array((good + request).utf8)
            let whole = Self.parse(input)
            #expect(whole.requests == ["GET /first HTTP/1.1 [Host=h] length=- continue=false body="], "\(request.debugDescription)")
            #expect(whole.error == expected, "\(request.debugDescription)")
            #expect(expected.status == .badRequest || expected == .tooManyHeaders(limit: 100))
            #expect(Self.parse(input, takingWholeBodies: true) == whole, "whole bodies: \(request.debugDescription)")
            guard input.count < 2_000 else { continue }
            #expect(Self.parse(input, cuts: Array(0..<input.count)) == whole, "byte by byte: \(request.debugDescription)")
            #expect(Self.parse(input, cuts: Array(0..<input.count), takingWholeBodies: true) == whole, "whole bodies byte by byte: \(request.debugDescription)")
        }
    }

    /// Good requests the random edits start from, beside ``hostile``'s.
    static let editSeeds = [
        "GET /v2/health/live HTTP/1.1\r\nHost: localhost:8080\r\n\r\n",
        "POST /v2/models/fraud/infer?x=1 HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: python-requests/2.31\r\nAccept: */*\r\nConnection: keep-alive\r\nContent-Length: 7\r\nContent-Type: application/json\r\n\r\n{\"a\":1}",
        "\r\nGET http://h/p?q HTTP/1.0\r\nX:  spaced\t \r\n\r\n",
        "POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n5\r\nhello\r\n0\r\nT: 1\r\n\r\n",
    ]

    @Test("3,000 random edits of good and hostile requests read the same at once, byte by byte and in 3-byte pieces, under limits the edits cross too")
    func randomEdits() async {
        let seeds = (Self.editSeeds + Self.hostile.map(\.0)).map { Array($0.utf8) }.filter { $0.count < 4096 }
        let alphabet = Array("GET HTTP/1.0 1 \r\n:;,0aFfxX-\t/?*H".utf8) + [0, 127, 255]
        // Limits the seeds sit at, so that edits cross them: the first seed's head is 55
        // bytes, the second has 6 fields.
        let limits = [ServerLimits(), ServerLimits(maximumHeadBytes: 56), ServerLimits(maximumHeaderCount: 5), ServerLimits(maximumHeaderCount: 6)]
        var generator = SplitMix64(state: 31)
        for round in 0..<3_000 {
            // Seconds of CPU in a debug build: give the cooperative pool back now and then.
            if round % 20 == 0 { await Task.yield() }
            let bytes = RandomEdits.edit(oneOf: seeds, alphabet: alphabet, &generator)
            let limits = limits[round % limits.count]
            let whole = Self.parse(bytes, limits: limits)
            let split = Self.parse(bytes, cuts: Array(stride(from: 3, to: bytes.count, by: 3)), limits: limits)
            let single = Self.parse(bytes, cuts: Array(0..<bytes.count), limits: limits)
            #expect(split == whole && single == whole, "\(String(decoding: bytes, as: UTF8.self).debugDescription)")
        }
    }

    @Test("a failed parser stays failed")
    func staysFailed() throws {
        var parser = HTTP1RequestParser(maximumHeadBytes: 1024, maximumHeaderCount: 10)
        var bytes = ByteBuffer(string: "GET / HTTP/1.1\nHost: h\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n")
        parser.append(&bytes)
        #expect(throws: HTTP1ParseError.bareLineFeed) { try parser.next() }
        #expect(try parser.next() == nil)
    }
}
