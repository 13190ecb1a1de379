#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Numbers as distinct sorted values with weights: raw values (weight 1 each) or a
/// sketch's retained items, so one CDF walk serves both.
struct WeightedSample {
    /// Distinct values, ascending.
    var values: [Double] = []
    /// The weight of each value.
    var weights: [Double] = []
    /// The sum of the weights.
    var total = 0.0
    /// How far any CDF value may be off (a sketch's rank error), 0 when exact.
    var rankError = 0.0

    /// Raw values; NaN is dropped.
    init(sample: [Double]) {
        for value in sample.filter({ !$0.isNaN }).sorted() {
            append(value, weight: 1)
        }
    }

    /// A sketch's retained items (their weights sum to the sketch's count).
    init(sketch: QuantileSketch) {
        for (value, weight) in sketch.weightedValues() {
            append(value, weight: Double(weight))
        }
        rankError = sketch.isExact ? 0 : sketch.normalizedRankError
    }

    private mutating func append(_ value: Double, weight: Double) {
        if values.last == value {
            weights[weights.count - 1] += weight
        } else {
            values.append(value)
            weights.append(weight)
        }
        total += weight
    }

    /// The population standard deviation.
    var standardDeviation: Double {
        guard total > 0 else { return 0 }
        var mean = 0.0
        for (value, weight) in zip(values, weights) { mean += value * weight }
        mean /= total
        var squares = 0.0
        for (value, weight) in zip(values, weights) { squares += (value - mean) * (value - mean) * weight }
        return sqrt(squares / total)
    }

    /// The largest gap between the two CDFs (KS D) and the area between them (the first
    /// Wasserstein distance), in one walk over the union of values. Each CDF counts
    /// values ≤ x, as `KolmogorovSmirnov.statistic` and scipy's `wasserstein_distance`.
    static func distances(_ a: WeightedSample, _ b: WeightedSample) -> (ks: Double, wasserstein: Double) {
        guard a.total > 0, b.total > 0 else { return (.nan, .nan) }
        var i = 0
        var j = 0
        var cumulativeA = 0.0
        var cumulativeB = 0.0
        var largest = 0.0
        var area = 0.0
        while i < a.values.count || j < b.values.count {
            let x = min(i < a.values.count ? a.values[i] : .infinity, j < b.values.count ? b.values[j] : .infinity)
            if i < a.values.count, a.values[i] == x {
                cumulativeA += a.weights[i]
                i += 1
            }
            if j < b.values.count, b.values[j] == x {
                cumulativeB += b.weights[j]
                j += 1
            }
            let gap = abs(cumulativeA / a.total - cumulativeB / b.total)
            largest = max(largest, gap)
            let next = min(i < a.values.count ? a.values[i] : .infinity, j < b.values.count ? b.values[j] : .infinity)
            if next.isFinite { area += gap * (next - x) }
        }
        return (largest, area)
    }

    /// The smallest and largest value, nil when empty.
    var range: (lower: Double, upper: Double)? {
        guard let lower = values.first, let upper = values.last else { return nil }
        return (lower, upper)
    }
}
