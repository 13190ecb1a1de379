#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The one-sided Smirnov distribution, scipy's `special.smirnov` (cephes, in double-double
/// arithmetic): the exact Birnbaum–Tingey sum, from whichever end needs fewer terms.
extension KolmogorovSmirnov {
    /// P(D⁺ₙ ≥ d) for the one-sided one-sample statistic D⁺ₙ.
    static func smirnovSurvival(n: Int, d x: Double) -> Double {
        guard n > 0, x >= 0, x <= 1 else { return .nan }
        if n == 1 { return 1 - x }
        if x == 0 { return 1 }
        if x == 1 { return 0 }

        // floor(n·x) and its remainder, exactly.
        let nxD = DoubleDouble(Double(n)) * x
        let nxFloorD = nxD.floor()
        var alpha = (nxD - nxFloorD).hi
        var nxFloor = Int(nxFloorD.hi)
        if alpha == 1 {
            nxFloor += 1
            alpha = 0
        }
        var lowerLast = n - nxFloor - (alpha == 0 ? 0 : 1)
        var upperFirst = n - nxFloor
        // With no remainder the last term belongs to neither sum.
        if alpha == 0 {
            lowerLast -= 1
            upperFirst += 1
        }

        if nxFloor == 0 || (nxFloor == 1 && alpha == 0) {  // x ≤ 1/n
            return 1 - x * power(DoubleDouble(1) + x, n - 1).hi
        }
        if Double(-2 * n) * x * x < minimumLog { return 0 }
        if nxFloor >= n - 1 { return power(DoubleDouble(1) - x, n).hi }  // x ≥ 1 − 1/n
        if n > 1_000_000 {
            // Too many terms: p ≈ exp(−(6nx + 1)² / 18n).
            let logP = -pow(6.0 * Double(n) * x + 1, 2) / 18.0 / Double(n)
            return logP < -M_LN2 ? exp(logP) : 1 - (-expm1(logP))
        }

        let upperTerms = n - upperFirst + 1
        let useUpperSum = (upperTerms <= 1 && x < 0.5) || (n >= 10 && upperTerms <= 3 && x <= 0.5 / Double(n).squareRoot())
        var start = 0
        var step = 1
        var termCount = lowerLast + 1
        var term: DoubleDouble
        if useUpperSum {
            start = n
            step = -1
            termCount = n - upperFirst + 1
            term = power(DoubleDouble(1) + x, n - 1)
        } else {
            term = power(DoubleDouble(1) - x, n) / x
        }
        var sum = DoubleDouble(0) + term
        var binomial = (mantissa: DoubleDouble(1), exponent: 0)
        nextBinomial(&binomial, n: n, j: 0)
        var j = 1
        while j < termCount {
            let v = start + j * step
            // C(n, v) (1 − x − v/n)^(n−v) (x + v/n)^(v−1)
            let (t2, t2Exponent) = scaledPower(DoubleDouble(Double(n - v)) / Double(n) - x, n - v)
            let (t1, t1Exponent) = scaledPower(DoubleDouble(Double(v)) / Double(n) + x, v - 1)
            term = (t1 * t2 * binomial.mantissa).scaled(by: binomial.exponent + t1Exponent + t2Exponent)
            if term.isFinite, !term.isZero { sum = sum + term }
            if !term.isZero {
                if 4 * Double(termCount - j) * abs(term.hi) < Double.ulpOfOne * sum.hi, j != termCount - 1 { break }
            } else if j > n / 2 {
                break
            }
            nextBinomial(&binomial, n: n, j: j)
            j += 1
        }
        let probability = (sum * x).hi
        return min(max(step < 0 ? 1 - probability : probability, 0), 1)
    }

    /// log(2^−1075): exp of anything below is 0.
    private static let minimumLog = -7.451332191019412076235245305675398106812e2
    /// Keeps both halves of a scaled power normal.
    private static let maximumScaledExponent = 960

    /// C(n, j+1) from C(n, j), as a mantissa and a separate exponent (it overflows doubles).
    private static func nextBinomial(_ binomial: inout (mantissa: DoubleDouble, exponent: Int), n: Int, j: Int) {
        let ratio = DoubleDouble(Double(n - j)) / (Double(j) + 1)
        let (mantissa, exponent) = (binomial.mantissa * ratio).frexp()
        binomial = (mantissa, binomial.exponent + exponent)
    }

    /// a^m, from pow on the high part and a first-order correction for the low part.
    static func power(_ a: DoubleDouble, _ m: Int) -> DoubleDouble {
        if m <= 0 { return m == 0 ? DoubleDouble(1) : DoubleDouble(1) / power(a, -m) }
        if a.hi == 0, a.lo == 0 { return DoubleDouble(0) }
        let result = pow(a.hi, Double(m))
        let r = a.lo / a.hi
        var adjustment = Double(m) * r
        if abs(adjustment) > 1e-8 {
            adjustment = abs(adjustment) < 1e-4
                ? adjustment + (Double(m) * r) * (Double(m - 1) / 2.0 * r)
                : expm1(Double(m) * log1p(r))
        }
        return DoubleDouble(result) + result * adjustment
    }

    /// a^m as (significand, exponent), split into pieces so no intermediate underflows.
    private static func scaledPower(_ a: DoubleDouble, _ m: Int) -> (DoubleDouble, Int) {
        if m <= 0 {
            if m == 0 { return (DoubleDouble(1), 0) }
            let (inverse, e1) = scaledPower(a, -m)
            let (result, e2) = (DoubleDouble(1) / inverse).frexp()
            return (result, -e1 + e2)
        }
        let (y, yExponent) = a.frexp()
        if m == 1 { return (y, yExponent) }
        var maximumExponent = maximumScaledExponent
        if Double(m) * (y.hi - 1) / y.hi < -Double(maximumScaledExponent) * M_LN2 {
            let log2y = log(y.hi) / M_LN2
            if Double(m) * log2y <= -Double(maximumScaledExponent) {
                maximumExponent = Int(nextPowerOf2(-Double(maximumScaledExponent) / log2y + 1) / 2)
            }
        }
        if m <= maximumExponent {
            let (result, exponent) = power(y, m).frexp()
            return (result, exponent + m * yExponent)
        }
        let (yr, yrExponent) = scaledPower(y, m % maximumExponent)
        let (ym, ymExponent) = scaledPower(y, maximumExponent)
        let (ymq, ymqExponent) = scaledPower(ym, m / maximumExponent)
        let (result, exponent) = (yr * ymq).frexp()
        return (result, exponent + ymqExponent + ymExponent * (m / maximumExponent) + yrExponent + m * yExponent)
    }

    /// cephes' `nextPowerOf2` (x plus a 2^−52 scaled copy of itself), kept as written so
    /// the split of the power matches scipy's.
    private static func nextPowerOf2(_ x: Double) -> Double {
        let sum = abs(scalbn(x, -52) + x)
        return sum == 0 ? abs(x) : sum
    }
}
