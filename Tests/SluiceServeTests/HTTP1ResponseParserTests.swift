import NIOCore
import NIOHTTP1
import Testing

@testable import SluiceServe

/// The hand-written upstream response reader alone: good responses as model servers send them
/// (whatever the cuts between reads), body framing per RFC 9112 §6.3, and the hostile forms a
/// model server could use to desync the gateway's pool, each refused with its reason.
@Suite("HTTP/1 response parser") struct HTTP1ResponseParserTests {
    /// What the bytes of one exchange read as: the response as text, or the error.
    struct Outcome: Equatable, CustomStringConvertible {
        var response: String?
        var error: HTTP1ParseError?
        var description: String { "\(response ?? "no response") error: \(error.map { "\($0)" } ?? "none")" }
    }

    static let maximumBody = 1024

    /// Reads `input` delivered in pieces ending at `cuts`, as the answer to one request
    /// (`head`: a HEAD request); `closed`: the server closes after the last byte.
    static func read(_ input: [UInt8], cuts: [Int] = [], head: Bool = false, closed: Bool = false, expecting: Bool = true) -> Outcome {
        var parser = HTTP1ResponseParser(maximumHeadBytes: 64 * 1024, maximumHeaderCount: 100, maximumBody: maximumBody)
        if expecting { parser.expectResponse(toHEAD: head) }
        var start = 0
        do {
            for end in cuts.filter({ $0 > 0 && $0 < input.count }).sorted() + [input.count] where end > start {
                var piece = ByteBuffer(bytes: input[start..<end])
                start = end
                parser.append(&piece)
                if var response = try parser.next() {
                    // Bytes still to come after the answer make its connection unusable as
                    // surely as bytes already read (the handler closes on them).
                    if start < input.count { response.reusable = false }
                    return Outcome(response: describe(response, parser: parser))
                }
            }
            if closed, let response = try parser.finish() { return Outcome(response: describe(response, parser: parser)) }
        } catch {
            return Outcome(error: error)
        }
        return Outcome()
    }

    static func describe(_ response: HTTP1ResponseParser.Response, parser: HTTP1ResponseParser) -> String {
        let fields = response.headers.map { "\($0.name)=\($0.value)" }.joined(separator: ",")
        // Bytes, not text: a body split inside a UTF-8 sequence is still the same body.
        return "\(response.version) \(response.status.code) \(response.status.reasonPhrase) [\(fields)] reusable=\(response.reusable) body=\(Array(response.body.readableBytesView))"
    }

    /// The same result read at once, byte by byte, at every single cut and at random cuts.
    static func readEverySplit(_ text: String, head: Bool = false, closed: Bool = false, sourceLocation: SourceLocation = #_sourceLocation) -> Outcome {
        let bytes = Array(text.utf8)
        let whole = read(bytes, head: head, closed: closed)
        #expect(read(bytes, cuts: Array(0..<bytes.count), head: head, closed: closed) == whole, "byte by byte", sourceLocation: sourceLocation)
        var generator = SplitMix64(state: UInt64(bytes.count))
        for _ in 0..<20 {
            let cuts = (0..<Int(generator.next() % 6)).map { _ in Int(generator.next() % UInt64(max(1, bytes.count))) }
            #expect(read(bytes, cuts: cuts, head: head, closed: closed) == whole, "cut at \(cuts)", sourceLocation: sourceLocation)
        }
        for cut in 0..<bytes.count {
            #expect(read(bytes, cuts: [cut], head: head, closed: closed) == whole, "cut at \(cut)", sourceLocation: sourceLocation)
        }
        return whole
    }

    static func body(_ text: String) -> String { "\(Array(text.utf8))" }

    // MARK: - good responses

