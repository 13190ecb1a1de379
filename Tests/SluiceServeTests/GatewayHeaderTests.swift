import NIOCore
import NIOHTTP1
import SluiceCore
import Testing

@testable import SluiceServe

/// The caller's fields go to the model server as the bytes it sent: hop-by-hop names, framing,
/// `host` and the names the gateway sets itself are dropped in any letter case, everything
/// else is kept in order with its repeats, and the gateway's own fields follow.
@Suite("gateway: forwarded request headers") struct GatewayHeaderTests {
    /// `text` (a whole request head) as the server's parser reads it.
    static func head(_ text: String) throws -> RequestHead {
        var parser = HTTP1RequestParser(maximumHeadBytes: 64 * 1024, maximumHeaderCount: 100)
        var bytes = ByteBuffer(string: text)
        parser.append(&bytes)
        guard case .head(let parsed)? = try parser.next() else { throw HTTP1ParseError.invalidMethod }
        return parsed.head
    }

    /// The head the gateway writes to the model server for `head`, with `own` fields after the copied ones.
    static func upstreamHead(_ head: RequestHead, own: consuming OwnFields = OwnFields()) -> String {
        let request = UpstreamRequest(
            method: head.method, uri: "/v2/models/m/infer", forwarded: ForwardedFields(head.fields, dropping: Gateway.droppedFromRequests),
            own: own, body: ByteBuffer(string: "{}"))
        return String(buffer: UpstreamRequestWriter.encode(request, host: "127.0.0.1:9", allocator: ByteBufferAllocator()))
    }

