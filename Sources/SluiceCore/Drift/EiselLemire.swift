/// Decimal to binary64 by the Eisel–Lemire algorithm (D. Lemire, "Number Parsing at a
/// Gigabyte per Second", 2021; as in Go's `strconv`): one or two 64×64-bit products with a
/// 128-bit approximation of the power of ten. When it answers, the answer is the correctly
/// rounded double; when the product cannot decide the rounding (about one input in ten
/// thousand, mostly halfway cases) or the result is subnormal or out of range, it answers
/// nil and the caller uses an exact method.
///
/// `sluice drift` reads millions of 17-digit numbers, where Clinger's fast path does not apply
/// and `strtod` took 72% of the command's time (Benchmarks/README.md).
enum EiselLemire {
    /// The value `mantissa × 10^exponent10`, negated when `negative`, if decidable here.
    static func double(mantissa: UInt64, exponent10: Int, negative: Bool) -> Double? {
        if mantissa == 0 { return negative ? -0.0 : 0.0 }
        guard PowersOfTen128.exponents.contains(exponent10) else { return nil }
        let power = PowersOfTen128.table[exponent10 - PowersOfTen128.exponents.lowerBound]
        let leading = mantissa.leadingZeroBitCount
        let normalized = mantissa << leading
        // floor(exponent10 × log2(10)) + 64 + the exponent bias, less the normalizing shift.
        var exponent2 = ((217_706 * exponent10) >> 16) + 64 + 1023 - leading
        var (high, low) = normalized.multipliedFullWidth(by: power.high)
        // The low word of the power matters only when the product's cut-off bits are all ones.
        if high & 0x1FF == 0x1FF, low &+ normalized < normalized {
            let (carryHigh, carryLow) = normalized.multipliedFullWidth(by: power.low)
            var mergedHigh = high
            let mergedLow = low &+ carryHigh
            if mergedLow < low { mergedHigh &+= 1 }
            if mergedHigh & 0x1FF == 0x1FF, mergedLow &+ 1 == 0, carryLow &+ normalized < normalized { return nil }
            high = mergedHigh
            low = mergedLow
        }
        let top = high >> 63
        var significand = high >> (top + 9)
        exponent2 -= Int(1 ^ top)
        // Exactly halfway between two doubles as far as 128 bits can tell: undecided.
        if low == 0, high & 0x1FF == 0, significand & 3 == 1 { return nil }
        significand += significand & 1
        significand >>= 1
        if significand >> 53 > 0 {
            significand >>= 1
            exponent2 += 1
        }
        // Subnormal (0 and below) and infinite (0x7FF and above) results go the exact way.
        guard exponent2 >= 1, exponent2 < 0x7FF else { return nil }
        let sign: UInt64 = negative ? 1 << 63 : 0
        return Double(bitPattern: sign | UInt64(exponent2) << 52 | significand & 0x000F_FFFF_FFFF_FFFF)
    }
}
