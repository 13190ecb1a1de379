import SluiceCore

/// PSI and the KS statistic from two quantile sketches filled in one streaming pass over
/// each file: memory stays at the read buffer plus two sketches, whatever the sample size.
enum SketchDrift {
    struct Result {
        var reference: QuantileSketch
        var current: QuantileSketch
        var edges: [Double]
        var psi: Double
        var ks: Double
        var pValue: Double
        var method: KolmogorovSmirnov.Method
        /// Seconds spent in `insert` alone (reading excluded), for the ingest rate.
        var insertSeconds: Double
    }

    static let chunk = 65_536

    /// Streams both files through sketches in chunks of 64 Ki values.
    static func run(reference: String, current: String, bins: Int) throws(DoubleFile.Failure) -> Result {
        let buffer = UnsafeMutableBufferPointer<Double>.allocate(capacity: chunk)
        defer { buffer.deallocate() }
        var insertSeconds = 0.0
        var sketches: [QuantileSketch] = []
        for (index, path) in [reference, current].enumerated() {
            var sketch = QuantileSketch(seed: 0x5EED &+ UInt64(index))
            let file = try DoubleFile(path)
            defer { file.close() }
            while true {
                let count = try file.read(into: buffer)
                if count == 0 { break }
                let start = Measure.now()
                for value in UnsafeBufferPointer(rebasing: buffer[0..<count]) { sketch.insert(value) }
                insertSeconds += Measure.now() - start
            }
            sketches.append(sketch)
        }
        return summarize(reference: sketches[0], current: sketches[1], bins: bins, insertSeconds: insertSeconds)
    }

    static func summarize(reference: QuantileSketch, current: QuantileSketch, bins: Int, insertSeconds: Double) -> Result {
        var edges: [Double] = []
        for index in 0...bins {
            guard let edge = reference.quantile(Double(index) / Double(bins)) else { break }
            if edges.last != edge { edges.append(edge) }
        }
        let psi = DriftStatistics.psi(
            expected: DriftStatistics.proportions(reference.histogram(edges: edges)),
            actual: DriftStatistics.proportions(current.histogram(edges: edges)))
        // The largest CDF gap over the retained items of both sketches.
        var ks = 0.0
        for (value, _) in reference.weightedValues() + current.weightedValues() {
            ks = max(ks, abs(reference.rank(value) - current.rank(value)))
        }
        let (pValue, method) = KolmogorovSmirnov.pValue(statistic: ks, n: reference.count, m: current.count)
        return Result(reference: reference, current: current, edges: edges, psi: psi, ks: ks, pValue: pValue,
                      method: method, insertSeconds: insertSeconds)
    }
}
