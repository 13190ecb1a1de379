/// A content digest that pins a model artifact, checked before the version starts.
public struct Digest: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The hash algorithms accepted.
    public enum Algorithm: String, Sendable, Hashable, Codable {
        case sha256, sha512

        var hexLength: Int { self == .sha256 ? 64 : 128 }
    }

    /// The algorithm.
    public let algorithm: Algorithm
    /// The lowercase hex digest.
    public let hex: String

    public var description: String { "\(algorithm.rawValue):\(hex)" }

    /// A digest from a computed hash; `hex` must be lowercase hex of the algorithm's length
    /// (text from elsewhere goes through ``parse(_:)``).
    public init(algorithm: Algorithm, hex: String) {
        self.algorithm = algorithm
        self.hex = hex
    }

    /// Parses `sha256:<64 hex>` or `sha512:<128 hex>`; the error says what is wrong.
    public static func parse(_ text: String) -> (value: Digest?, error: String?) {
        guard let colon = text.firstIndex(of: ":") else {
            return (nil, "'\(text)' has no algorithm prefix such as 'sha256:'")
        }
        let name = String(text[..<colon])
        let hex = String(text[text.index(after: colon)...])
        guard let algorithm = Algorithm(rawValue: name) else {
            return (nil, "the digest algorithm '\(name)' is not supported; use sha256 or sha512")
        }
        guard hex.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }) else {
            if hex.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 >= 65 && $0 <= 70) || ($0 >= 97 && $0 <= 102) }) {
                return (nil, "the digest must be lowercase hex")
            }
            return (nil, "the digest contains characters that are not hex digits (0-9, a-f)")
        }
        guard hex.utf8.count == algorithm.hexLength else {
            return (nil, "a \(name) digest has \(algorithm.hexLength) hex digits; this one has \(hex.utf8.count)")
        }
        return (Digest(algorithm: algorithm, hex: hex), nil)
    }
}
