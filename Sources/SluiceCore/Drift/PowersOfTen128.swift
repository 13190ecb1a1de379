/// 128-bit approximations of the powers of ten 10^-348 … 10^347 for ``EiselLemire``:
/// each is the power's top 128 bits, normalized (the highest bit set) and rounded down.
///
/// Built once, exactly, from big integers (about 700 products and quotients by ten) rather
/// than pasted as a 1,400-number table; `PowersOfTen128Tests` pins entries against values
/// computed independently with Python's integers.
enum PowersOfTen128 {
    /// The decimal exponents covered.
    static let exponents = -348...347

    /// `(high, low)` words of each power, from 10^-348 up.
    static let table: [(high: UInt64, low: UInt64)] = {
        var entries: [(high: UInt64, low: UInt64)] = []
        entries.reserveCapacity(exponents.count)
        // 10^-n rounded down is floor(2^1400 / 10^n) shifted: a floor of a floor by integers is
        // the floor of the whole quotient, and 2^1400 / 10^348 still has over 128 bits.
        var reciprocal = BigNatural(powerOfTwo: 1400)
        var negative: [(high: UInt64, low: UInt64)] = []
        for _ in 1...(-exponents.lowerBound) {
            reciprocal.divide(by: 10)
            negative.append(reciprocal.top128)
        }
        entries.append(contentsOf: negative.reversed())
        var power = BigNatural(powerOfTwo: 0)
        for _ in 0...exponents.upperBound {
            entries.append(power.top128)
            power.multiply(by: 10)
        }
        return entries
    }()
}

/// A natural number as 32-bit limbs, least significant first: just enough arithmetic to
/// build ``PowersOfTen128``.
private struct BigNatural {
    var limbs: [UInt32]

    init(powerOfTwo exponent: Int) {
        limbs = [UInt32](repeating: 0, count: exponent / 32 + 1)
        limbs[exponent / 32] = 1 << UInt32(exponent % 32)
    }

    mutating func multiply(by factor: UInt32) {
        var carry: UInt64 = 0
        for index in limbs.indices {
            let product = UInt64(limbs[index]) * UInt64(factor) + carry
            limbs[index] = UInt32(truncatingIfNeeded: product)
            carry = product >> 32
        }
        if carry > 0 { limbs.append(UInt32(carry)) }
    }

    /// Floor division.
    mutating func divide(by divisor: UInt32) {
        var remainder: UInt64 = 0
        for index in limbs.indices.reversed() {
            let dividend = remainder << 32 | UInt64(limbs[index])
            limbs[index] = UInt32(dividend / UInt64(divisor))
            remainder = dividend % UInt64(divisor)
        }
        while limbs.count > 1, limbs.last == 0 { limbs.removeLast() }
    }

    private var bitLength: Int {
        guard let last = limbs.last, last != 0 || limbs.count > 1 else { return 0 }
        return (limbs.count - 1) * 32 + (32 - last.leadingZeroBitCount)
    }

    private func bit(_ index: Int) -> UInt64 {
        guard index >= 0, index / 32 < limbs.count else { return 0 }
        return UInt64(limbs[index / 32] >> UInt32(index % 32) & 1)
    }

    /// The highest 128 bits, the top one set: shifted left when shorter, truncated when longer.
    var top128: (high: UInt64, low: UInt64) {
        let lowest = bitLength - 128
        var high: UInt64 = 0
        var low: UInt64 = 0
        for offset in 0..<64 {
            low |= bit(lowest + offset) << UInt64(offset)
            high |= bit(lowest + 64 + offset) << UInt64(offset)
        }
        return (high, low)
    }
}
