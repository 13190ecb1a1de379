/// Constant-time comparison of secrets (tokens). The MACs themselves come from swift-crypto.
public enum HMACSHA256 {
    /// Compares two byte strings in time independent of where they differ.
    public static func constantTimeEqual(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        guard lhs.count == rhs.count else { return false }
        var difference: UInt8 = 0
        for index in 0..<lhs.count { difference |= lhs[index] ^ rhs[index] }
        return difference == 0
    }
}
