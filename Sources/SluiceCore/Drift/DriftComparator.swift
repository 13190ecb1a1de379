#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Scores one feature's current data against its reference, and many features at once
/// (``summarize(_:correction:shareThreshold:)``).
///
/// **Tests and defaults.** `test == nil` (auto) picks chi_square for categories, psi when
/// either numeric side is binned (bins are all there is), else ks. Default thresholds:
///
/// | test | drift when | default |
/// | --- | --- | --- |
/// | psi | PSI ≥ t | 0.2 |
/// | ks | p ≤ α | α = 0.05 |
/// | chi_square | p ≤ α | α = 0.05 |
/// | jensen_shannon | JS distance (natural log) ≥ t | 0.1 |
/// | wasserstein | distance / reference std (population) ≥ t | 0.1 |
/// | hellinger | Hellinger distance ≥ t | 0.1 |
///
/// **Bins.** psi, jensen_shannon, hellinger, and chi_square on numbers compare bin
/// proportions: edges frozen from the reference (`bins` quantile bins, numpy's linear
/// quantiles, repeated edges dropped; one bin per value when the reference has at most
/// `bins` distinct values, so a 0/1 feature gets two bins rather than one) plus underflow
/// and overflow bins. A binned side's edges are used as they are (both binned: the edges
/// must match). Sketches are binned with `QuantileSketch.histogram(edges:)`. `epsilon`
/// stands in for an empty bin's proportion in PSI only; JS and Hellinger take zeros.
/// Categories are the bins of categorical tests; with a frequent-items sketch on a side,
/// the categories are those the sketch tracks (both sketches: those both track) plus one
/// bin for all the others.
///
/// **Exact and estimated.** Raw values on both sides give exact results (ks: scipy's
/// `ks_2samp`, method auto). With a sketch, ks estimates D over the union of both sides'
/// values, within `errorBound` = the sum of the sketches' rank errors ε. When that error
/// exceeds the test's resolution, the critical distance c(α)·√((n+m)/(n·m)) with
/// c(α) = √(−ln(α/2)/2) (1.358 at α = 0.05), the p-value means nothing (any D within
/// the error could be significant): the verdict is then D ≥ ``sketchDistanceThreshold``,
/// said so in `judgedBy`. chi_square on estimated counts does the same with the largest
/// difference between the sides' bin or category proportions.
///
/// **Too little data.** Fewer than `minCount` values on either side gives
/// `insufficientData` (never `noDrift`); the score is still computed when both sides
/// have values, for information.
public enum DriftComparator {
    /// The distance a p-value test falls back to when a sketch is too coarse for its
    /// p-value: KS D, or the largest proportion difference for chi-square.
    public static let sketchDistanceThreshold = 0.1

    /// The threshold used when none is given (see the type's table).
    public static func defaultThreshold(for test: DriftTest) -> Double {
        switch test {
        case .psi: return 0.2
        case .ks, .chiSquare: return 0.05
        case .jensenShannon, .wasserstein, .hellinger: return 0.1
        }
    }

    /// The test `auto` means for these two sides.
    public static func automaticTest(reference: FeatureData, current: FeatureData) -> DriftTest {
        if reference.kind == .categorical { return .chiSquare }
        if case .binned = reference { return .psi }
        if case .binned = current { return .psi }
        return .ks
    }

    /// The smallest KS distance significant at `alpha` for sizes n and m, asymptotically:
    /// c(α)·√((n+m)/(n·m)), c(α) = √(−ln(α/2)/2).
    public static func criticalDistance(alpha: Double, n: Int, m: Int) -> Double {
        guard n > 0, m > 0, alpha > 0 else { return .infinity }
        let c = sqrt(-log(min(alpha, 1) / 2) / 2)
        return c * (Double(n + m) / (Double(n) * Double(m))).squareRoot()
    }

