import Crypto

/// Comparison of secrets (bearer tokens, webhook tokens) that a caller cannot time.
public enum SecretComparison {
    /// Whether `given` equals `secret`, in time independent of where they differ and of
    /// their lengths: both are hashed with SHA-256 and the digests are compared by
    /// swift-crypto, in constant time.
    public static func equal(_ given: [UInt8], _ secret: [UInt8]) -> Bool {
        let lhs = SHA256.hash(data: given)
        let rhs = SHA256.hash(data: secret)
        return lhs == rhs
    }
}
