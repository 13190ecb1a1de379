#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The one-sided Smirnov distribution, scipy's `special.smirnov` (cephes, in double-double
/// arithmetic): the exact Birnbaum–Tingey sum, from whichever end needs fewer terms.
extension KolmogorovSmirnov {
    /// P(D⁺ₙ ≥ d) for the one-sided one-sample statistic D⁺ₙ; `coarse` allows the sampled
    /// sum (`coarseLowerSum`) where it is accurate, false always sums every term as scipy.
    static func smirnovSurvival(n: Int, d x: Double, coarse: Bool = true) -> Double {
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
        if coarse, !useUpperSum, let sum = coarseLowerSum(n: n, x: x, termCount: lowerLast + 1) {
            return min(max((sum * x).hi, 0), 1)
        }
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

    /// Σ A_j over j = 0..<termCount (A_j = C(n, j) (1 − x − j/n)^(n−j) (x + j/n)^(j−1)) from
    /// every h-th term times h, or nil when that would not be accurate. The terms form a
    /// smooth bell of width σ in j (hundreds to thousands for large n), negligible at both
    /// ends of the range, and for such a function the sum over a lattice of step h ≤ σ/16
    /// equals the unit-step sum to within exp(−2π²·256), far below rounding: the trapezoid
    /// rule's exponential accuracy (Poisson summation). Each sampled term is computed as
    /// scipy computes it, in double-double, so the result matches the full sum to ~1e-12
    /// relative while evaluating a few hundred powers instead of up to n.
    static func coarseLowerSum(n: Int, x: Double, termCount: Int) -> DoubleDouble? {
        guard termCount > 4_096 else { return nil }
        let nd = Double(n)
        // d/dj and d²/dj² of log A_j (log C(n, j) by Stirling), for the peak and its width.
        func slope(_ j: Double) -> Double {
            let t2 = 1 - x - j / nd
            let t1 = x + j / nd
            return log((nd - j + 0.5) / (j + 0.5)) - log(t2) - (nd - j) / (nd * t2) + log(t1) + (j - 1) / (nd * t1)
        }
        func curvature(_ j: Double) -> Double {
            let t2 = 1 - x - j / nd
            let t1 = x + j / nd
            return -1 / (nd - j + 0.5) - 1 / (j + 0.5) + 2 / (nd * t2) - (nd - j) / (nd * nd * t2 * t2)
                + 2 / (nd * t1) - (j - 1) / (nd * nd * t1 * t1)
        }
        var low = 1.0
        var high = Double(termCount - 1)
        // Near the end of the range 1 − x − j/n rounds to 0 and the slope is NaN: past the peak.
        guard slope(low) > 0, !(slope(high) > 0) else { return nil }
        for _ in 0..<100 where high - low > 0.5 {
            let middle = (low + high) / 2
            if slope(middle) > 0 { low = middle } else { high = middle }
        }
        let peak = Int(low.rounded())
        let bend = curvature(Double(peak))
        guard bend < 0 else { return nil }
        let width = 1 / (-bend).squareRoot()
        let step = Int(width / 16)
        guard step >= 4 else { return nil }
        // Sample from 14σ below the peak (a bell there is below e^−98), or from the lattice
        // point nearest j = 0, to where terms vanish.
        let first = peak - (min(Int(14 * width), peak) / step) * step

        // C(n, j) as numerator / denominator products, each with its own binary exponent.
        var numerator = (DoubleDouble(1), 0)
        var denominator = (DoubleDouble(1), 0)
        func advance(from j: Int, to target: Int) {
            var i = j
            while i < target {
                let end = min(target, i + 16)  // 16 factors below 2^53 each cannot overflow
                // Two factors at once while their product is an exact double (n < 2^26).
                while i + 1 < end, n < 1 << 26 {
                    numerator.0 = numerator.0 * Double((n - i) * (n - i - 1))
                    denominator.0 = denominator.0 * Double((i + 1) * (i + 2))
                    i += 2
                }
                while i < end {
                    numerator.0 = numerator.0 * Double(n - i)
                    denominator.0 = denominator.0 * Double(i + 1)
                    i += 1
                }
                let (nm, ne) = numerator.0.frexp()
                let (dm, de) = denominator.0.frexp()
                numerator = (nm, numerator.1 + ne)
                denominator = (dm, denominator.1 + de)
            }
        }
        func term(_ v: Int) -> DoubleDouble {
            let (t2, t2Exponent) = scaledPower(DoubleDouble(Double(n - v)) / nd - x, n - v)
            let (t1, t1Exponent) = scaledPower(DoubleDouble(Double(v)) / nd + x, v - 1)
            let binomial = numerator.0 / denominator.0
            return (t1 * t2 * binomial).scaled(by: numerator.1 - denominator.1 + t1Exponent + t2Exponent)
        }
        advance(from: 0, to: first)
        let edge = term(first)
        var sum = edge
        var largest = edge.hi
        var j = first
        while j + step < termCount {
            advance(from: j, to: j + step)
            j += step
            let a = term(j)
            guard a.isFinite else { return nil }
            sum = sum + a
            largest = max(largest, a.hi)
            if j > peak, a.hi * 1e30 < sum.hi { break }
        }
        // The bell must have died out at both ends of the sampled range.
        guard largest > 0, edge.hi * 1e30 < largest, j + step < termCount else { return nil }
        return sum * Double(step)
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