    /// Edges frozen from a reference of raw values or a sketch: `bins` quantile edges
    /// (repeats dropped), or one bin per distinct value when there are at most `bins` of
    /// them (quantile edges would merge a 0/1 feature into one bin), the last edge then
    /// repeated to close a bin of the largest value alone. Never a single edge; bins
    /// give their own edges, categories none.
    public static func frozenEdges(_ reference: FeatureData, bins: Int = 10) -> [Double] {
        var distinct: [Double] = []
        var edges: [Double] = []
        switch reference {
        case .numericSample(let values):
            let finite = DriftStatistics.withoutNaNs(values)
            distinct = smallestDistinct(finite, upTo: bins + 1)
            if distinct.count > bins { edges = DriftStatistics.quantileEdges(withoutNaNs: finite, bins: bins) }
        case .numericSketch(let sketch):
            for (value, _) in sketch.weightedValues() where distinct.last != value {
                distinct.append(value)
                if distinct.count > bins { break }
            }
            if distinct.count > bins {
                for index in 0...bins {
                    if let edge = sketch.quantile(Double(index) / Double(bins)), edges.last != edge { edges.append(edge) }
                }
            }
        case .binned(let stored, _, _):
            return stored
        case .categorical, .categoricalSketch:
            return []
        }
        if edges.isEmpty { edges = distinct }
        // The last edge repeated closes a bin holding only the largest value.
        if let last = edges.last, edges.count == 1 || distinct.count <= bins { edges.append(last) }
        return edges
    }

    /// The distinct values of `values` ascending, when there are fewer than `limit`; else
    /// some `limit` of them. One pass without sorting, which stops at the limit (at once
    /// for continuous data). Of equal values (−0 and +0) the first is kept, as a stable
    /// sort would put it first.
    static func smallestDistinct(_ values: [Double], upTo limit: Int) -> [Double] {
        var distinct: [Double] = []  // ascending
        for value in values {
            var low = 0
            var high = distinct.count
            while low < high {  // the first at least `value`
                let middle = (low + high) / 2
                if distinct[middle] < value { low = middle + 1 } else { high = middle }
            }
            guard low == distinct.count || distinct[low] != value else { continue }
            distinct.insert(value, at: low)
            if distinct.count >= limit { break }
        }
        return distinct
    }

    /// Scores one feature with one test. `test == nil` is auto and `threshold == nil` the
    /// test's default (see the type's documentation).
    ///
    /// Throws when the sides do not fit together (numbers against categories, bins with
    /// different edges) or the test does not fit the data (ks or wasserstein on categories
    /// or on bins without values); the error names the feature and both sides' kinds.
    public static func score(
        feature: String, reference: FeatureData, current: FeatureData, test: DriftTest?, threshold: Double?,
        minCount: Int = 100, epsilon: Double = DriftStatistics.defaultEpsilon, bins: Int = 10
    ) throws(DriftComparisonError) -> DriftScore {
        guard reference.kind == current.kind else {
            throw DriftComparisonError(
                code: .kindMismatch, feature: feature,
                message: "the reference is \(reference.kind.rawValue) (\(reference.summary)) but the current data is \(current.kind.rawValue) (\(current.summary)); both sides must be numeric or both categorical")
        }
        let test = test ?? automaticTest(reference: reference, current: current)
        let threshold = threshold ?? defaultThreshold(for: test)
        try checkSupport(test, feature: feature, reference: reference, current: current)
        let referenceCount = reference.count
        let currentCount = current.count
        var score = DriftScore(
            feature: feature, test: test, value: nil, statistic: nil, pValue: nil, threshold: threshold,
            comparator: test.yieldsPValue ? DriftScore.pValueComparator : DriftScore.distanceComparator,
            errorBound: nil, judgedBy: test.yieldsPValue ? "p-value" : "distance",
            referenceCount: referenceCount, currentCount: currentCount, verdict: .insufficientData)
        if referenceCount > 0, currentCount > 0 {
            let outcome = try measure(
                test, feature: feature, reference: reference, current: current, alpha: threshold,
                epsilon: epsilon, bins: bins)
            apply(outcome, to: &score)
        }
        if referenceCount < minCount || currentCount < minCount || referenceCount == 0 || currentCount == 0 {
            let short = referenceCount < currentCount ? ("reference", referenceCount) : ("current data", currentCount)
            score.verdict = .insufficientData
            score.judgedBy = "insufficient data: the \(short.0) has \(short.1) value\(short.1 == 1 ? "" : "s"); at least \(max(minCount, 1)) needed"
        }
        return score
    }

