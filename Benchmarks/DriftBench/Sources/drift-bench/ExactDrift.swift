import SluiceCore

/// PSI and the two-sample KS test with both samples in memory, as SluiceCore computes them,
/// on sorted copies: the reference's frozen edges are read off the sorted reference and each
/// bin count is the difference of two binary searches, so no value is binned one by one.
enum ExactDrift {
    struct Result {
        var edges: [Double]
        var referenceCounts: [Int]
        var currentCounts: [Int]
        var psi: Double
        var ks: KolmogorovSmirnov.Result
        /// Seconds for the PSI, the KS statistic (with the sort path, the merge pass) and the
        /// KS p-value.
        var psiSeconds: Double
        var statisticSeconds: Double
        var pValueSeconds: Double
    }

    static func compute(sortedReference: [Double], sortedCurrent: [Double], bins: Int) -> Result {
        let start = Measure.now()
        let edges = frozenEdges(sortedReference: sortedReference, bins: bins)
        let referenceCounts = histogram(sorted: sortedReference, edges: edges)
        let currentCounts = histogram(sorted: sortedCurrent, edges: edges)
        let psi = DriftStatistics.psi(
            expected: DriftStatistics.proportions(referenceCounts), actual: DriftStatistics.proportions(currentCounts))
        let psiDone = Measure.now()
        let d = sortedReference.withUnsafeBufferPointer { a in
            sortedCurrent.withUnsafeBufferPointer { b in KolmogorovSmirnov.statistic(sortedReference: a, sortedCurrent: b) }
        }
        let statisticDone = Measure.now()
        let ks = KolmogorovSmirnov.test(statistic: d, n: sortedReference.count, m: sortedCurrent.count)
        let end = Measure.now()
        return Result(edges: edges, referenceCounts: referenceCounts, currentCounts: currentCounts, psi: psi, ks: ks,
                      psiSeconds: psiDone - start, statisticSeconds: statisticDone - psiDone, pValueSeconds: end - statisticDone)
    }

    /// `DriftComparator.frozenEdges` of an already sorted reference, as `sluice drift`
    /// freezes them: one bin per distinct value when there are at most `bins` (the last
    /// edge repeated), else `DriftStatistics.quantileEdges` (same quantiles, same removal of
    /// repeated edges) without its filter-and-sort.
    static func frozenEdges(sortedReference: [Double], bins: Int) -> [Double] {
        guard !sortedReference.isEmpty, bins > 0 else { return [] }
        var distinct: [Double] = []
        for value in sortedReference where distinct.last != value {
            distinct.append(value)
            if distinct.count > bins { break }
        }
        if distinct.count <= bins { return distinct + [distinct[distinct.count - 1]] }
        var edges: [Double] = []
        for index in 0...bins {
            let edge = DriftStatistics.quantile(sorted: sortedReference, Double(index) / Double(bins))
            if edges.last != edge { edges.append(edge) }
        }
        return edges
    }

    /// `DriftStatistics.histogram` of sorted values: underflow, bins closed on the left (the
    /// last also on the right), overflow — each count a difference of two positions.
    static func histogram(sorted: [Double], edges: [Double]) -> [Int] {
        guard edges.count >= 2 else { return DriftStatistics.histogram(sorted, edges: edges) }
        let last = edges.count - 1
        var counts = [Int](repeating: 0, count: edges.count + 1)
        var previous = 0
        for index in 0..<last {
            let position = firstIndex(in: sorted) { $0 >= edges[index] }
            counts[index] = position - previous
            previous = position
        }
        let end = firstIndex(in: sorted) { $0 > edges[last] }
        counts[last] = end - previous
        counts[last + 1] = sorted.count - end
        return counts
    }

    /// The first index whose value satisfies `predicate` (false then true along `sorted`).
    static func firstIndex(in sorted: [Double], where predicate: (Double) -> Bool) -> Int {
        var low = 0
        var high = sorted.count
        while low < high {
            let middle = (low + high) / 2
            if predicate(sorted[middle]) { high = middle } else { low = middle + 1 }
        }
        return low
    }
}
