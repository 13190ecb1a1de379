import NIOCore
import NIOHTTP1
import Testing

@testable import SluiceServe

/// The caller's headers the gateway forwards: hop-by-hop names and the names the gateway
/// sets itself are left out in any letter case, everything else is written in order, then the
/// gateway's own.
@Suite("gateway: forwarded headers") struct GatewayHeaderTests {
    @Test("hop-by-hop headers and the gateway's own are left out in any case; the rest keep their order and repeats")
    func forwardable() {
        let headers: HTTPHeaders = [
            "Host": "a", "X-Request-ID": "caller's", "accept": "1", "Connection": "keep-alive", "TRANSFER-ENCODING": "chunked",
            "x-forwarded-for": "10.0.0.1", "Accept": "2", "Content-Length": "3", "x-request-idx": "kept", "Keep-Alive": "5", "TE": "x",
            "X-Client-Request-Id": "forged", "Proxy-Connection": "x", "trailer": "t", "Upgrade": "h2c",
        ]
        let request = UpstreamRequest(
            method: .POST, uri: "/v2/models/m/infer", headers: headers, omitting: Gateway.omittedFromRequests,
            added: [("x-request-id", "r1"), ("x-forwarded-for", "10.0.0.1, 127.0.0.1")], body: ByteBuffer(string: "{}"))
        let written = String(buffer: UpstreamRequestWriter.encode(request, host: "up:1", allocator: ByteBufferAllocator()))
        #expect(written == "POST /v2/models/m/infer HTTP/1.1\r\naccept: 1\r\nAccept: 2\r\nx-request-idx: kept\r\n"
            + "x-request-id: r1\r\nx-forwarded-for: 10.0.0.1, 127.0.0.1\r\ncontent-length: 2\r\nhost: up:1\r\n\r\n{}")
    }

    @Test("the case-blind comparison folds only A-Z: other bytes one bit away from a letter or '-' do not match")
    func equalsLowercase() {
        #expect(Gateway.equalsLowercase("Content-Length", "content-length"))
        #expect(Gateway.equalsLowercase("HOST", "host"))
        #expect(!Gateway.equalsLowercase("content\rlength", "content-length"))  // \r | 0x20 is '-'
        #expect(!Gateway.equalsLowercase("@", "`"))
        #expect(!Gateway.equalsLowercase("hosts", "host"))
        #expect(!Gateway.equalsLowercase("hos", "host"))
    }
}
