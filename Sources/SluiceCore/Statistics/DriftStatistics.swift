#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Distribution-shift statistics, each with its comparator and range:
///
/// | statistic | range | drift when |
/// | --- | --- | --- |
/// | PSI | 0…∞ | ≥ threshold (0.1 moderate, 0.2 significant, by convention) |
/// | chi-square p-value | 0…1 | ≤ α |
/// | Jensen–Shannon distance | 0…1 (base 2), 0…√ln 2 (base e) | ≥ threshold |
/// | Hellinger distance | 0…1 | ≥ threshold |
/// | normalized Wasserstein | 0…∞ (in reference standard deviations) | ≥ threshold |
///
/// Conventions follow numpy and scipy so results can be checked against them: linear
/// quantiles (numpy's default), histogram bins closed on the left except the last, scipy's
/// `jensenshannon`, `wasserstein_distance`, `chi2_contingency(correction=False)`,
/// `chisquare` and `false_discovery_control`.
public enum DriftStatistics {
    /// The default probability used for an empty bin, so a log ratio stays finite.
    public static let defaultEpsilon = 1e-4

    // MARK: - Binning

    /// Bin edges at the reference's quantiles 0, 1/bins, …, 1 (linear interpolation,
    /// numpy's default), with repeated edges removed. NaNs are ignored.
    ///
    /// The order statistics come from buckets (`BucketedSamples`) without sorting the
    /// reference, the same bits as from a sorted copy; constant or non-finite data is sorted.
    public static func quantileEdges(reference: [Double], bins: Int = 10) -> [Double] {
        quantileEdges(withoutNaNs: withoutNaNs(reference), bins: bins)
    }

    /// `quantileEdges(reference:bins:)` of values known to hold no NaN.
    static func quantileEdges(withoutNaNs values: [Double], bins: Int) -> [Double] {
        guard !values.isEmpty, bins > 0 else { return [] }
        let count = values.count
        let positions = (0...bins).map { Double(count - 1) * (Double($0) / Double(bins)) }
        var ranks: [Int] = []
        for position in positions {
            let lower = Int(position.rounded(.down))
            ranks += [lower, min(lower + 1, count - 1)]
        }
        let bucketed = values.withUnsafeBufferPointer { BucketedSamples.orderStatistics($0, ranks: ranks) }
        let statistics: [Double]
        if let bucketed {
            statistics = bucketed
        } else {
            let sorted = values.sorted()
            statistics = ranks.map { sorted[$0] }
        }
        var edges: [Double] = []
        for (index, position) in positions.enumerated() {
            let edge = interpolate(statistics[2 * index], statistics[2 * index + 1], position - Double(ranks[2 * index]))
            if edges.last != edge { edges.append(edge) }
        }
        return edges
    }

    /// The linear-interpolation quantile (numpy's default) of sorted values.
    public static func quantile(sorted: [Double], _ q: Double) -> Double {
        let position = Double(sorted.count - 1) * q
        let lower = Int(position.rounded(.down))
        let upper = min(lower + 1, sorted.count - 1)
        return interpolate(sorted[lower], sorted[upper], position - Double(lower))
    }

    /// numpy's lerp from `lower` to `upper` at t (0…1): from the nearer end, so edges match
    /// numpy to the last bit.
    static func interpolate(_ lower: Double, _ upper: Double, _ t: Double) -> Double {
        let difference = upper - lower
        return t >= 0.5 ? upper - difference * (1 - t) : lower + difference * t
    }

    /// `values` without its NaNs (the same array, uncopied, when it has none).
    static func withoutNaNs(_ values: [Double]) -> [Double] {
        nanCount(values) == 0 ? values : values.filter { !$0.isNaN }
    }

    /// How many values are NaN, four at a time (x ≠ x only for NaN).
    static func nanCount(_ values: [Double]) -> Int {
        values.withUnsafeBufferPointer { values in
            guard let base = values.baseAddress else { return 0 }
            var lanes = SIMD4<Int64>()
            var index = 0
            while index + 4 <= values.count {
                let x = UnsafeRawPointer(base + index).loadUnaligned(as: SIMD4<Double>.self)
                lanes &-= unsafeBitCast(x .!= x, to: SIMD4<Int64>.self)  // true lanes are −1
                index += 4
            }
            var count = Int(lanes.wrappedSum())
            while index < values.count {
                if values[index].isNaN { count += 1 }
                index += 1
            }
            return count
        }
    }

