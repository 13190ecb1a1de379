import NIOHTTP1
import SluiceCore

/// A bearer token checked in constant time, so it cannot be guessed byte by byte from
/// response timing. Shared by the data plane's admin API and the controller's API.
package struct BearerToken: Sendable {
    private let bytes: [UInt8]

    package init(_ token: String) {
        bytes = Array(token.utf8)
    }

    /// Whether `headers` carry `Authorization: Bearer <this token>` (an empty token never
    /// matches). The scheme is case-insensitive (RFC 9110 §11.1): `bearer` and `BEARER` too.
    package func admits(_ headers: HTTPHeaders) -> Bool {
        admits(authorization: headers.first(name: "authorization"))
    }

    /// Whether an `Authorization` header value is `Bearer <this token>` (nil: no header).
    package func admits(authorization value: String?) -> Bool {
        guard !bytes.isEmpty, let value else { return false }
        let utf8 = Array(value.utf8)
        let scheme = Array("bearer ".utf8)
        guard utf8.count > scheme.count,
              zip(utf8.prefix(scheme.count), scheme).allSatisfy({ ($0 | 0x20) == $1 }) else { return false }
        return SecretComparison.equal(Array(utf8.dropFirst(scheme.count)), bytes)
    }

    /// The 401 answer naming the realm.
    package static func unauthorized(realm: String) -> ServerResponse {
        var headers = HTTPHeaders()
        headers.add(name: "www-authenticate", value: "Bearer realm=\"\(realm)\"")
        return .error(.unauthorized, "missing or wrong bearer token", headers: headers)
    }
}
