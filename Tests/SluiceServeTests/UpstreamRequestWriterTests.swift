import NIOCore
import NIOEmbedded
import NIOHTTP1
import SluiceCore
import Testing

@testable import SluiceServe

/// The one-buffer encoder of requests to model servers: the bytes the connection writes and
/// the headers it owns (framing and host, whatever the caller passed).
@Suite("upstream request writer") struct UpstreamRequestWriterTests {
    @Test("a request is one write: request line, the caller's headers, content-length and host, then the body")
    func oneWrite() throws {
        let (channel, handler) = try connectedUpstreamHandler()
        let request = UpstreamRequest(
            method: .POST, uri: "/v2/models/m/infer", headers: ["x-request-id": "abc", "Content-Type": "application/json"],
            body: ByteBuffer(string: "{\"a\":1}"))
        handler.send(request, timeout: .seconds(5), exchange: UpstreamCompletionExchange { _ in })
        var writes: [String] = []
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) { writes.append(String(buffer: buffer)) }
        #expect(writes == [
            "POST /v2/models/m/infer HTTP/1.1\r\nx-request-id: abc\r\nContent-Type: application/json\r\ncontent-length: 7\r\nhost: 127.0.0.1:9101\r\n\r\n{\"a\":1}"
        ])
        _ = try? channel.finish()
    }

    @Test("the caller's content-length, host and transfer-encoding (any case) are never written: the writer frames and names the host itself")
    func framingIsTheWriters() {
        let request = UpstreamRequest(
            method: .POST, uri: "/x",
            headers: ["Content-Length": "999", "HOST": "elsewhere", "transfer-encoding": "chunked", "x-hostile": "1", "hosts": "kept"],
            body: ByteBuffer(string: "{}"))
        let bytes = UpstreamRequestWriter.encode(request, host: "[::1]:8000", allocator: ByteBufferAllocator())
        #expect(String(buffer: bytes) == "POST /x HTTP/1.1\r\nx-hostile: 1\r\nhosts: kept\r\ncontent-length: 2\r\nhost: [::1]:8000\r\n\r\n{}")
    }

    @Test("a request without a body says content-length: 0")
    func noBody() {
        let request = UpstreamRequest(method: .GET, uri: "/v2/models/m", headers: [:], body: nil)
        let bytes = UpstreamRequestWriter.encode(request, host: "h:1", allocator: ByteBufferAllocator())
        #expect(String(buffer: bytes) == "GET /v2/models/m HTTP/1.1\r\ncontent-length: 0\r\nhost: h:1\r\n\r\n")
    }
}