    static let good: [(name: String, input: String, head: Bool, closed: Bool, expected: String)] = [
        ("content-length, as uvicorn answers",
         "HTTP/1.1 200 OK\r\ndate: Sat, 05 Dec 2026 12:00:00 GMT\r\nserver: uvicorn\r\ncontent-length: 11\r\ncontent-type: application/json\r\n\r\n{\"ok\":true}", false, false,
         "HTTP/1.1 200 OK [date=Sat, 05 Dec 2026 12:00:00 GMT,server=uvicorn,content-length=11,content-type=application/json] reusable=true body=\(body("{\"ok\":true}"))"),
        ("chunked with extensions and trailers",
         "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2;ext=1\r\nab\r\n3 ; x=\"y\"\r\ncde\r\nA\r\n0123456789\r\n0\r\nX-Trailer: t\r\nX-Other: u\r\n\r\n", false, false,
         "HTTP/1.1 200 OK [Transfer-Encoding=chunked] reusable=true body=\(body("abcde0123456789"))"),
        ("close-delimited: no length, read until the server closes, not reusable",
         "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end", false, true,
         "HTTP/1.1 200 OK [Content-Type=text/plain] reusable=false body=\(body("until the end"))"),
        ("the answer to HEAD has no body whatever its content-length",
         "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", true, false, "HTTP/1.1 200 OK [Content-Length=5] reusable=true body=[]"),
        ("the answer to HEAD has no body when chunked either",
         "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", true, false, "HTTP/1.1 200 OK [Transfer-Encoding=chunked] reusable=true body=[]"),
        ("interim 100 and 103 are skipped",
         "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>; rel=preload\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 1\r\n\r\nx", false, false,
         "HTTP/1.1 201 Created [Content-Length=1] reusable=true body=\(body("x"))"),
        ("204 has no body", "HTTP/1.1 204 No Content\r\n\r\n", false, false, "HTTP/1.1 204 No Content [] reusable=true body=[]"),
        ("304 has no body whatever its content-length",
         "HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n", false, false, "HTTP/1.1 304 Not Modified [Content-Length=10] reusable=true body=[]"),
        ("content-length: 0", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", false, false, "HTTP/1.1 200 OK [Content-Length=0] reusable=true body=[]"),
        ("connection: close", "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok", false, false,
         "HTTP/1.1 200 OK [Connection=close] reusable=false body=\(body("ok"))".replacingOccurrences(of: "[Connection=close]", with: "[Connection=close,Content-Length=2]")),
        ("close among other connection options, in any case",
         "HTTP/1.1 200 OK\r\nconnection: x-foo , CLOSE\r\ncontent-length: 2\r\n\r\nok", false, false,
         "HTTP/1.1 200 OK [connection=x-foo , CLOSE,content-length=2] reusable=false body=\(body("ok"))"),
        ("HTTP/1.0 without keep-alive is not reusable",
         "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok", false, false, "HTTP/1.0 200 OK [Content-Length=2] reusable=false body=\(body("ok"))"),
        ("HTTP/1.0 with keep-alive is",
         "HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 2\r\n\r\nok", false, false,
         "HTTP/1.0 200 OK [Connection=Keep-Alive,Content-Length=2] reusable=true body=\(body("ok"))"),
        ("an empty reason phrase, with and without its space; an unknown code keeps its reason",
         "HTTP/1.1 299 Fine Here\r\nContent-Length: 0\r\n\r\n", false, false, "HTTP/1.1 299 Fine Here [Content-Length=0] reusable=true body=[]"),
        ("no reason", "HTTP/1.1 503 \r\nContent-Length: 0\r\n\r\n", false, false, "HTTP/1.1 503 Service Unavailable [Content-Length=0] reusable=true body=[]"),
        ("no reason, no space", "HTTP/1.1 404\r\nContent-Length: 0\r\n\r\n", false, false, "HTTP/1.1 404 Not Found [Content-Length=0] reusable=true body=[]"),
        ("names in any case, whitespace around values trimmed, obs-text kept, bytes that are not UTF-8 in the body",
         "HTTP/1.1 200 OK\r\nCONTENT-length:  3 \t\r\nX-Utf8: caf\u{e9}\r\nX-Empty:\r\n\r\n\u{e9}x", false, false,
         "HTTP/1.1 200 OK [CONTENT-length=3,X-Utf8=caf\u{e9},X-Empty=] reusable=true body=\(body("\u{e9}x"))"),
    ]

    @Test("good responses read the same at once, byte by byte, at every cut and at random cuts", arguments: 0..<good.count)
    func goodResponses(_ index: Int) {
        let (name, input, head, closed, expected) = Self.good[index]
        let outcome = Self.readEverySplit(input, head: head, closed: closed)
        #expect(outcome == Outcome(response: expected), "\(name)")
    }

    @Test("a close-delimited body is incomplete until the close; a length-delimited one cut short gives nothing at the close")
    func closeDelimited() throws {
        #expect(Self.read(Array("HTTP/1.1 200 OK\r\n\r\npart".utf8)) == Outcome())
        #expect(Self.read(Array("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\npart".utf8), closed: true) == Outcome())
        #expect(Self.read(Array("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\npart".utf8), closed: true) == Outcome())
        #expect(Self.read(Array("HTTP/1.1 200 OK\r\nContent-Le".utf8), closed: true) == Outcome())
        #expect(Self.read(Array("HTTP/1.1 200 OK\r\n\r\n".utf8), closed: true).response?.hasSuffix("reusable=false body=[]") == true)
    }

    // MARK: - bytes beyond the answer

    @Test("bytes after a whole response (a second, smuggled response or garbage) make the connection unusable; the first answer stands")
    func bytesAfterResponse() {
        for tail in ["HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nevil", "x", "\r\n"] {
            let outcome = Self.read(Array("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok\(tail)".utf8))
            #expect(outcome.response == "HTTP/1.1 200 OK [Content-Length=2] reusable=false body=\(Self.body("ok"))", "\(tail)")
        }
        // After a chunked body and after the answer to HEAD (whose content-length a server may have meant).
        #expect(Self.read(Array("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nhello".utf8)).response?.contains("reusable=false") == true)
        #expect(Self.read(Array("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello".utf8), head: true).response?.contains("reusable=false") == true)
    }

    @Test("bytes with no request outstanding are an unsolicited response")
    func unsolicited() {
        #expect(Self.read(Array("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n".utf8), expecting: false) == Outcome(error: .unsolicitedResponse))
    }

    // MARK: - hostile responses

    static let hostile: [(String, HTTP1ParseError)] = [
        ("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", .contentLengthWithTransferEncoding),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\n0\r\n\r\n", .contentLengthWithTransferEncoding),
        ("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok", .duplicateContentLength),
        ("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 40\r\n\r\nok", .duplicateContentLength),
        ("HTTP/1.1 200 OK\r\nContent-Length: 2, 2\r\n\r\nok", .invalidContentLength),
        ("HTTP/1.1 200 OK\r\nContent-Length: +2\r\n\r\nok", .invalidContentLength),
        ("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\nok", .invalidContentLength),
        ("HTTP/1.1 200 OK\r\nContent-Length: 0x2\r\n\r\nok", .invalidContentLength),
        ("HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\nok", .invalidContentLength),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nok", .unsupportedTransferEncoding),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", .unsupportedTransferEncoding),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", .unsupportedTransferEncoding),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n", .unsupportedTransferEncoding),
        ("HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", .transferEncodingInHTTP10),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", .invalidChunkSize),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\n", .invalidChunkSize),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1000000000000000\r\n", .chunkSizeOverflow),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n", .missingChunkTerminator),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2;\u{1}\r\nab\r\n", .invalidChunkExtension),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n bad: trailer\r\n\r\n", .obsoleteLineFolding),
        ("HTTP/1.1 200 OK\r\nX-A: a\r\n folded\r\nContent-Length: 0\r\n\r\n", .obsoleteLineFolding),
        ("HTTP/1.1 200 OK\r\n\tX-A: a\r\nContent-Length: 0\r\n\r\n", .obsoleteLineFolding),
        ("HTTP/1.1 200 OK\r\nContent-Length : 2\r\n\r\nok", .whitespaceBeforeColon),
        ("HTTP/1.1 200 OK\r\nX-A: a\rContent-Length: 9\r\nContent-Length: 0\r\n\r\n", .invalidHeaderValue),
        ("HTTP/1.1 200 OK\r\nX-A: a\u{0}b\r\nContent-Length: 0\r\n\r\n", .invalidHeaderValue),
        ("HTTP/1.1 200 OK\r\nX-A: a\u{7f}\r\nContent-Length: 0\r\n\r\n", .invalidHeaderValue),
        ("HTTP/1.1 200 OK\r\nX-A: a\nContent-Length: 0\r\n\r\n", .bareLineFeed),
        ("HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n", .bareLineFeed),
        ("HTTP/1.1 200 OK\r\n: empty name\r\n\r\n", .invalidHeaderName),
        ("HTTP/1.1 200 OK\r\nX(A): a\r\n\r\n", .invalidHeaderName),
        ("HTTP/1.1 200 OK\r\nno colon\r\n\r\n", .whitespaceBeforeColon),
        ("HTTP/1.1 200 OK\r\nnocolon\r\n\r\n", .invalidHeaderName),
        ("HTTP/1.1 200 O\rK\r\nContent-Length: 0\r\n\r\n", .invalidStatusLine),
        ("HTTP/1.1 200 O\u{1}K\r\nContent-Length: 0\r\n\r\n", .invalidStatusLine),
        ("HTTX/1.1 200 OK\r\n\r\n", .invalidStatusLine),
        ("HTTP/2 200 OK\r\n\r\n", .invalidStatusLine),
        ("HTTP/2.0 200 OK\r\n\r\n", .invalidStatusLine),
        ("http/1.1 200 OK\r\n\r\n", .invalidStatusLine),
        ("HTTP/1.1  200 OK\r\n\r\n", .invalidStatusLine),
        ("HTTP/1.1 20x OK\r\n\r\n", .invalidStatusLine),
        ("HTTP/1.1 abc OK\r\n\r\n", .invalidStatusLine),
        ("HTTP/1.1 2000 OK\r\n\r\n", .invalidStatusLine),
        ("HTTP/1.1 20 OK\r\n\r\n", .invalidStatusLine),
        ("HTTP/1.1 600 Nope\r\n\r\n", .invalidStatusLine),
        ("HTTP/1.1 099 Nope\r\n\r\n", .invalidStatusLine),
        ("HTTP/1.1\r\n\r\n", .invalidStatusLine),
        ("\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", .invalidStatusLine),
        ("garbage\r\n\r\n", .invalidStatusLine),
        ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n", .unexpectedUpgrade),
        ("HTTP/1.1 200 OK\r\nContent-Length: 1025\r\n\r\n", .responseBodyTooLarge(limit: 1024)),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n400\r\n\(String(repeating: "a", count: 1024))\r\n1\r\nb\r\n0\r\n\r\n", .responseBodyTooLarge(limit: 1024)),
        ("HTTP/1.1 200 OK\r\n\r\n\(String(repeating: "a", count: 1025))", .responseBodyTooLarge(limit: 1024)),
        ("HTTP/1.1 200 OK\r\n" + String(repeating: "X-Field: value\r\n", count: 101) + "\r\n", .tooManyHeaders(limit: 100)),
        ("HTTP/1.1 200 OK\r\nX-Big: \(String(repeating: "b", count: 64 * 1024))\r\n\r\n", .headTooLarge(limit: 64 * 1024)),
        ("HTTP/1.1 100 Continue\r\nX: \u{1}\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", .invalidHeaderValue),
    ]

    @Test("hostile responses are refused with their reason, whatever the cuts")
    func hostileResponses() {
        for (input, error) in Self.hostile {
            let bytes = Array(input.utf8)
            #expect(Self.read(bytes) == Outcome(error: error), "\(input.debugDescription.prefix(120))")
            #expect(Self.read(bytes, cuts: Array(0..<bytes.count)) == Outcome(error: error), "byte by byte: \(input.debugDescription.prefix(120))")
        }
    }

    @Test("a head dribbled in byte by byte is bounded too: over 64 KiB without its end is refused before it is whole")
    func headBoundedWhileIncomplete() throws {
        var parser = HTTP1ResponseParser(maximumHeadBytes: 64 * 1024, maximumHeaderCount: 100, maximumBody: Self.maximumBody)
        parser.expectResponse(toHEAD: false)
        var start = ByteBuffer(string: "HTTP/1.1 200 OK\r\nX-Big: ")
        parser.append(&start)
        #expect(try parser.next() == nil)
        var filler = ByteBuffer(string: String(repeating: "b", count: 64 * 1024))
        parser.append(&filler)
        #expect(throws: HTTP1ParseError.headTooLarge(limit: 64 * 1024)) { try parser.next() }
        // Failed for good: nothing more comes out of it.
        var more = ByteBuffer(string: "\r\n\r\n")
        parser.append(&more)
        #expect(try parser.next() == nil)
    }

    @Test("the body cap counts what arrived, refusing a close-delimited body at the close too")
    func capAtClose() throws {
        var parser = HTTP1ResponseParser(maximumHeadBytes: 1024, maximumHeaderCount: 10, maximumBody: 4)
        parser.expectResponse(toHEAD: false)
        var bytes = ByteBuffer(string: "HTTP/1.1 200 OK\r\n\r\nabcd")
        parser.append(&bytes)
        #expect(try parser.next() == nil)
        var more = ByteBuffer(string: "e")
        parser.append(&more)
        #expect(throws: HTTP1ParseError.responseBodyTooLarge(limit: 4)) { try parser.finish() }
    }

    @Test("one parser reads a connection's answers in turn (GET, HEAD, GET)")
    func keepAliveSequence() throws {
        var parser = HTTP1ResponseParser(maximumHeadBytes: 1024, maximumHeaderCount: 10, maximumBody: 1024)
        for (index, head) in [false, true, false].enumerated() {
            parser.expectResponse(toHEAD: head)
            var bytes = ByteBuffer(string: "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n" + (head ? "" : "n=\(index)"))
            parser.append(&bytes)
            let response = try #require(try parser.next())
            #expect(String(buffer: response.body) == (head ? "" : "n=\(index)"))
            #expect(response.reusable)
            #expect(!parser.hasUnreadBytes)
        }
    }

    @Test("3,000 random edits of good and hostile responses read the same at once, byte by byte and in 3-byte pieces, and never leave a connection reusable with bytes after its answer")
    func randomEdits() async {
        let seeds = Self.good.map { Array($0.input.utf8) } + Self.hostile.map { Array($0.0.utf8) }.filter { $0.count < 4096 }
        let alphabet = Array("HTTP/1.0 1 2 3 4 5 9 \r\n:;,0aFfxX-\t".utf8) + [0, 127, 255]
        var generator = SplitMix64(state: 18)
        for round in 0..<3_000 {
            // Seconds of CPU in a debug build: give the 2-thread cooperative pool back now and
            // then, or every other test's timers and polls (ToolRun's time limit) stall behind it.
            if round % 20 == 0 { await Task.yield() }
            let bytes = RandomEdits.edit(oneOf: seeds, alphabet: alphabet, &generator)
            let head = round % 5 == 0
            let whole = Self.read(bytes, head: head, closed: true)
            let split = Self.read(bytes, cuts: Array(stride(from: 3, to: bytes.count, by: 3)), head: head, closed: true)
            let single = Self.read(bytes, cuts: Array(0..<bytes.count), head: head, closed: true)
            #expect(split == whole && single == whole, "\(String(decoding: bytes, as: UTF8.self).debugDescription)")
        }
    }
}