    /// Counts per bin: an underflow bin (below the first edge), the bins between edges
    /// (closed on the left; the last also on the right), and an overflow bin. A single edge
    /// (a constant reference) gives three bins: below, equal to, and above it.
    ///
    /// Values are binned through buckets (`BucketedSamples`, a table from bucket to bin)
    /// when the edges are sorted; otherwise, or for non-finite data, one by one.
    public static func histogram(_ values: [Double], edges: [Double]) -> [Int] {
        guard edges.count >= 1 else { return [values.count] }
        let bucketed = { (values: [Double]) in values.withUnsafeBufferPointer { BucketedSamples.histogram($0, edges: edges) } }
        if let counts = bucketed(values) { return counts }
        // A NaN or ±∞ stops the buckets: without NaNs (if there were any), try again.
        let finite = withoutNaNs(values)
        if finite.count < values.count, let counts = bucketed(finite) { return counts }
        var counts = [Int](repeating: 0, count: edges.count == 1 ? 3 : edges.count + 1)
        for value in finite { counts[bin(value, edges: edges)] += 1 }
        return counts
    }

    /// The index in `histogram`'s counts of one value (not NaN), for at least one edge.
    static func bin(_ value: Double, edges: [Double]) -> Int {
        if value < edges[0] { return 0 }
        if value > edges[edges.count - 1] { return edges.count == 1 ? 2 : edges.count }
        if edges.count == 1 { return 1 }
        // The last edge belongs to the last inner bin.
        var low = 0
        var high = edges.count - 1
        while high - low > 1 {
            let middle = (low + high) / 2
            if value >= edges[middle] { low = middle } else { high = middle }
        }
        return 1 + low
    }

    /// Proportions of `counts`, an empty bin counted as `epsilon`.
    public static func proportions(_ counts: [Int], epsilon: Double = defaultEpsilon) -> [Double] {
        let total = Double(counts.reduce(0, +))
        return counts.map { total == 0 || $0 == 0 ? epsilon : Double($0) / total }
    }

    // MARK: - PSI

    /// The population stability index between expected and actual proportions:
    /// Σ (actual − expected) · ln(actual / expected).
    public static func psi(expected: [Double], actual: [Double]) -> Double {
        zip(expected, actual).reduce(0) { sum, pair in sum + (pair.1 - pair.0) * log(pair.1 / pair.0) }
    }

    /// PSI with bins frozen from the reference: `bins` quantile bins plus under- and
    /// overflow, empty bins counted as `epsilon`.
    public static func psi(reference: [Double], current: [Double], bins: Int = 10, epsilon: Double = defaultEpsilon) -> Double {
        let edges = quantileEdges(reference: reference, bins: bins)
        return psi(
            expected: proportions(histogram(reference, edges: edges), epsilon: epsilon),
            actual: proportions(histogram(current, edges: edges), epsilon: epsilon))
    }

    // MARK: - Distances between distributions

    /// The Jensen–Shannon distance (the square root of the divergence) in `base`
    /// (e by default, as scipy; 2 bounds it by 1). Inputs are normalized to sum to 1.
    public static func jensenShannonDistance(_ p: [Double], _ q: [Double], base: Double = M_E) -> Double {
        let pn = normalized(p)
        let qn = normalized(q)
        var divergence = 0.0
        for (a, b) in zip(pn, qn) {
            let m = (a + b) / 2
            if a > 0 { divergence += a * log(a / m) }
            if b > 0 { divergence += b * log(b / m) }
        }
        divergence /= 2 * log(base)
        return sqrt(max(0, divergence))
    }

    /// The Hellinger distance, sqrt(1 − Σ √(pᵢ qᵢ)), in 0…1. Inputs are normalized.
    public static func hellingerDistance(_ p: [Double], _ q: [Double]) -> Double {
        let coefficient = zip(normalized(p), normalized(q)).reduce(0) { $0 + sqrt($1.0 * $1.1) }
        return sqrt(max(0, 1 - coefficient))
    }

    /// The first Wasserstein distance between two samples (scipy's
    /// `wasserstein_distance`): the area between their empirical CDFs.
    public static func wasserstein(_ u: [Double], _ v: [Double]) -> Double {
        let us = u.sorted()
        let vs = v.sorted()
        guard !us.isEmpty, !vs.isEmpty else { return .nan }
        let all = (us + vs).sorted()
        var distance = 0.0
        var i = 0
        var j = 0
        for index in 0..<(all.count - 1) {
            let x = all[index]
            while i < us.count, us[i] <= x { i += 1 }
            while j < vs.count, vs[j] <= x { j += 1 }
            distance += abs(Double(i) / Double(us.count) - Double(j) / Double(vs.count)) * (all[index + 1] - x)
        }
        return distance
    }

