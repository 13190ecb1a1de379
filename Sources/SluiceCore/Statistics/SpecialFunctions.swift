#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The special functions the drift tests need, accurate to about 1e-14 relative.
public enum SpecialFunctions {
    /// The regularized upper incomplete gamma function Q(a, x) = Γ(a, x) / Γ(a): the survival
    /// function of a gamma distribution, and so of chi-square (`Q(k/2, x/2)`).
    public static func regularizedUpperGamma(_ a: Double, _ x: Double) -> Double {
        guard a > 0, x >= 0, !x.isNaN else { return .nan }
        if x == 0 { return 1 }
        if x.isInfinite { return 0 }
        if x < a + 1 {
            return max(0, 1 - lowerSeries(a, x))
        }
        return upperContinuedFraction(a, x)
    }

    /// The survival function of chi-square with `degrees` degrees of freedom.
    public static func chiSquareSurvival(_ statistic: Double, degrees: Int) -> Double {
        guard degrees > 0 else { return .nan }
        return regularizedUpperGamma(Double(degrees) / 2, statistic / 2)
    }

    /// P(a, x) by its series (for x < a + 1).
    private static func lowerSeries(_ a: Double, _ x: Double) -> Double {
        var term = 1 / a
        var sum = term
        var n = a
        for _ in 0..<10_000 {
            n += 1
            term *= x / n
            sum += term
            if abs(term) < abs(sum) * 1e-17 { break }
        }
        return sum * exp(-x + a * log(x) - lgamma(a))
    }

    /// Q(a, x) by Lentz's continued fraction (for x ≥ a + 1).
    private static func upperContinuedFraction(_ a: Double, _ x: Double) -> Double {
        let tiny = 1e-300
        var b = x + 1 - a
        var c = 1 / tiny
        var d = 1 / b
        var h = d
        for i in 1..<10_000 {
            let an = -Double(i) * (Double(i) - a)
            b += 2
            d = an * d + b
            if abs(d) < tiny { d = tiny }
            c = b + an / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            h *= delta
            if abs(delta - 1) < 1e-17 { break }
        }
        return exp(-x + a * log(x) - lgamma(a)) * h
    }
}
