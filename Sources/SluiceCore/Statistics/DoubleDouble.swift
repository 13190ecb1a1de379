#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An unevaluated sum `hi + lo` of two doubles (about 32 significant digits): the
/// arithmetic of the QD library that scipy's `smirnov` uses, so tail probabilities built
/// from products of many near-one factors keep their precision.
struct DoubleDouble {
    var hi: Double
    var lo: Double

    init(_ hi: Double, _ lo: Double = 0) {
        self.hi = hi
        self.lo = lo
    }

    var isFinite: Bool { hi.isFinite }
    var isZero: Bool { hi == 0 && lo == 0 }

    /// fl(a + b) and its rounding error, when |a| ≥ |b|.
    static func quickTwoSum(_ a: Double, _ b: Double) -> (Double, Double) {
        let s = a + b
        return (s, b - (s - a))
    }

    /// fl(a + b) and its rounding error.
    static func twoSum(_ a: Double, _ b: Double) -> (Double, Double) {
        let s = a + b
        let c = s - a
        return (s, (a - (s - c)) + (b - c))
    }

    /// fl(a · b) and its rounding error (exact through a fused multiply-add).
    static func twoProduct(_ a: Double, _ b: Double) -> (Double, Double) {
        let p = a * b
        return (p, (-p).addingProduct(a, b))
    }

    static prefix func - (x: DoubleDouble) -> DoubleDouble { DoubleDouble(-x.hi, -x.lo) }

    static func + (lhs: DoubleDouble, rhs: DoubleDouble) -> DoubleDouble {
        var (s1, s2) = twoSum(lhs.hi, rhs.hi)
        let (t1, t2) = twoSum(lhs.lo, rhs.lo)
        s2 += t1
        (s1, s2) = quickTwoSum(s1, s2)
        s2 += t2
        (s1, s2) = quickTwoSum(s1, s2)
        return DoubleDouble(s1, s2)
    }

    static func + (lhs: DoubleDouble, rhs: Double) -> DoubleDouble {
        var (s1, s2) = twoSum(lhs.hi, rhs)
        s2 += lhs.lo
        (s1, s2) = quickTwoSum(s1, s2)
        return DoubleDouble(s1, s2)
    }

    static func - (lhs: DoubleDouble, rhs: DoubleDouble) -> DoubleDouble { lhs + (-rhs) }
    static func - (lhs: DoubleDouble, rhs: Double) -> DoubleDouble { lhs + (-rhs) }

    static func * (lhs: DoubleDouble, rhs: DoubleDouble) -> DoubleDouble {
        var (p1, p2) = twoProduct(lhs.hi, rhs.hi)
        p2 += lhs.hi * rhs.lo + lhs.lo * rhs.hi
        (p1, p2) = quickTwoSum(p1, p2)
        return DoubleDouble(p1, p2)
    }

    static func * (lhs: DoubleDouble, rhs: Double) -> DoubleDouble {
        let (p1, e1) = twoProduct(lhs.hi, rhs)
        let (p2, e2) = twoProduct(lhs.lo, rhs)
        let (s, e) = quickTwoSum(p1, e2 + p2 + e1)
        return DoubleDouble(s, e)
    }

    static func * (lhs: Double, rhs: DoubleDouble) -> DoubleDouble { rhs * lhs }

    static func / (lhs: DoubleDouble, rhs: DoubleDouble) -> DoubleDouble {
        let q1 = lhs.hi / rhs.hi
        var r = lhs - rhs * q1
        let q2 = r.hi / rhs.hi
        r = r - rhs * q2
        let q3 = r.hi / rhs.hi
        let (s, e) = quickTwoSum(q1, q2)
        return DoubleDouble(s, e) + q3
    }

    static func / (lhs: DoubleDouble, rhs: Double) -> DoubleDouble { lhs / DoubleDouble(rhs) }

    /// The largest integer not above the value.
    func floor() -> DoubleDouble {
        let high = hi.rounded(.down)
        guard high == hi else { return DoubleDouble(high) }
        let (s, e) = Self.quickTwoSum(high, lo.rounded(.down))
        return DoubleDouble(s, e)
    }

    /// The value times 2^exponent.
    func scaled(by exponent: Int) -> DoubleDouble {
        DoubleDouble(scalbn(hi, exponent), scalbn(lo, exponent))
    }

    /// (m, e) with value = m · 2^e and 0.5 ≤ |m.hi| < 1 (or |m.hi| = 1 with lo of the other sign).
    func frexp() -> (DoubleDouble, Int) {
        var (mantissa, exponent) = frexpDouble(hi)
        var low = scalbn(lo, -exponent)
        if abs(mantissa) == 0.5, mantissa * low < 0 {
            mantissa *= 2
            low *= 2
            exponent -= 1
        }
        return (DoubleDouble(mantissa, low), exponent)
    }
}

/// C's frexp on a double: (m, e) with x = m · 2^e and 0.5 ≤ |m| < 1.
func frexpDouble(_ x: Double) -> (Double, Int) {
    var exponent: Int32 = 0
    let mantissa = frexp(x, &exponent)
    return (mantissa, Int(exponent))
}