    /// Wasserstein distance in units of the reference's standard deviation (population),
    /// so one threshold fits features of any scale; nil when the reference is constant.
    public static func normalizedWasserstein(reference: [Double], current: [Double]) -> Double? {
        let deviation = standardDeviation(reference)
        guard deviation > 0 else { return nil }
        return wasserstein(reference, current) / deviation
    }

    // MARK: - Chi-square

    /// A chi-square result.
    public struct ChiSquare: Sendable, Hashable {
        public var statistic: Double
        public var degreesOfFreedom: Int
        public var pValue: Double
    }

    /// Homogeneity of two samples of categories (a 2×k table, no continuity correction):
    /// do reference and current come from the same distribution? Categories absent from
    /// both are dropped; one absent from the reference only is kept (it is drift).
    public static func chiSquareHomogeneity(reference: [String: Int], current: [String: Int]) -> ChiSquare {
        let categories = Set(reference.keys).union(current.keys).sorted().filter { (reference[$0] ?? 0) + (current[$0] ?? 0) > 0 }
        let rows = [categories.map { Double(reference[$0] ?? 0) }, categories.map { Double(current[$0] ?? 0) }]
        let rowTotals = rows.map { $0.reduce(0, +) }
        let total = rowTotals.reduce(0, +)
        var statistic = 0.0
        for (column, _) in categories.enumerated() {
            let columnTotal = rows[0][column] + rows[1][column]
            for row in 0..<2 {
                let expected = rowTotals[row] * columnTotal / total
                if expected > 0 { statistic += pow(rows[row][column] - expected, 2) / expected }
            }
        }
        let degrees = max(categories.count - 1, 0)
        return ChiSquare(statistic: statistic, degreesOfFreedom: degrees,
                         pValue: degrees == 0 ? 1 : SpecialFunctions.chiSquareSurvival(statistic, degrees: degrees))
    }

    /// Goodness of fit of observed category counts to reference proportions. A category
    /// the reference never saw gets `epsilon` (then proportions are renormalized), so a new
    /// category is strong evidence of drift rather than an infinite statistic.
    public static func chiSquareGoodnessOfFit(observed: [String: Int], expected proportions: [String: Double], epsilon: Double = defaultEpsilon) -> ChiSquare {
        let categories = Set(observed.keys).union(proportions.keys).sorted()
        let total = Double(observed.values.reduce(0, +))
        let raw = categories.map { max(proportions[$0] ?? 0, epsilon) }
        let sum = raw.reduce(0, +)
        var statistic = 0.0
        for (index, category) in categories.enumerated() {
            let expected = total * raw[index] / sum
            statistic += pow(Double(observed[category] ?? 0) - expected, 2) / expected
        }
        let degrees = max(categories.count - 1, 0)
        return ChiSquare(statistic: statistic, degreesOfFreedom: degrees,
                         pValue: degrees == 0 ? 1 : SpecialFunctions.chiSquareSurvival(statistic, degrees: degrees))
    }

    // MARK: - Many features at once

    /// Bonferroni-adjusted p-values: each times the number of tests, capped at 1.
    public static func bonferroni(_ pValues: [Double]) -> [Double] {
        pValues.map { min(1, $0 * Double(pValues.count)) }
    }

    /// Benjamini–Hochberg adjusted p-values (false discovery rate), in the input order.
    public static func benjaminiHochberg(_ pValues: [Double]) -> [Double] {
        let count = pValues.count
        let order = pValues.indices.sorted { pValues[$0] < pValues[$1] }
        var adjusted = [Double](repeating: 1, count: count)
        var running = 1.0
        for rank in stride(from: count, through: 1, by: -1) {
            let index = order[rank - 1]
            running = min(running, pValues[index] * Double(count) / Double(rank))
            adjusted[index] = min(1, running)
        }
        return adjusted
    }

    // MARK: - Helpers

    static func normalized(_ values: [Double]) -> [Double] {
        let total = values.reduce(0, +)
        return total > 0 ? values.map { $0 / total } : values
    }

    static func standardDeviation(_ values: [Double]) -> Double {
        guard !values.isEmpty else { return 0 }
        let mean = values.reduce(0, +) / Double(values.count)
        return sqrt(values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count))
    }
}
