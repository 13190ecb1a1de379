#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SluiceCore

// drift-bench [--mode exact|sketch] [--algorithm core|sort] [--runs R] [--bins B] [--verify] REFERENCE CURRENT
//
// Reads two files of raw little-endian float64 (numpy's `tofile`) and prints one JSON object:
// PSI and the two-sample KS test, medians of R runs of each phase, and the peak RSS. The exact
// mode's default algorithm, "core", is what `sluice drift` runs on a column of raw values
// (DriftComparator.score, psi then ks; SluiceCore buckets instead of sorting); "sort"
// radix-sorts both samples and uses SluiceCore's sorted-sample KS (ExactDrift). Both give
// the same bits.

struct Options {
    var mode = "exact"
    var algorithm = "core"
    var runs = 5
    var bins = 10
    var verify = false
    var paths: [String] = []
}

func parse(_ arguments: [String]) -> Options? {
    var options = Options()
    var index = 0
    while index < arguments.count {
        let argument = arguments[index]
        switch argument {
        case "--mode", "--algorithm", "--runs", "--bins":
            guard index + 1 < arguments.count else { return nil }
            let value = arguments[index + 1]
            index += 1
            if argument == "--mode" { options.mode = value }
            if argument == "--algorithm" { options.algorithm = value }
            if argument == "--runs" { options.runs = Int(value) ?? 0 }
            if argument == "--bins" { options.bins = Int(value) ?? 0 }
        case "--verify": options.verify = true
        default: options.paths.append(argument)
        }
        index += 1
    }
    guard options.paths.count == 2, ["exact", "sketch"].contains(options.mode),
          ["core", "sort"].contains(options.algorithm), options.runs > 0, options.bins > 0 else { return nil }
    return options
}

func json(_ value: Double) -> String { value.isFinite ? "\(value)" : "null" }
func json(_ values: [Double]) -> String { "[" + values.map(json).joined(separator: ", ") + "]" }
func json(_ values: [Int]) -> String { "[" + values.map(String.init).joined(separator: ", ") + "]" }

