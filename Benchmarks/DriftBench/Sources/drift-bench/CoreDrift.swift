import SluiceCore

/// PSI and the two-sample KS test as `sluice drift` computes them for a column of raw
/// values: `DriftComparator.score` with test psi, then with test ks, on the unsorted arrays.
/// Inside, SluiceCore counts the samples into buckets (`BucketedSamples`) for the reference
/// quantile edges and the KS statistic instead of sorting them.
enum CoreDrift {
    static func compute(reference: [Double], current: [Double], bins: Int) -> ExactDrift.Result {
        let start = Measure.now()
        let psi = score(.psi, reference, current, bins: bins)
        let psiDone = Measure.now()
        let ks = score(.ks, reference, current, bins: bins)
        let ksDone = Measure.now()
        // The p-value alone, for the breakdown: the statistic's time is the ks score's less this.
        let test = KolmogorovSmirnov.test(statistic: ks.statistic ?? .nan, n: reference.count, m: current.count)
        let end = Measure.now()
        // Edges and counts for the report, outside the timings.
        let edges = DriftComparator.frozenEdges(.numericSample(reference), bins: bins)
        return ExactDrift.Result(
            edges: edges, referenceCounts: DriftStatistics.histogram(reference, edges: edges),
            currentCounts: DriftStatistics.histogram(current, edges: edges), psi: psi.value ?? .nan,
            ks: KolmogorovSmirnov.Result(statistic: ks.statistic ?? .nan, pValue: ks.pValue ?? .nan, method: test.method),
            psiSeconds: psiDone - start, statisticSeconds: ksDone - psiDone - (end - ksDone), pValueSeconds: end - ksDone)
    }

    static func score(_ test: DriftTest, _ reference: [Double], _ current: [Double], bins: Int) -> DriftScore {
        do {
            return try DriftComparator.score(
                feature: "x", reference: .numericSample(reference), current: .numericSample(current), test: test,
                threshold: nil, bins: bins)
        } catch {
            fatalError("drift-bench: \(error)")
        }
    }
}
