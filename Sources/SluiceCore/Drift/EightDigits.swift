/// Reading eight ASCII digits as one number with a few 64-bit operations (SWAR, as in
/// Lemire's fast_float): the digit loop of 17-digit numbers was a quarter of `sluice drift`.
enum EightDigits {
    /// The number the eight bytes at `index` spell, or nil when one is not a digit.
    /// The caller guarantees eight readable bytes.
    @inline(__always)
    static func value(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> UInt64? {
        // Bytes are loaded little-endian: the first digit is the lowest byte.
        let word = UInt64(littleEndian: UnsafeRawPointer(bytes.baseAddress! + index).loadUnaligned(as: UInt64.self))
        // Every byte is 0x30…0x39: its high nibble is 3, and adding 6 keeps it 3.
        let high = word & 0xF0F0_F0F0_F0F0_F0F0
        let carried = (word &+ 0x0606_0606_0606_0606) & 0xF0F0_F0F0_F0F0_F0F0
        guard high | carried >> 4 == 0x3333_3333_3333_3333 else { return nil }
        var value = word & 0x0F0F_0F0F_0F0F_0F0F
        value = (value &* (10 << 8 + 1)) >> 8  // pairs: 10 × first + second
        value = ((value & 0x00FF_00FF_00FF_00FF) &* (100 << 16 + 1)) >> 16  // fours
        return ((value & 0x0000_FFFF_0000_FFFF) &* (10_000 << 32 + 1)) >> 32  // eight
    }
}