    /// What a test measured, before the verdict.
    struct Outcome {
        var statistic: Double
        var pValue: Double?
        var errorBound: Double?
        /// How it was computed ("exact", "D estimated from a sketch ± 0.013"); may be empty.
        var detail: String
        /// Set when a p-value test must be judged by distance instead: that distance and why.
        var fallback: (distance: Double, reason: String)?
    }

    private static func apply(_ outcome: Outcome, to score: inout DriftScore) {
        score.statistic = outcome.statistic
        score.errorBound = outcome.errorBound
        let detail = outcome.detail.isEmpty ? "" : " (\(outcome.detail))"
        if let fallback = outcome.fallback {
            score.value = fallback.distance
            score.threshold = sketchDistanceThreshold
            score.comparator = DriftScore.distanceComparator
            score.judgedBy = "distance: \(fallback.reason)"
            score.verdict = fallback.distance >= sketchDistanceThreshold ? .drift : .noDrift
        } else if score.test.yieldsPValue, let p = outcome.pValue {
            score.pValue = p
            score.value = p
            score.judgedBy = "p-value" + detail
            score.verdict = p <= score.threshold ? .drift : .noDrift
        } else {
            score.value = outcome.statistic
            score.judgedBy = "distance" + detail
            score.verdict = outcome.statistic >= score.threshold ? .drift : .noDrift
        }
    }

    private static func checkSupport(_ test: DriftTest, feature: String, reference: FeatureData, current: FeatureData) throws(DriftComparisonError) {
        guard test == .ks || test == .wasserstein else { return }
        if reference.kind == .categorical {
            throw DriftComparisonError(
                code: .unsupportedTest, feature: feature,
                message: "\(test.rawValue) needs numbers, and both sides are categorical (\(reference.summary), \(current.summary)); use chi_square, psi, jensen_shannon or hellinger")
        }
        for (side, data) in [("reference", reference), ("current data", current)] {
            if case .binned = data {
                throw DriftComparisonError(
                    code: .unsupportedTest, feature: feature,
                    message: "\(test.rawValue) needs raw values or a sketch on both sides, and the \(side) has \(data.summary); use psi, jensen_shannon, hellinger or chi_square, or keep a sample or sketch in the baseline")
            }
        }
    }

    private static func measure(
        _ test: DriftTest, feature: String, reference: FeatureData, current: FeatureData,
        alpha: Double, epsilon: Double, bins: Int
    ) throws(DriftComparisonError) -> Outcome {
        switch test {
        case .ks: return kolmogorovSmirnov(reference, current, alpha: alpha)
        case .wasserstein: return wasserstein(reference, current)
        case .psi, .jensenShannon, .hellinger, .chiSquare:
            let table = try BinTable(feature: feature, reference: reference, current: current, bins: bins)
            return table.outcome(test, alpha: alpha, epsilon: epsilon)
        }
    }

    /// "0.0133" style: four significant digits, for messages.
    static func format(_ value: Double) -> String {
        guard value.isFinite, value != 0 else { return value == 0 ? "0" : "\(value)" }
        let digits = max(0, 3 - Int(log10(abs(value)).rounded(.down)))
        let scale = pow(10, Double(min(digits, 12)))
        var text = "\((value * scale).rounded() / scale)"
        if text.hasSuffix(".0") { text.removeLast(2) }
        return text
    }
}
