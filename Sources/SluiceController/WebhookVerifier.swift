import NIOHTTP1
import SluiceCore

/// Checks that a git webhook comes from the forge: GitHub's `X-Hub-Signature-256`
/// (HMAC-SHA256 of the body) or GitLab's `X-Gitlab-Token` (a shared secret).
struct WebhookVerifier: Sendable {
    let secret: [UInt8]

    enum Outcome: Equatable {
        case accepted(forge: String)
        case refused(String)
    }

    func verify(headers: HTTPHeaders, body: [UInt8]) -> Outcome {
        guard !secret.isEmpty else { return .refused("no webhook secret is configured") }
        if let signature = headers.first(name: "x-hub-signature-256") {
            guard signature.hasPrefix("sha256="), let given = Self.bytes(fromHex: String(signature.dropFirst(7))) else {
                return .refused("X-Hub-Signature-256 is not sha256=<hex>")
            }
            let expected = HMACSHA256.authenticationCode(for: body, key: secret)
            return HMACSHA256.constantTimeEqual(given, expected) ? .accepted(forge: "github") : .refused("signature mismatch")
        }
        if let token = headers.first(name: "x-gitlab-token") {
            return HMACSHA256.constantTimeEqual(Array(token.utf8), secret) ? .accepted(forge: "gitlab") : .refused("token mismatch")
        }
        return .refused("no X-Hub-Signature-256 or X-Gitlab-Token header")
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