    @Test("hop-by-hop, framing, host and the gateway's own names are dropped in any case; the rest keep their order, repeats and bytes")
    func forwardable() throws {
        let head = try Self.head(
            "POST /v2/models/m/infer HTTP/1.1\r\nHost: a\r\nX-Request-ID: caller's\r\naccept: 1\r\nConnection: keep-alive\r\n"
                + "x-forwarded-for: 10.0.0.1\r\nAccept:  2 \r\nContent-Length: 2\r\nx-request-idx: kept\r\nKeep-Alive: 5\r\nTE: x\r\n"
                + "X-Client-Request-Id: forged\r\nUpgrade: h2c\r\nProxy-Authorization: p\r\nx-custom:\tcaf\u{e9}\r\n\r\n")
        var own = OwnFields()
        own.add("x-request-id", RequestID(high: 0x0123_4567_89AB_CDEF, low: 0xFEDC_BA98_7654_3210))
        own.add("x-forwarded-for", "10.0.0.1\r\nx-evil: 1")  // a value with a CR or LF is left out
        own.add("x-client-request-id", "caller's")
        #expect(own.count == 2)
        #expect(
            Self.upstreamHead(head, own: own)
                == "POST /v2/models/m/infer HTTP/1.1\r\naccept: 1\r\nAccept: 2\r\nx-request-idx: kept\r\nx-custom: caf\u{e9}\r\n"
                + "x-request-id: 0123456789abcdeffedcba9876543210\r\nx-client-request-id: caller's\r\ncontent-length: 2\r\nhost: 127.0.0.1:9\r\n\r\n{}")
        // The lookups read the same bytes, in any letter case, the first of repeats.
        #expect(head.fields.first("x-request-id") == "caller's")
        #expect(head.fields.first("X-FORWARDED-FOR") == "10.0.0.1")
        #expect(head.fields.first("accept") == "1")
        #expect(head.fields.first("x-custom") == "caf\u{e9}")
        #expect(head.fields.first("x-missing") == nil)
        #expect(head.fields.first("x-request-i") == nil)
    }

    @Test("own fields are written after the copied ones in the order added, however many, and a refused value takes no place")
    func ownFieldsInOrder() throws {
        let head = try Self.head("POST /v2/models/m/infer HTTP/1.1\r\nHost: a\r\n\r\n")
        for total in 0...7 {
            var own = OwnFields()
            var expected = ""
            for index in 0..<total {
                // Each third value holds a line break and is left out.
                if index % 3 == 2 {
                    own.add("x-refused", "v\(index)\nx-evil: 1")
                    continue
                }
                own.add("x-own", "v\(index)")
                expected += "x-own: v\(index)\r\n"
            }
            #expect(own.count == total - total / 3, "\(total) added")
            #expect(own.maximumBytes >= expected.utf8.count)
            #expect(
                Self.upstreamHead(head, own: own)
                    == "POST /v2/models/m/infer HTTP/1.1\r\n\(expected)content-length: 2\r\nhost: 127.0.0.1:9\r\n\r\n{}", "\(total) added")
        }
    }

    @Test("prepared lines go first, then the request id, then text fields in order; a prepared value with a line break is left out")
    func preparedLinesFirst() throws {
        let head = try Self.head("POST /v2/models/m/infer HTTP/1.1\r\nHost: a\r\n\r\n")
        var own = OwnFields(prepared: PreparedFieldLines(["x-sluice-model": "m", "x-sluice-version": "v1\r\nx-evil: 1", "x-sluice-replica": "r0"]))
        own.add("x-client-request-id", "caller's")
        own.add("x-request-id", RequestID(high: 1, low: 2))
        #expect(own.count == 2, "prepared lines are not counted")
        let written = "x-sluice-model: m\r\nx-sluice-replica: r0\r\nx-request-id: 00000000000000010000000000000002\r\nx-client-request-id: caller's\r\n"
        #expect(own.maximumBytes >= written.utf8.count)
        #expect(
            Self.upstreamHead(head, own: own)
                == "POST /v2/models/m/infer HTTP/1.1\r\n\(written)content-length: 2\r\nhost: 127.0.0.1:9\r\n\r\n{}")
        // The gateway's answers carry their target's lines, made once with it.
        let target = UpstreamTarget(model: "iris", version: "v2", address: UpstreamAddress(host: "127.0.0.1", port: 9))
        #expect(target.answerFields.bytes == Array("x-sluice-model: iris\r\nx-sluice-version: v2\r\n".utf8))
    }

    @Test("three names looked up in one pass read what three lookups read: any case, the first of repeats, a name given twice, absent names")
    func threeAtOnce() throws {
        let head = try Self.head(
            "GET /v2/models/m HTTP/1.1\r\nHost: a\r\nX-Pin: v2\r\nx-request-id: one\r\nX-REQUEST-ID: two\r\nx-pin: v1\r\n"
                + "X-Forwarded-For: 10.0.0.1\r\nx-forwarded-fo: not this\r\n\r\n")
        let names = ["x-pin", "X-Request-Id", "x-forwarded-for", "x-missing", "host", "x-forwarded-fo", "x-pi"]
        for a in names {
            for b in names {
                for c in names {
                    let found = head.fields.first(a, b, c)
                    let expected = (head.fields.first(a), head.fields.first(b), head.fields.first(c))
                    #expect(found.0 == expected.0 && found.1 == expected.1 && found.2 == expected.2, "\(a), \(b), \(c)")
                }
            }
        }
        let (pin, id, forwarded) = head.fields.first("x-pin", "x-request-id", "x-forwarded-for")
        #expect(pin == "v2" && id == "one" && forwarded == "10.0.0.1")
    }

    @Test("a head made in process keeps only fields the parser would accept: no CR or LF can reach the model server")
    func madeInProcess() {
        let head = RequestHead(
            HTTPRequestHead(
                version: .http1_1, method: .POST, uri: "/",
                headers: [
                    "x-ok": " 1 ", "x-bad": "a\r\nevil: 1", "x-bad\r\nevil": "2", "x-lf": "a\nb", "x-cr": "a\rb", "": "empty", "x y": "3",
                    "Host": "h", "x-after": "2",
                ]))
        #expect(head.headers.map { "\($0.name)=\($0.value)" } == ["x-ok=1", "Host=h", "x-after=2"])
        #expect(Self.upstreamHead(head).hasPrefix("POST /v2/models/m/infer HTTP/1.1\r\nx-ok: 1\r\nx-after: 2\r\ncontent-length: 2\r\n"))
    }

    @Test("keep-alive as RFC 9112 §9.3 says: HTTP/1.1 unless close, HTTP/1.0 only with keep-alive, options in any case and list")
    func keepAlive() throws {
        let cases: [(String, Bool)] = [
            ("GET / HTTP/1.1\r\nHost: a\r\n\r\n", true),
            ("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", false),
            ("GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, CLOSE\r\n\r\n", false),
            ("GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive\r\nconnection:  close \r\n\r\n", false),
            ("GET / HTTP/1.1\r\nHost: a\r\nConnection: closed\r\n\r\n", true),
            ("GET / HTTP/1.1\r\nHost: a\r\nConnection: ,,\r\n\r\n", true),
            ("GET / HTTP/1.0\r\n\r\n", false),
            ("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", true),
            ("GET / HTTP/1.0\r\nConnection: te,\tkeep-alive\r\n\r\n", true),
            ("GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n", false),
        ]
        for (text, keepsAlive) in cases {
            let head = try Self.head(text)
            #expect(head.isKeepAlive == keepsAlive, "\(text)")
            // NIO's reading of the same fields agrees.
            #expect(HTTPRequestHead(version: head.version, method: head.method, uri: head.uri, headers: head.headers).isKeepAlive == keepsAlive, "\(text)")
        }
    }

    @Test("the case-blind comparison folds only A-Z: other bytes one bit away from a letter or '-' do not match")
    func equalsLowercase() {
        #expect(HTTP1Syntax.equalsLowercase("Content-Length", "content-length"))
        #expect(HTTP1Syntax.equalsLowercase("HOST", "host"))
        #expect(!HTTP1Syntax.equalsLowercase("content\rlength", "content-length"))  // \r | 0x20 is '-'
        #expect(!HTTP1Syntax.equalsLowercase("@", "`"))
        #expect(!HTTP1Syntax.equalsLowercase("hosts", "host"))
        #expect(!HTTP1Syntax.equalsLowercase("hos", "host"))
        // Both sides folded when the other side is not known to be lower case.
        let bytes: [UInt8] = Array("X-Request-ID".utf8)
        let other: [UInt8] = Array("x-REQUEST-id".utf8)
        #expect(bytes.withUnsafeBytes { b in other.withUnsafeBufferPointer { HTTP1Syntax.equalsIgnoringCase(b, 0..<12, $0, otherIsLowercase: false) } })
        let near: [UInt8] = Array("x-request-i@".utf8)
        #expect(!bytes.withUnsafeBytes { b in near.withUnsafeBufferPointer { HTTP1Syntax.equalsIgnoringCase(b, 0..<12, $0, otherIsLowercase: false) } })
    }
}
