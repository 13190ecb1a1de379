import Atomics

/// Cheap random numbers for routing decisions (splitmix64 over a counter
/// seeded once from the system generator). `UInt64.random(in:)` asks the kernel every
/// time (one getrandom call), which the gateway cannot afford several times per request.
/// Not for secrets, nor for request ids: its state can be recovered from one output
/// (``RequestID`` draws from the system CSPRNG).
enum FastRandom {
    /// The counter: one atomic add per draw (a lock cost ~50 instructions, several per request).
    private static let state = ManagedAtomic<UInt64>(UInt64.random(in: .min ... .max))

    /// 64 uniformly distributed bits.
    static func next() -> UInt64 {
        var z = state.wrappingIncrementThenLoad(by: 0x9e37_79b9_7f4a_7c15, ordering: .relaxed)
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }

    /// A uniformly distributed value in [0, 100).
    static func percent() -> Double {
        Double(next() >> 11) / Double(UInt64(1) << 53) * 100
    }
}
