/// Two sides counted over the same bins (numeric bins or categories): what psi,
/// jensen_shannon, hellinger and chi_square compare.
struct BinTable {
    /// One name per bin (chi-square keys; categories by name).
    var labels: [String] = []
    /// Counts per bin (a sketch's estimates; bins × count for a binned side).
    var reference: [Double] = []
    var current: [Double] = []
    /// How far one bin's proportion may be off, summed over both sides; 0 when exact.
    var errorBound = 0.0

    /// The bin for categories a frequent-items sketch does not track. A control character
    /// keeps it apart from any real category name.
    static let otherLabel = "\u{1}other"

    init(feature: String, reference: FeatureData, current: FeatureData, bins: Int) throws(DriftComparisonError) {
        if reference.kind == .categorical {
            categorize(reference, current)
        } else {
            let edges = try Self.edges(feature: feature, reference: reference, current: current, bins: bins)
            labels = (0...edges.count).map { "bin \($0)" }
            self.reference = try bin(reference, edges: edges, feature: feature)
            self.current = try bin(current, edges: edges, feature: feature)
        }
    }

    // MARK: - Numbers

    /// The edges both sides are counted with: a binned side's, else frozen from the reference.
    static func edges(feature: String, reference: FeatureData, current: FeatureData, bins: Int) throws(DriftComparisonError) -> [Double] {
        switch (reference, current) {
        case (.binned(let mine, _, _), .binned(let theirs, _, _)):
            guard mine == theirs else {
                throw DriftComparisonError(
                    code: .incompatibleBins, feature: feature,
                    message: "both sides are binned, with different edges (\(mine.count) and \(theirs.count) edges); bin the current data with the reference's edges")
            }
            return mine
        case (.binned(let edges, _, _), _), (_, .binned(let edges, _, _)):
            return edges
        default:
            return DriftComparator.frozenEdges(reference, bins: bins)
        }
    }

    private mutating func bin(_ data: FeatureData, edges: [Double], feature: String) throws(DriftComparisonError) -> [Double] {
        switch data {
        case .numericSample(let values):
            return DriftStatistics.histogram(values, edges: edges).map(Double.init)
        case .numericSketch(let sketch):
            if !sketch.isExact { errorBound += sketch.normalizedHistogramError }
            return sketch.histogram(edges: edges).map(Double.init)
        case .binned(let stored, let proportions, let count):
            guard stored.count >= 2, proportions.count == stored.count + 1 else {
                throw DriftComparisonError(
                    code: .incompatibleBins, feature: feature,
                    message: "bins need at least 2 edges and one proportion per bin plus underflow and overflow (edges + 1); found \(stored.count) edges and \(proportions.count) proportions")
            }
            return proportions.map { $0 * Double(count) }
        case .categorical, .categoricalSketch:
            return []
        }
    }

    // MARK: - Categories

    /// Categories as bins: every category when counts are exact; with a sketch, the ones
    /// it tracks (both sketches: the ones both track) and one bin for the rest.
    private mutating func categorize(_ reference: FeatureData, _ current: FeatureData) {
        var tracked: Set<String>?
        for case .categoricalSketch(let items) in [reference, current] {
            let mine = Set(items.estimates().map(\.item))
            tracked = tracked.map { $0.intersection(mine) } ?? mine
            if !items.isExact { errorBound += Double(items.maximumError) / Double(max(items.count, 1)) }
        }
        var names = Set<String>()
        if let tracked {
            names = tracked
        } else {
            for case .categorical(let counts) in [reference, current] { names.formUnion(counts.keys) }
        }
        labels = names.sorted()
        self.reference = Self.counts(reference, labels)
        self.current = Self.counts(current, labels)
        if tracked != nil {
            labels.append(Self.otherLabel)
            self.reference.append(Double(reference.count) - self.reference.reduce(0, +))
            self.current.append(Double(current.count) - self.current.reduce(0, +))
        }
    }

    private static func counts(_ data: FeatureData, _ labels: [String]) -> [Double] {
        switch data {
        case .categorical(let counts): return labels.map { Double(counts[$0] ?? 0) }
        case .categoricalSketch(let items): return labels.map { Double(items.estimate($0)) }
        case .numericSample, .numericSketch, .binned: return []
        }
    }

    // MARK: - Tests

    /// Runs a binned test on the table.
    func outcome(_ test: DriftTest, alpha: Double, epsilon: Double) -> DriftComparator.Outcome {
        let referenceTotal = reference.reduce(0, +)
        let currentTotal = current.reduce(0, +)
        let p = reference.map { referenceTotal > 0 ? $0 / referenceTotal : 0 }
        let q = current.map { currentTotal > 0 ? $0 / currentTotal : 0 }
        let bound = errorBound > 0 ? errorBound : nil
        let detail = bound.map { "bins from a sketch, each proportion ± \(DriftComparator.format($0))" } ?? ""
        switch test {
        case .psi:
            let smoothed = { (values: [Double]) in values.map { $0 == 0 ? epsilon : $0 } }
            return .init(statistic: DriftStatistics.psi(expected: smoothed(p), actual: smoothed(q)), errorBound: bound, detail: detail)
        case .jensenShannon:
            return .init(statistic: DriftStatistics.jensenShannonDistance(p, q), errorBound: bound, detail: detail)
        case .hellinger:
            return .init(statistic: DriftStatistics.hellingerDistance(p, q), errorBound: bound, detail: detail)
        case .chiSquare, .ks, .wasserstein:
            return chiSquare(p, q, alpha: alpha, totals: (referenceTotal, currentTotal))
        }
    }

    private func chiSquare(_ p: [Double], _ q: [Double], alpha: Double, totals: (Double, Double)) -> DriftComparator.Outcome {
        var referenceCounts: [String: Int] = [:]
        var currentCounts: [String: Int] = [:]
        for (index, label) in labels.enumerated() {
            referenceCounts[label] = Int(reference[index].rounded())
            currentCounts[label] = Int(current[index].rounded())
        }
        let result = DriftStatistics.chiSquareHomogeneity(reference: referenceCounts, current: currentCounts)
        guard errorBound > 0 else { return .init(statistic: result.statistic, pValue: result.pValue, detail: "") }
        let n = Int(totals.0.rounded())
        let m = Int(totals.1.rounded())
        let resolution = DriftComparator.criticalDistance(alpha: alpha, n: n, m: m)
        let format = DriftComparator.format
        if errorBound > resolution {
            let largest = zip(p, q).reduce(0) { max($0, abs($1.0 - $1.1)) }
            return .init(
                statistic: result.statistic, errorBound: errorBound, detail: "",
                fallback: (largest, "sketch error \(format(errorBound)) exceeds the test's resolution \(format(resolution)) at α = \(format(alpha)) (n = \(n), m = \(m)), so the p-value is meaningless; drift when the largest proportion difference ≥ \(format(DriftComparator.sketchDistanceThreshold))"))
        }
        return .init(statistic: result.statistic, pValue: result.pValue, errorBound: errorBound, detail: "counts estimated from a sketch, each proportion ± \(format(errorBound))")
    }
}
