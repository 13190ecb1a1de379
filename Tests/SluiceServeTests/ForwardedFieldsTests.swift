import Foundation
import NIOCore
import NIOHTTP1
import SluiceCore
import Testing

@testable import SluiceServe

/// The model server's fields go to the caller as the bytes it sent (``ForwardedFields``):
/// order and repeats kept, hop-by-hop, framing and the gateway's own names dropped in any
/// letter case, and byte for byte what the `HTTPHeaders` path wrote before.
@Suite("gateway: upstream fields forwarded as bytes", .serialized, .timeLimit(.minutes(10)))
struct ForwardedFieldsTests {
    /// `head` (a whole response head, nothing after it) read as a model server's answer to a HEAD.
    static func fields(_ head: String) throws -> HTTP1FieldLines {
        var parser = HTTP1ResponseParser(maximumHeadBytes: 64 * 1024, maximumHeaderCount: 100, maximumBody: 1024)
        parser.expectResponse(toHEAD: true)
        var bytes = ByteBuffer(string: head)
        parser.append(&bytes)
        let response = try parser.next()
        return try #require(response).fields
    }

    /// What the server's writer writes of `lines` forwarded by the gateway.
    static func written(_ lines: HTTP1FieldLines) -> String {
        let forwarded = ForwardedFields(lines, dropping: Gateway.droppedFromAnswers)
        var buffer = ByteBuffer()
        buffer.writeHead(maximumBytes: forwarded.maximumBytes) { forwarded.write(to: &$0) }
        return String(buffer: buffer)
    }

    /// What the `HTTPHeaders` path wrote of the same fields: the fields without the hop-by-hop
    /// names and the gateway's (compared lower-cased), then the writer's framing check, each
    /// `name: value` CRLF.
    static func writtenBefore(_ headers: HTTPHeaders) -> String {
        let dropped = Gateway.hopByHop.union(Gateway.setOnResponses)
        return headers.filter { !dropped.contains($0.name.lowercased()) && !RequestHandler.isFraming($0.name) }
            .map { "\($0.name): \($0.value)\r\n" }.joined()
    }

