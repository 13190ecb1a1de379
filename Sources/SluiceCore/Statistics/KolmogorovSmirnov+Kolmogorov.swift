#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The two-sided one-sample Kolmogorov distribution, scipy's `stats.kstwo` (`_ksstats.py`):
/// Simard and L'Ecuyer's choice between exact and approximate methods by n and n·d².
extension KolmogorovSmirnov {
    /// P(Dₙ ≥ d) for the two-sided one-sample statistic Dₙ (scipy's `kstwo.sf(d, n)`).
    /// The asymptotic two-sample p-value is this with n = round(n₁n₂ / (n₁ + n₂)).
    public static func kolmogorovTwoSidedSurvival(d x: Double, n: Int) -> Double {
        guard n >= 1, !x.isNaN else { return .nan }
        if x >= 1 { return 0 }
        if x <= 0.5 / Double(n) { return 1 }  // below the support
        let t = Double(n) * x
        if t <= 1 {  // Ruben–Gambino: 1/2n ≤ x ≤ 1/n
            if t <= 0.5 { return 1 }
            return clip(1 - rubenGambinoCDF(n: n, t: t))
        }
        if t >= Double(n - 1) { return clip(2 * pow(1 - x, Double(n))) }
        if x >= 0.5 { return clip(2 * smirnovSurvival(n: n, d: x)) }
        let nxSquared = t * x
        if n <= 140 {
            if nxSquared <= 0.754693 { return clip(1 - durbinMatrixCDF(n: n, d: x)) }
            if nxSquared <= 4 { return clip(1 - pomeranzCDF(n: n, d: x)) }
            return clip(2 * smirnovSurvival(n: n, d: x))
        }
        if nxSquared >= 370 { return 0 }
        if nxSquared >= 2.2 { return clip(2 * smirnovSurvival(n: n, d: x)) }
        if n <= 100_000, Double(n) * pow(x, 1.5) <= 1.4 { return clip(1 - durbinMatrixCDF(n: n, d: x)) }
        return clip(1 - pelzGoodCDF(n: n, d: x))
    }

    static func clip(_ p: Double) -> Double { min(max(p, 0), 1) }

    /// n!/nⁿ · (2t − 1)ⁿ, the CDF for 1/2n ≤ d ≤ 1/n.
    private static func rubenGambinoCDF(n: Int, t: Double) -> Double {
        if n <= 140 {
            var product = 1.0
            for i in 1...n { product *= Double(i) * (1.0 / Double(n)) * (2 * t - 1) }
            return product
        }
        return exp(logFactorialOverPower(n) + Double(n) * log(2 * t - 1))
    }

    /// log(n!/nⁿ) by Stirling's series, with n·log n taken out first.
    private static func logFactorialOverPower(_ n: Int) -> Double {
        let stirling = [-2.955065359477124183e-2, 6.4102564102564102564e-3, -1.9175269175269175269e-3,
                        8.4175084175084175084e-4, -5.952380952380952381e-4, 7.9365079365079365079e-4,
                        -2.7777777777777777778e-3, 8.3333333333333333333e-2]
        let rn = 1.0 / Double(n)
        var series = 0.0
        for c in stirling { series = series * (rn / Double(n)) + c }
        return log(Double(n)) / 2 - Double(n) + log(2 * Double.pi) / 2 + rn * series
    }

    private static let scaleExponent = 128
    private static let scaleUp = 0x1p128
    private static let scaleDown = 0x1p-128

