extension DriftComparator {
    /// KS between raw values (exact, scipy's ks_2samp) or with a sketch (D estimated
    /// over the union of values, p-value only while the sketch error is below the
    /// test's resolution).
    static func kolmogorovSmirnov(_ reference: FeatureData, _ current: FeatureData, alpha: Double) -> Outcome {
        if case .numericSample(let a) = reference, case .numericSample(let b) = current {
            // Counted into buckets rather than sorted where it can (the same bits).
            guard let result = KolmogorovSmirnov.twoSample(DriftStatistics.withoutNaNs(a), DriftStatistics.withoutNaNs(b)) else {
                return Outcome(statistic: .nan, detail: "")
            }
            return Outcome(statistic: result.statistic, pValue: result.pValue, detail: result.method.rawValue)
        }
        let a = weighted(reference)
        let b = weighted(current)
        let d = WeightedSample.distances(a, b).ks
        let n = Int(a.total)
        let m = Int(b.total)
        let error = a.rankError + b.rankError
        if error == 0 {
            // A sketch that never compacted holds every value: D is exact.
            let (p, method) = KolmogorovSmirnov.pValue(statistic: d, n: n, m: m)
            return Outcome(statistic: d, pValue: p, detail: method.rawValue)
        }
        let resolution = criticalDistance(alpha: alpha, n: n, m: m)
        if error > resolution {
            return Outcome(
                statistic: d, errorBound: error, detail: "",
                fallback: (d, "sketch error \(format(error)) exceeds the test's resolution \(format(resolution)) at α = \(format(alpha)) (n = \(n), m = \(m)), so the p-value is meaningless; drift when D ≥ \(format(sketchDistanceThreshold))"))
        }
        let (p, method) = KolmogorovSmirnov.pValue(statistic: d, n: n, m: m)
        return Outcome(statistic: d, pValue: p, errorBound: error, detail: "\(method.rawValue), D estimated from a sketch ± \(format(error))")
    }

    /// The Wasserstein distance in reference standard deviations (population). A
    /// constant reference gives 0 when the current data is the same constant, else ∞.
    static func wasserstein(_ reference: FeatureData, _ current: FeatureData) -> Outcome {
        let a = weighted(reference)
        let b = weighted(current)
        // With raw values this is scipy's wasserstein_distance term for term.
        let distance = WeightedSample.distances(a, b).wasserstein
        let deviation = a.standardDeviation
        guard deviation > 0 else {
            return Outcome(statistic: distance == 0 ? 0 : .infinity, detail: "the reference is constant (standard deviation 0)")
        }
        let error = a.rankError + b.rankError
        guard error > 0 else { return Outcome(statistic: distance / deviation, detail: "") }
        // Each CDF is off by at most its rank error over the joint range of the values.
        let lower = min(a.range?.lower ?? 0, b.range?.lower ?? 0)
        let upper = max(a.range?.upper ?? 0, b.range?.upper ?? 0)
        let bound = error * (upper - lower) / deviation
        return Outcome(statistic: distance / deviation, errorBound: bound, detail: "estimated from a sketch ± \(format(bound))")
    }

    /// Raw values or a sketch as weighted values (never called with bins or categories).
    private static func weighted(_ data: FeatureData) -> WeightedSample {
        switch data {
        case .numericSketch(let sketch): return WeightedSample(sketch: sketch)
        case .numericSample(let values): return WeightedSample(sample: values)
        case .binned, .categorical, .categoricalSketch: return WeightedSample(sample: [])
        }
    }
}