func runExact(_ options: Options) throws(DoubleFile.Failure) -> String {
    var reference: [Double] = []
    var current: [Double] = []
    var readDurations: [Double] = []
    for _ in 0..<options.runs {
        reference = []
        current = []
        let start = Measure.now()
        reference = try DoubleFile.readAll(options.paths[0])
        current = try DoubleFile.readAll(options.paths[1])
        readDurations.append(Measure.now() - start)
    }
    func sortBoth() -> ([Double], [Double]) {
        (reference.withUnsafeBufferPointer { RadixSort.sorted($0) }, current.withUnsafeBufferPointer { RadixSort.sorted($0) })
    }
    func viaSort() -> ExactDrift.Result {
        let (sortedReference, sortedCurrent) = sortBoth()
        return ExactDrift.compute(sortedReference: sortedReference, sortedCurrent: sortedCurrent, bins: options.bins)
    }
    func viaCore() -> ExactDrift.Result {
        CoreDrift.compute(reference: reference, current: current, bins: options.bins)
    }
    var sortSeconds = 0.0
    var result: ExactDrift.Result
    var computeSeconds: Double
    if options.algorithm == "core" {
        // The scores alone: the report's edges and counts are computed outside their timings.
        var runs: [ExactDrift.Result] = []
        for _ in 0..<options.runs { runs.append(viaCore()) }
        computeSeconds = Measure.medianOf(runs.map { $0.psiSeconds + $0.statisticSeconds + $0.pValueSeconds })
        result = runs[runs.count - 1]
        result.psiSeconds = Measure.medianOf(runs.map(\.psiSeconds))
        result.statisticSeconds = Measure.medianOf(runs.map(\.statisticSeconds))
        result.pValueSeconds = Measure.medianOf(runs.map(\.pValueSeconds))
    } else {
        let sort = Measure.median(runs: options.runs) { sortBoth() }
        sortSeconds = sort.seconds
        let (sortedReference, sortedCurrent) = sort.result
        (computeSeconds, result) = Measure.median(runs: options.runs) {
            ExactDrift.compute(sortedReference: sortedReference, sortedCurrent: sortedCurrent, bins: options.bins)
        }
    }
    var verified = "null"
    if options.verify {
        // The other algorithm, and SluiceCore's plain array paths: frozenEdges, histogram,
        // twoSample (all three unsorted, as users call them).
        let other = options.algorithm == "sort" ? viaCore() : viaSort()
        let edges = DriftComparator.frozenEdges(.numericSample(reference), bins: options.bins)
        let same = edges == result.edges
            && DriftStatistics.histogram(reference, edges: edges) == result.referenceCounts
            && DriftStatistics.histogram(current, edges: edges) == result.currentCounts
            && KolmogorovSmirnov.twoSample(reference, current) == result.ks
            && other.edges == result.edges && other.referenceCounts == result.referenceCounts
            && other.currentCounts == result.currentCounts && other.psi.bitPattern == result.psi.bitPattern && other.ks == result.ks
        verified = same ? "true" : "false"
    }
    return """
    {"mode": "exact", "algorithm": "\(options.algorithm)", "n": \(reference.count), "m": \(current.count), "runs": \(options.runs), "bins": \(options.bins),
     "psi": \(json(result.psi)), "edges": \(json(result.edges)),
     "referenceCounts": \(json(result.referenceCounts)), "currentCounts": \(json(result.currentCounts)),
     "ks": {"statistic": \(json(result.ks.statistic)), "pValue": \(json(result.ks.pValue)), "method": "\(result.ks.method.rawValue)"},
     "seconds": {"read": \(json(Measure.medianOf(readDurations))), "sort": \(json(sortSeconds)), "compute": \(json(computeSeconds)),
                 "sortAndCompute": \(json(sortSeconds + computeSeconds)),
                 "psi": \(json(result.psiSeconds)), "ksStatistic": \(json(result.statisticSeconds)), "ksPValue": \(json(result.pValueSeconds))},
     "verified": \(verified), "peakRSSMiB": \(json(Measure.peakRSSMiB()))}
    """
}

func runSketch(_ options: Options) throws(DoubleFile.Failure) -> String {
    var streamDurations: [Double] = []
    var insertDurations: [Double] = []
    var last: SketchDrift.Result? = nil
    for _ in 0..<options.runs {
        let start = Measure.now()
        let result = try SketchDrift.run(reference: options.paths[0], current: options.paths[1], bins: options.bins)
        streamDurations.append(Measure.now() - start)
        insertDurations.append(result.insertSeconds)
        last = result
    }
    let result = last!
    let values = Double(result.reference.count + result.current.count)
    let insert = Measure.medianOf(insertDurations)
    return """
    {"mode": "sketch", "n": \(result.reference.count), "m": \(result.current.count), "runs": \(options.runs), "bins": \(options.bins),
     "k": \(result.reference.k), "retained": [\(result.reference.retainedCount), \(result.current.retainedCount)],
     "psi": \(json(result.psi)), "edges": \(json(result.edges)),
     "ks": {"statistic": \(json(result.ks)), "pValue": \(json(result.pValue)), "method": "\(result.method.rawValue)"},
     "rankError": \(json(result.reference.normalizedRankError)),
     "ksErrorBound": \(json(result.reference.normalizedRankError + result.current.normalizedRankError)),
     "histogramError": \(json(result.reference.normalizedHistogramError)),
     "seconds": {"stream": \(json(Measure.medianOf(streamDurations))), "insert": \(json(insert))},
     "ingestValuesPerSecond": \(json(values / insert)), "peakRSSMiB": \(json(Measure.peakRSSMiB()))}
    """
}

guard let options = parse(Array(CommandLine.arguments.dropFirst())) else {
    print("usage: drift-bench [--mode exact|sketch] [--algorithm core|sort] [--runs R] [--bins B] [--verify] REFERENCE.f64 CURRENT.f64")
    exit(2)
}
do {
    print(options.mode == "exact" ? try runExact(options) : try runSketch(options))
} catch {
    print("drift-bench: \(error)")
    exit(1)
}