    /// Durbin's matrix method as Marsaglia, Tsang and Wang compute it: the k-th diagonal
    /// entry of Hⁿ (k = ⌈nd⌉), scaled by n!/nⁿ, with exponents kept apart.
    static func durbinMatrixCDF(n: Int, d: Double) -> Double {
        if d >= 1 { return 1 }
        let nd = Double(n) * d
        if nd <= 0.5 { return 0 }
        let k = Int(nd.rounded(.up))
        let h = Double(k) - nd
        let m = 2 * k - 1
        var v = (1...m).map { 1 - pow(h, Double($0)) }
        var w = [Double](repeating: 0, count: m)
        var factorial = 1.0
        for j in 1...m {
            w[j - 1] = factorial
            factorial /= Double(j)
            v[j - 1] *= factorial
        }
        v[m - 1] = (1 + (pow(max(2 * h - 1, 0), Double(m)) - 2 * pow(h, Double(m)))) * factorial
        var matrix = [Double](repeating: 0, count: m * m)
        for column in 1..<m {
            for row in (column - 1)..<m { matrix[row * m + column] = w[row - column + 1] }
        }
        for row in 0..<m { matrix[row * m] = v[row] }
        for column in 0..<m { matrix[(m - 1) * m + column] = v[m - 1 - column] }

        var result = [Double](repeating: 0, count: m * m)
        for i in 0..<m { result[i * m + i] = 1 }
        var remaining = n
        var exponent = 0
        var matrixExponent = 0
        while remaining > 0 {
            if remaining % 2 == 1 {
                result = multiply(result, matrix, m)
                exponent += matrixExponent
            }
            matrix = multiply(matrix, matrix, m)
            matrixExponent *= 2
            if abs(matrix[(k - 1) * m + k - 1]) > scaleUp {
                for i in matrix.indices { matrix[i] *= scaleDown }
                matrixExponent += scaleExponent
            }
            remaining /= 2
        }
        var p = result[(k - 1) * m + k - 1]
        for i in 1...n {
            p = Double(i) * p / Double(n)
            if abs(p) < scaleDown {
                p *= scaleUp
                exponent -= scaleExponent
            }
        }
        return clip(scalbn(p, exponent))
    }

    private static func multiply(_ a: [Double], _ b: [Double], _ m: Int) -> [Double] {
        var product = [Double](repeating: 0, count: m * m)
        for i in 0..<m {
            for l in 0..<m {
                let factor = a[i * m + l]
                if factor == 0 { continue }
                for j in 0..<m { product[i * m + j] += factor * b[l * m + j] }
            }
        }
        return product
    }

    /// Pomeranz's recursion: 2n + 1 rows, each the previous convolved with Poisson-like
    /// weights, only a short window of each row nonzero.
    static func pomeranzCDF(n: Int, d x: Double) -> Double {
        let t = Double(n) * x
        let ll = Int(t.rounded(.down))
        let f = t - Double(ll)
        let g = min(f, 1 - f)
        let ceilF = f > 0 ? 1 : 0
        let roundF = f > 0.5 ? 1 : 0
        let powerCount = 2 * (ll + 1)
        var gPower = [Double](repeating: 1, count: powerCount)
        var twoGPower = gPower
        var oneMinusTwoGPower = gPower
        for i in 1..<powerCount {
            gPower[i] = gPower[i - 1] * (g / Double(n)) / Double(i)
            twoGPower[i] = twoGPower[i - 1] * (2 * g / Double(n)) / Double(i)
            oneMinusTwoGPower[i] = oneMinusTwoGPower[i - 1] * ((1 - 2 * g) / Double(n)) / Double(i)
        }
        func window(_ i: Int) -> (Int, Int) {
            var j1: Int
            var j2: Int
            if i == 0 {
                (j1, j2) = (-ll - ceilF - 1, ll + ceilF - 1)
            } else {
                let (half, odd) = ((i + 1) / 2, (i + 1) % 2)
                if odd == 0 {
                    if half == n + 1 {
                        (j1, j2) = (n - ll - ceilF - 1, n + ll + ceilF - 1)
                    } else {
                        (j1, j2) = (half - 1 - ll - roundF - 1, half + ll - 1 + ceilF - 1)
                    }
                } else {
                    (j1, j2) = (half - 1 - ll - 1, half + ll + roundF - 1)
                }
            }
            return (max(j1 + 2, 0), min(j2, n))
        }
        var previous = [Double](repeating: 0, count: powerCount)
        var current = previous
        current[0] = 1
        var previousStart = 0
        var currentStart = 0
        var exponent = 0
        var (j1, j2) = window(0)
        for i in 1..<(2 * n + 2) {
            let k1 = j1
            swap(&previous, &current)
            swap(&previousStart, &currentStart)
            for index in current.indices { current[index] = 0 }
            (j1, j2) = window(i)
            let weights = i == 1 || i == 2 * n + 1 ? gPower : (i % 2 == 1 ? twoGPower : oneMinusTwoGPower)
            let length = j2 - k1 + 1
            guard length > 0 else { continue }
            // The full convolution of previous[k1 − start ..< +length] with weights[..<length],
            // entries j1 − k1 ..< j2 − k1 + 1 of it.
            let offset = k1 - previousStart
            for out in 0..<(j2 - j1 + 1) {
                let position = out + j1 - k1
                var sum = 0.0
                for a in max(0, position - length + 1)...min(position, length - 1) where offset + a < powerCount {
                    sum += previous[offset + a] * weights[position - a]
                }
                current[out] = sum
            }
            if let largest = current.max(), largest > 0, largest < scaleDown {
                for index in current.indices { current[index] *= scaleUp }
                exponent -= scaleExponent
            }
            currentStart = previousStart + j1 - k1
        }
        var answer = current[n - currentStart]
        for i in 1...n {
            if abs(answer) > scaleUp {
                answer *= scaleDown
                exponent += scaleExponent
            }
            answer *= Double(i)
        }
        return clip(scalbn(answer, exponent))
    }

