import NIOHTTP1
import Testing
@testable import SluiceController

@Suite("webhook verification", .timeLimit(.minutes(10)))
struct WebhookVerifierTests {
    @Test("GitHub signatures and GitLab tokens are verified; anything else is refused")
    func webhooks() {
        let verifier = WebhookVerifier(secret: Array("It's a Secret to Everybody".utf8))
        let body = Array("Hello, World!".utf8)
        // The example from GitHub's documentation on validating webhook deliveries.
        var headers = HTTPHeaders()
        headers.add(name: "X-Hub-Signature-256", value: "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17")
        #expect(verifier.verify(headers: headers, body: body) == .accepted(.github))
        #expect(verifier.verify(headers: headers, body: body + [0x0A]) == .refused("signature mismatch"))
        headers.replaceOrAdd(name: "X-Hub-Signature-256", value: "sha1=abc")
        #expect(verifier.verify(headers: headers, body: body) == .refused("X-Hub-Signature-256 is not sha256=<hex>"))
        var gitlab = HTTPHeaders()
        gitlab.add(name: "X-Gitlab-Token", value: "It's a Secret to Everybody")
        #expect(verifier.verify(headers: gitlab, body: body) == .accepted(.gitlab))
        gitlab.replaceOrAdd(name: "X-Gitlab-Token", value: "guess")
        #expect(verifier.verify(headers: gitlab, body: body) == .refused("token mismatch"))
        #expect(verifier.verify(headers: HTTPHeaders(), body: body) == .refused("no X-Hub-Signature-256 or X-Gitlab-Token header"))
        #expect(WebhookVerifier(secret: []).verify(headers: gitlab, body: body) == .refused("no webhook secret is configured"))
        // The head alone: a GitLab token is judged at once, a GitHub signature waits for the body.
        #expect(verifier.screen(gitlab) == .refused("token mismatch"))
        gitlab.replaceOrAdd(name: "X-Gitlab-Token", value: "It's a Secret to Everybody")
        #expect(verifier.screen(gitlab) == .accepted(.gitlab))
        #expect(verifier.screen(HTTPHeaders()) == .refused("no X-Hub-Signature-256 or X-Gitlab-Token header"))
        var signed = HTTPHeaders()
        signed.add(name: "X-Hub-Signature-256", value: "sha256=00")
        #expect(verifier.screen(signed) == nil)
    }

    @Test("malformed and wrong-length GitHub signatures are refused, never accepted and never a crash; a GitLab token of another length is refused")
    func malformedSignatures() {
        let verifier = WebhookVerifier(secret: Array("It's a Secret to Everybody".utf8))
        let body = Array("Hello, World!".utf8)
        let valid = "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
        func outcome(_ signature: String) -> WebhookVerifier.Outcome {
            var headers = HTTPHeaders()
            headers.add(name: "X-Hub-Signature-256", value: signature)
            return verifier.verify(headers: headers, body: body)
        }
        #expect(outcome("sha256=" + valid.uppercased()) == .accepted(.github), "hex digits in either case")
        let notHex = WebhookVerifier.Outcome.refused("X-Hub-Signature-256 is not sha256=<hex>")
        let cases: [(String, WebhookVerifier.Outcome)] = [
            ("sha256=" + String(valid.dropLast()), notHex),  // an odd number of digits
            ("sha256=" + String(valid.dropLast()) + "g", notHex),  // a digit that is not hex
            ("sha256=" + valid + " ", notHex),
            (" sha256=" + valid, notHex),
            ("SHA256=" + valid, notHex),
            ("sha256:" + valid, notHex),
            (valid, notHex),
            ("sha256=", .refused("signature mismatch")),  // no digest at all
            ("sha256=" + String(valid.dropLast(2)), .refused("signature mismatch")),  // 31 bytes
            ("sha256=" + valid + "00", .refused("signature mismatch")),  // 33 bytes
            ("sha256=" + valid + valid, .refused("signature mismatch")),  // 64 bytes
            ("sha256=" + String(repeating: "0", count: 64), .refused("signature mismatch")),
        ]
        for (signature, expected) in cases {
            #expect(outcome(signature) == expected, "\(signature)")
        }
        var gitlab = HTTPHeaders()
        for token in ["It's a Secret to Everybody!", "It's a Secret to Everybod", "", "It's a Secret to Everybody".uppercased()] {
            gitlab.replaceOrAdd(name: "X-Gitlab-Token", value: token)
            #expect(verifier.verify(headers: gitlab, body: body) == .refused("token mismatch"), "\(token)")
        }
    }
}