    @Test("kept fields keep their order and repeats; hop-by-hop, framing and the gateway's names are dropped in any letter case")
    func orderRepeatsAndDrops() throws {
        let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Sluice-Model: forged\r\nset-cookie: a=1\r\n"
            + "CONTENT-LENGTH: 0\r\nConnection: keep-alive\r\nSet-Cookie: b=2\r\nx-REQUEST-id: forged\r\nKeep-Alive: timeout=5\r\n"
            + "UPGRADE: h2c\r\nProxy-Connection: x\r\nte: trailers\r\nTrailer: x\r\nHost: h\r\nProxy-Authenticate: Basic\r\n"
            + "proxy-authorization: y\r\nX-SLUICE-VERSION: forged\r\nx-client-request-ID: forged\r\nx-custom: 1\r\n"
            + "x-request-idx: kept\r\nX-Custom:  2 \r\n\r\n"
        let lines = try Self.fields(head)
        #expect(lines.count == 20)
        #expect(
            Self.written(lines)
                == "Content-Type: application/json\r\nset-cookie: a=1\r\nSet-Cookie: b=2\r\nx-custom: 1\r\nx-request-idx: kept\r\nX-Custom: 2\r\n")
        let kept = ForwardedFields(lines, dropping: Gateway.droppedFromAnswers).headers
        #expect(
            kept.map { "\($0.name)=\($0.value)" }
                == ["Content-Type=application/json", "set-cookie=a=1", "Set-Cookie=b=2", "x-custom=1", "x-request-idx=kept", "X-Custom=2"])
        // The HTTPHeaders view of the whole head has every field, as read.
        #expect(lines.headers.count == 20)
        #expect(lines.headers.first(name: "x-sluice-model") == "forged")
        #expect(Self.written(lines) == Self.writtenBefore(lines.headers))
    }

    @Test("transfer-encoding in any case is never forwarded; no field at all writes nothing")
    func framingAndEmpty() throws {
        let chunked = try Self.fields("HTTP/1.1 200 OK\r\nTRANSFER-encoding: chunked\r\nx-after: 1\r\n\r\n")
        #expect(Self.written(chunked) == "x-after: 1\r\n")
        #expect(Self.written(try Self.fields("HTTP/1.1 204 No Content\r\n\r\n")).isEmpty)
        #expect(Self.written(.empty).isEmpty)
        // The writer drops framing names and host whatever the gateway's set says.
        var buffer = ByteBuffer()
        let lines = try Self.fields("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nconnection: close\r\nHOST: h\r\nx-a: 1\r\n\r\n")
        let forwarded = ForwardedFields(lines, dropping: FieldNameSet([]))
        buffer.writeHead(maximumBytes: forwarded.maximumBytes) { forwarded.write(to: &$0) }
        #expect(String(buffer: buffer) == "x-a: 1\r\n")
    }

    @Test("every spacing of a field line is written `name: value` as the HTTPHeaders path wrote it")
    func spacing() throws {
        let forms = [
            "A:b", "A: b", "A:  b", "A: b ", "A:\tb\t", "A:   b c  ", "A:", "A: ", "A:  ", "A: caf\u{e9}", "A: a:b", "Server: x/1.0 (y)",
        ]
        for form in forms {
            let lines = try Self.fields("HTTP/1.1 200 OK\r\n\(form)\r\nx-next: 1\r\nB: c\r\n\r\n")
            #expect(Self.written(lines) == Self.writtenBefore(lines.headers), "\(form)")
        }
    }

    @Test("2,000 random heads: the written block equals the HTTPHeaders path's, holds only whole field lines, and drops what it must")
    func randomHeads() async throws {
        let names = [
            "content-type", "x-a", "set-cookie", "te", "host", "connection", "keep-alive", "x-sluice-model", "x-request-id", "x-request-idx",
            "upgrade", "trailer", "proxy-authenticate", "proxy-authorization", "proxy-connection", "x-client-request-id", "x-sluice-version",
            "server", "date", "content-lengthx", "x-forwarded-for", "a",
        ]
        let values = ["", "1", "a b", "application/json", "keep-alive", "close", "x,y", "\u{e9}t\u{e9}", "v:w"]
        let spaces = ["", " ", "  ", "\t", " \t"]
        let dropped = Set(Gateway.hopByHop).union(Gateway.setOnResponses)
        var generator = SplitMix64(state: 7)
        func pick<T>(_ list: [T]) -> T { list[Int(generator.next() % UInt64(list.count))] }
        for round in 0..<2_000 {
            if round % 50 == 0 { await Task.yield() }
            var lines: [String] = []
            var expected: [String] = []
            for _ in 0..<Int(generator.next() % 12) {
                let name = String(pick(names).map { generator.next() % 2 == 0 ? Character($0.uppercased()) : $0 })
                let value = pick(values)
                lines.append("\(name):\(pick(spaces))\(value)\(value.isEmpty ? "" : pick(spaces))")
                if !dropped.contains(name.lowercased()) { expected.append("\(name): \(value)") }
            }
            if generator.next() % 2 == 0 {
                let at = Int(generator.next() % UInt64(lines.count + 1))
                lines.insert(generator.next() % 2 == 0 ? "Content-Length: 0" : "transfer-Encoding: chunked", at: at)
            }
            let parsed = try Self.fields("HTTP/1.1 200 OK\r\n" + lines.map { $0 + "\r\n" }.joined() + "\r\n")
            let written = Self.written(parsed)
            #expect(written == Self.writtenBefore(parsed.headers), "\(lines)")
            #expect(written == expected.map { $0 + "\r\n" }.joined(), "\(lines)")
            // Only whole lines: no CR or LF but at the line ends.
            let split = written.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).dropLast()
            #expect(split.allSatisfy { $0.last == UInt8(ascii: "\r") && !$0.dropLast().contains(UInt8(ascii: "\r")) }, "\(lines)")
        }
    }

    @Test("a name set matches its names in any letter case and nothing else of their lengths")
    func nameSet() throws {
        let set = FieldNameSet(["te", "x-request-id"])
        let lines = try Self.fields("HTTP/1.1 200 OK\r\nTE: 1\r\nX-Request-ID: 2\r\nx-request-ie: 3\r\nt: 4\r\ntex: 5\r\nt_: 6\r\n\r\n")
        let matched = lines.bytes.withUnsafeReadableBytes { bytes in lines.fields.map { set.contains(bytes, $0.name) } }
        #expect(matched == [true, true, false, false, false, false])
    }

    @Test("a name set of many names, several of one length, given in any order, matches each of them and no neighbour")
    func nameSetOfManyLengths() throws {
        let names = ["x-request-id", "te", "keep-alive", "connection", "upgrade", "trailer", "x-client-request-id", "a", "x-request-ie"]
        let set = FieldNameSet(names)
        for name in names + ["b", "tf", "upgradf", "keep-alivf", "x-request-if", "x-client-request-ie", String(repeating: "z", count: 63)] {
            let lines = try Self.fields("HTTP/1.1 200 OK\r\n\(name.uppercased()): 1\r\n\(name): 2\r\n\r\n")
            let matched = lines.bytes.withUnsafeReadableBytes { bytes in lines.fields.map { set.contains(bytes, $0.name) } }
            #expect(matched == [names.contains(name), names.contains(name)], "\(name)")
        }
    }
}

