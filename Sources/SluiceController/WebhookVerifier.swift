import Crypto
import NIOHTTP1
import SluiceCore

/// Checks that a git webhook comes from the forge: GitHub's `X-Hub-Signature-256`
/// (HMAC-SHA256 of the body, verified with swift-crypto) or GitLab's `X-Gitlab-Token`
/// (a shared secret, compared in constant time).
struct WebhookVerifier: Sendable {
    let secret: [UInt8]

    /// GitHub refuses to send payloads over 25 MB; nothing larger is read.
    static let maximumBody = 25 << 20

    enum Outcome: Equatable {
        case accepted(Forge)
        case refused(String)
    }

    /// Where a webhook comes from.
    enum Forge: String, Sendable {
        case github, gitlab
    }

    /// What the head alone decides: a GitLab token is checked at once, and a request with no
    /// signature at all is refused before its body is read.
    func screen(_ headers: HTTPHeaders) -> Outcome? {
        guard !secret.isEmpty else { return .refused("no webhook secret is configured") }
        if headers.first(name: "x-hub-signature-256") != nil { return nil }
        if let token = headers.first(name: "x-gitlab-token") {
            return SecretComparison.equal(Array(token.utf8), secret) ? .accepted(.gitlab) : .refused("token mismatch")
        }
        return .refused("no X-Hub-Signature-256 or X-Gitlab-Token header")
    }

    func verify(headers: HTTPHeaders, body: [UInt8]) -> Outcome {
        if let decided = screen(headers) { return decided }
        guard let signature = headers.first(name: "x-hub-signature-256"), signature.hasPrefix("sha256="),
              let given = Self.bytes(fromHex: String(signature.dropFirst(7))) else {
            return .refused("X-Hub-Signature-256 is not sha256=<hex>")
        }
        let valid = HMAC<Crypto.SHA256>.isValidAuthenticationCode(given, authenticating: body, using: SymmetricKey(data: secret))
        return valid ? .accepted(.github) : .refused("signature mismatch")
    }

    /// The keys a delivery is remembered by, so that a replay is ignored: the forge's
    /// delivery id (not covered by the signature, so not enough alone) and the signature
    /// itself (an identical body replayed under another id).
    static func deliveryKeys(_ headers: HTTPHeaders, forge: Forge) -> [String] {
        var keys: [String] = []
        switch forge {
        case .github:
            if let id = headers.first(name: "x-github-delivery"), !id.isEmpty { keys.append("github-delivery:\(id.prefix(200))") }
            if let signature = headers.first(name: "x-hub-signature-256") { keys.append("github-signature:\(signature.prefix(200))") }
        case .gitlab:
            // GitLab's token is the same on every delivery; only its event id tells them apart.
            if let id = headers.first(name: "x-gitlab-event-uuid") ?? headers.first(name: "idempotency-key"), !id.isEmpty {
                keys.append("gitlab-delivery:\(id.prefix(200))")
            }
        }
        return keys
    }

    static func bytes(fromHex text: String) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        var index = 0
        while index < digits.count {
            guard let high = nibble(digits[index]), let low = nibble(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }

    private static func nibble(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
