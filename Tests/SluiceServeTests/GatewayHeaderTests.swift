import NIOHTTP1
import Testing

@testable import SluiceServe

/// The one-pass header copy the gateway forwards: hop-by-hop names and the names the
/// gateway sets itself are dropped in any letter case, everything else is kept in order.
@Suite("gateway: forwarded headers") struct GatewayHeaderTests {
    @Test("hop-by-hop headers and the gateway's own are dropped in any case; the rest keep their order and repeats")
    func forwardable() {
        let headers: HTTPHeaders = [
            "Host": "a", "X-Request-ID": "caller's", "accept": "1", "Connection": "keep-alive", "TRANSFER-ENCODING": "chunked",
            "x-forwarded-for": "10.0.0.1", "Accept": "2", "Content-Length": "3", "x-request-idx": "kept", "Keep-Alive": "5", "TE": "x",
        ]
        let kept = Gateway.forwardable(headers, without: Gateway.setOnRequests)
        #expect(kept.map { "\($0.name)=\($0.value)" } == ["accept=1", "Accept=2", "x-request-idx=kept"])
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
