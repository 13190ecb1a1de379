import NIOConcurrencyHelpers

/// Cheap random numbers for routing decisions and request ids (splitmix64 over a counter
/// seeded once from the system generator). `UInt64.random(in:)` asks the kernel every
/// time (one getrandom call), which the gateway cannot afford several times per request.
/// Not for secrets.
enum FastRandom {
    private static let state = NIOLockedValueBox<UInt64>(UInt64.random(in: .min ... .max))

    /// 64 uniformly distributed bits.
    static func next() -> UInt64 {
        var z = state.withLockedValue { value -> UInt64 in
            value &+= 0x9e37_79b9_7f4a_7c15
            return value
        }
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }

    /// A uniformly distributed value in [0, 100).
    static func percent() -> Double {
        Double(next() >> 11) / Double(UInt64(1) << 53) * 100
    }

    /// 32 lowercase hex digits.
    static func requestID() -> String {
        let digits = Array("0123456789abcdef".utf8)
        var bytes = [UInt8](repeating: 0, count: 32)
        var high = next()
        var low = next()
        for index in 0..<16 {
            bytes[15 - index] = digits[Int(high & 0xF)]
            bytes[31 - index] = digits[Int(low & 0xF)]
            high >>= 4
            low >>= 4
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
