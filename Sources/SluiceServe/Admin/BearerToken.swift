import NIOHTTP1
import SluiceCore

/// A bearer token checked in constant time, so it cannot be guessed byte by byte from
/// response timing. Shared by the data plane's admin API and the controller's API.
package struct BearerToken: Sendable {
    private let bytes: [UInt8]

    package init(_ token: String) {
        bytes = Array(token.utf8)
    }

    /// Whether `headers` carry `Authorization: Bearer <this token>` (an empty token never matches).
    package func admits(_ headers: HTTPHeaders) -> Bool {
        guard !bytes.isEmpty, let value = headers.first(name: "authorization"), value.hasPrefix("Bearer ") else { return false }
        return HMACSHA256.constantTimeEqual(Array(value.dropFirst("Bearer ".count).utf8), bytes)
    }
}
