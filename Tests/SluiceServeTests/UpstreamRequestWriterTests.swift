import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing

@testable import SluiceServe

/// The one-buffer encoder of requests to model servers: the bytes it writes, the headers it
/// owns (framing and host, whatever the caller passed), and that NIO's response decoder above
/// it still learns each request's method.
@Suite("upstream request writer") struct UpstreamRequestWriterTests {
    /// A channel with the writer and the response decoder, as UpstreamClient builds it.
    func channel(host: String = "127.0.0.1:9101") throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(UpstreamRequestWriter(hostHeader: host))
        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(HTTPResponseDecoder(leftOverBytesStrategy: .dropBytes)))
        return channel
    }

    func written(_ channel: EmbeddedChannel) throws -> [String] {
        var writes: [String] = []
        while let data = try channel.readOutbound(as: IOData.self) {
            guard case .byteBuffer(let buffer) = data else { continue }
            writes.append(String(buffer: buffer))
        }
        return writes
    }

    @Test("a request is one write: request line, the caller's headers, content-length and host, then the body")
    func oneWrite() throws {
        let channel = try channel()
        let head = HTTPRequestHead(version: .http1_1, method: .POST, uri: "/v2/models/m/infer", headers: ["x-request-id": "abc", "Content-Type": "application/json"])
        channel.write(HTTPClientRequestPart.head(head), promise: nil)
        channel.write(HTTPClientRequestPart.body(.byteBuffer(ByteBuffer(string: "{\"a\":"))), promise: nil)
        channel.write(HTTPClientRequestPart.body(.byteBuffer(ByteBuffer(string: "1}"))), promise: nil)
        try channel.writeAndFlush(HTTPClientRequestPart.end(nil)).wait()
        #expect(try written(channel) == [
            "POST /v2/models/m/infer HTTP/1.1\r\nx-request-id: abc\r\nContent-Type: application/json\r\ncontent-length: 7\r\nhost: 127.0.0.1:9101\r\n\r\n{\"a\":1}"
        ])
        _ = try channel.finish()
    }

    @Test("the caller's content-length, host and transfer-encoding (any case) are never written: the writer frames and names the host itself")
    func framingIsTheWriters() {
        let head = HTTPRequestHead(
            version: .http1_1, method: .POST, uri: "/x",
            headers: ["Content-Length": "999", "HOST": "elsewhere", "transfer-encoding": "chunked", "x-hostile": "1", "hosts": "kept"])
        let bytes = UpstreamRequestWriter.encode(head, body: ByteBuffer(string: "{}"), host: "[::1]:8000", allocator: ByteBufferAllocator())
        #expect(String(buffer: bytes) == "POST /x HTTP/1.1\r\nx-hostile: 1\r\nhosts: kept\r\ncontent-length: 2\r\nhost: [::1]:8000\r\n\r\n{}")
    }

    @Test("a request without a body says content-length: 0")
    func noBody() {
        let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: "/v2/models/m", headers: [:])
        let bytes = UpstreamRequestWriter.encode(head, body: nil, host: "h:1", allocator: ByteBufferAllocator())
        #expect(String(buffer: bytes) == "GET /v2/models/m HTTP/1.1\r\ncontent-length: 0\r\nhost: h:1\r\n\r\n")
    }

    @Test("the response decoder still sees the method: the answer to HEAD has no body even with a content-length, and the next answer is read whole")
    func decoderSeesMethod() throws {
        let channel = try channel()
        channel.write(HTTPClientRequestPart.head(HTTPRequestHead(version: .http1_1, method: .HEAD, uri: "/", headers: [:])), promise: nil)
        try channel.writeAndFlush(HTTPClientRequestPart.end(nil)).wait()
        channel.write(HTTPClientRequestPart.head(HTTPRequestHead(version: .http1_1, method: .GET, uri: "/", headers: [:])), promise: nil)
        try channel.writeAndFlush(HTTPClientRequestPart.end(nil)).wait()
        #expect(try written(channel).count == 2)
        try channel.writeInbound(ByteBuffer(string: "HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"))
        var parts: [String] = []
        while let part = try channel.readInbound(as: HTTPClientResponsePart.self) {
            switch part {
            case .head(let head): parts.append("head \(head.status.code)")
            case .body(let body): parts.append("body \(String(buffer: body))")
            case .end: parts.append("end")
            }
        }
        #expect(parts == ["head 200", "end", "head 200", "body ok", "end"])
        _ = try channel.finish()
    }

    @Test("every part's promise completes with the one write, and an end without a head fails instead of writing garbage")
    func promises() throws {
        let channel = try channel()
        let head = channel.eventLoop.makePromise(of: Void.self)
        let body = channel.eventLoop.makePromise(of: Void.self)
        channel.write(HTTPClientRequestPart.head(HTTPRequestHead(version: .http1_1, method: .POST, uri: "/", headers: [:])), promise: head)
        channel.write(HTTPClientRequestPart.body(.byteBuffer(ByteBuffer(string: "x"))), promise: body)
        try channel.writeAndFlush(HTTPClientRequestPart.end(nil)).wait()
        try head.futureResult.wait()
        try body.futureResult.wait()
        #expect(try written(channel).count == 1)
        #expect(throws: ChannelError.self) { try channel.writeAndFlush(HTTPClientRequestPart.end(nil)).wait() }
        #expect(try written(channel).isEmpty)
        _ = try channel.finish()
    }

    @Test("a request whose end never comes writes nothing, and its parts' promises fail when the connection closes")
    func unfinished() throws {
        let channel = try channel()
        let head = channel.eventLoop.makePromise(of: Void.self)
        channel.write(HTTPClientRequestPart.head(HTTPRequestHead(version: .http1_1, method: .POST, uri: "/", headers: [:])), promise: head)
        channel.flush()
        #expect(try written(channel).isEmpty)
        _ = try? channel.finish()
        #expect(throws: ChannelError.self) { try head.futureResult.wait() }
    }
}