    /// Pelz and Good's approximation of the CDF (Li-Chien and Korolyuk's expansion to
    /// n^(−3/2), through Jacobi theta functions so it converges for small d).
    static func pelzGoodCDF(n: Int, d x: Double) -> Double {
        if x <= 0 { return 0 }
        if x >= 1 { return 1 }
        let pi2 = Double.pi * Double.pi
        let pi4 = pi2 * pi2
        let pi6 = pi4 * pi2
        let z = Double(n).squareRoot() * x
        let z2 = z * z
        let z3 = z2 * z
        let z4 = z2 * z2
        let z6 = z4 * z2
        let qLog = -pi2 / 8 / z2
        if qLog < -708 { return 0 }
        var q = exp(qLog)
        let k1a = -z2
        let k1b = pi2 / 4
        let k2a = 6 * z6 + 2 * z4
        let k2b = (2 * z4 - 5 * z2) * pi2 / 4
        let k2c = pi4 * (1 - 2 * z2) / 16
        let k3d = pi6 * (5 - 30 * z2) / 64
        let k3c = pi4 * (-60 * z2 + 212 * z4) / 16
        let k3b = pi2 * (135 * z4 - 96 * z6) / 4
        let k3a = -30 * z6 - 90 * pow(z, 8)
        var terms = [0.0, 0.0, 0.0, 0.0]
        let maxK = Int((16 * z / Double.pi).rounded(.up))
        for k in stride(from: maxK, through: 1, by: -1) {
            let m = Double(2 * k - 1)
            let m2 = m * m
            let m4 = m2 * m2
            let m6 = m4 * m2
            let qPower = pow(q, Double(8 * k))
            let coefficients = [1.0, k1a + k1b * m2, k2a + k2b * m2 + k2c * m4, k3a + k3b * m2 + k3c * m4 + k3d * m6]
            for i in 0..<4 { terms[i] = terms[i] * qPower + coefficients[i] }
        }
        let sqrt2Pi = (2 * Double.pi).squareRoot()
        let divisors = [z, 6 * z4, 72 * pow(z, 7), 6480 * pow(z, 10)]
        for i in 0..<4 { terms[i] = terms[i] * q * sqrt2Pi / divisors[i] }

        q = exp(-pi2 / 2 / z2)
        var k2Extra = 0.0
        var k3Extra = 0.0
        let sqrt3z = 3.0.squareRoot() * z
        for k in stride(from: maxK, through: 1, by: -1) {
            let k2 = Double(k * k)
            let qPower = pow(q, k2)
            let kPi = Double.pi * Double(k)
            k2Extra += k2 * qPower
            k3Extra += (sqrt3z + kPi) * (sqrt3z - kPi) * k2 * qPower
        }
        terms[2] += k2Extra * (pi2 * sqrt2Pi / (-36 * z3))
        terms[3] += k3Extra * (pi2 * sqrt2Pi / (216 * z6))
        var sum = 0.0
        for i in 0..<4 { sum += terms[i] / pow(Double(n), Double(i) / 2) }
        return sum
    }
}