/// The same, end to end: a real data plane forwarding to real loopback model servers that
/// send exactly the bytes each case needs, read by a raw client socket.
@Suite("gateway: upstream fields forwarded end to end", .serialized, .timeLimit(.minutes(10)))
struct ForwardedFieldsServerTests {
    /// Answers every request (the readiness probes too) with `answer`.
    static func listener(_ answer: String) throws -> UpstreamResponseReadingTests.ScriptedListener {
        try UpstreamResponseReadingTests.ScriptedListener(Array(repeating: .init(bytes: answer), count: 10_000))
    }

    /// The head lines of the gateway's answer to an inference request to `version`, and its body.
    static func infer(_ plane: DataPlaneFixture, version: String) async throws -> (lines: [String], body: String) {
        let body = #"{"inputs":[{"name":"x","shape":[1],"datatype":"FP64","data":[1]}]}"#
        let connection = try BlockingSocket(port: plane.inferencePort)
        connection.send(
            "POST /v2/models/m/versions/\(version)/infer HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                + "Content-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)")
        let answer = await connection.received(seconds: 60).text
        let parts = answer.components(separatedBy: "\r\n\r\n")
        let lines = parts[0].components(separatedBy: "\r\n")
        return (lines, parts.dropFirst().joined(separator: "\r\n\r\n"))
    }

    @Test("the caller gets the model server's fields in order with repeats, never its hop-by-hop, framing or the gateway's names, then the gateway's own")
    func forwardedThroughGateway() async throws {
        let plainBody = #"{"outputs":[]}"#
        let plain = try Self.listener(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Sluice-Model: forged\r\nset-cookie: a=1\r\nKeep-Alive: timeout=5\r\n"
                + "CONNECTION: keep-alive\r\nSet-Cookie: b=2\r\nX-Request-Id: forged\r\nx-sluice-VERSION: forged\r\nUpgrade: h2c\r\n"
                + "X-Client-Request-ID: forged\r\nx-custom:1\r\nContent-LENGTH: \(plainBody.utf8.count)\r\nX-Custom:  2  \r\n\r\n\(plainBody)")
        let chunked = try Self.listener(
            "HTTP/1.1 200 OK\r\nx-before: 1\r\nTransfer-ENCODING: chunked\r\nTrailer: x-t\r\nx-after: 2\r\n\r\n"
                + "5\r\nhello\r\n6\r\n world\r\n0\r\nx-t: 1\r\n\r\n")
        try await DataPlaneFixture.with { plane in
            try await plane.apply(
                #"{"revision":"r1","models":[{"name":"m","versions":[{"name":"plain","endpoint":"http://127.0.0.1:\#(plain.port)"},"#
                    + #"{"name":"chunked","endpoint":"http://127.0.0.1:\#(chunked.port)"}],"route":{"weights":{"plain":100,"chunked":0}}}]}"#)
            try await plane.stepUntil("both ready") { await plane.ready("plain", "chunked") }

            let (lines, body) = try await Self.infer(plane, version: "plain")
            #expect(body == plainBody)
            #expect(lines.count == 11, "\(lines)")
            #expect(
                Array(lines.prefix(8)) == [
                    "HTTP/1.1 200 OK", "Content-Type: application/json", "set-cookie: a=1", "Set-Cookie: b=2", "x-custom: 1", "X-Custom: 2",
                    "x-sluice-model: m", "x-sluice-version: plain",
                ], "\(lines)")
            let requestID = try #require(lines.dropFirst(8).first)
            #expect(requestID.hasPrefix("x-request-id: ") && requestID.count == 14 + 32, "\(lines)")
            #expect(Array(lines.suffix(2)) == ["content-length: \(plainBody.utf8.count)", "connection: close"], "\(lines)")

            let (chunkedLines, chunkedBody) = try await Self.infer(plane, version: "chunked")
            #expect(chunkedBody == "hello world")
            #expect(Array(chunkedLines.prefix(3)) == ["HTTP/1.1 200 OK", "x-before: 1", "x-after: 2"], "\(chunkedLines)")
            #expect(Array(chunkedLines.suffix(2)) == ["content-length: 11", "connection: close"], "\(chunkedLines)")
            #expect(!chunkedLines.contains { $0.lowercased().hasPrefix("transfer-encoding") || $0.lowercased().hasPrefix("trailer") }, "\(chunkedLines)")
        }
    }
}
