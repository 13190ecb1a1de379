import SluiceCore
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// SplitMix64: a seeded generator, so every run sees the same data.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    mutating func unit() -> Double { Double(next() >> 11) * 0x1p-53 }
}

/// Test inputs, including KLL's adversarial orders (sorted ascending and descending).
enum Distribution: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case uniform, normal, heavyTailed, manyTies, ascending, descending

    var testDescription: String { rawValue }

    func values(_ count: Int, seed: UInt64 = 42) -> [Double] {
        var random = SeededGenerator(seed: seed)
        var values: [Double] = []
        values.reserveCapacity(count)
        for index in 0..<count {
            switch self {
            case .uniform: values.append(random.unit())
            case .normal:
                // Box–Muller; 1 − u keeps the logarithm finite.
                let radius = sqrt(-2 * log(1 - random.unit()))
                values.append(radius * cos(2 * Double.pi * random.unit()))
            case .heavyTailed: values.append(tan(Double.pi * (random.unit() - 0.5)))  // Cauchy
            case .manyTies: values.append(Double(Int(random.unit() * 10)))
            case .ascending: values.append(Double(index))
            case .descending: values.append(Double(count - index))
            }
        }
        return values
    }
}

/// Exact ranks of a sorted sample.
struct ExactRanks {
    let sorted: [Double]

    init(_ values: [Double]) { sorted = values.sorted() }

    /// Number of values < x (or ≤ x when inclusive).
    func count(_ x: Double, inclusive: Bool) -> Int {
        var low = 0
        var high = sorted.count
        while low < high {
            let middle = (low + high) / 2
            if sorted[middle] < x || (inclusive && sorted[middle] == x) { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// The largest rank error of `sketch` (inclusive and exclusive) at 1,000 points of the
    /// sample (its quantiles, so ties are queried where they are).
    func maximumError(of sketch: QuantileSketch) -> Double {
        var worst = 0.0
        let n = Double(sorted.count)
        for index in 0..<1_000 {
            let x = sorted[index * sorted.count / 1_000]
            worst = max(worst, abs(sketch.rank(x) - Double(count(x, inclusive: true)) / n))
            worst = max(worst, abs(sketch.rankExclusive(x) - Double(count(x, inclusive: false)) / n))
        }
        return worst
    }
}

@Suite("quantile sketch (KLL)", .timeLimit(.minutes(10)))
struct QuantileSketchTests {
    @Test("exact while nothing is compacted: ranks, quantiles and histogram equal the sample's")
    func exactWhileSmall() {
        let values = Distribution.normal.values(150)
        var sketch = QuantileSketch()
        sketch.insert(contentsOf: values)
        let exact = ExactRanks(values)
        #expect(sketch.isExact)
        #expect(sketch.normalizedRankError == 0)
        #expect(sketch.count == 150)
        #expect(sketch.minimum == exact.sorted.first && sketch.maximum == exact.sorted.last)
        #expect(exact.maximumError(of: sketch) == 0)
        for step in 0...100 {
            let q = Double(step) / 100
            let expected = step == 0 ? exact.sorted[0] : exact.sorted[Int((Double(step) * 150 / 100).rounded(.up)) - 1]
            #expect(sketch.quantile(q) == expected, "q = \(q)")
        }
        let edges = DriftStatistics.quantileEdges(reference: Array(values.prefix(50)))
        #expect(sketch.histogram(edges: edges) == DriftStatistics.histogram(values, edges: edges))
        #expect(sketch.histogram(edges: [0]) == [values.count { $0 < 0 }, values.count { $0 >= 0 }])
        #expect(sketch.histogram(edges: []) == [150])
        #expect(sketch.weightedValues().map(\.value) == exact.sorted)
        #expect(sketch.weightedValues().allSatisfy { $0.weight == 1 })
    }

    @Test("past k values it compacts and reports a nonzero error bound")
    func compacts() {
        var sketch = QuantileSketch()
        sketch.insert(contentsOf: Distribution.uniform.values(1_000))
        #expect(!sketch.isExact)
        #expect(sketch.count == 1_000)
        #expect(sketch.retainedCount < 1_000)
        #expect(abs(sketch.normalizedRankError - 0.0133) < 0.0001, "DataSketches' single-rank bound at k = 200")
        #expect(abs(sketch.normalizedHistogramError - 0.0165) < 0.0001, "DataSketches' PMF bound at k = 200")
        #expect(sketch.weightedValues().reduce(0) { $0 + $1.weight } == 1_000, "weights add up to the count")
    }

    @Test("NaN is counted apart and ignored by every answer")
    func nan() {
        var sketch = QuantileSketch()
        sketch.insert(.nan)
        #expect(sketch.count == 0 && sketch.nanCount == 1)
        #expect(sketch.quantile(0.5) == nil && sketch.minimum == nil && sketch.rank(0) == 0)
        sketch.insert(contentsOf: [1, .nan, 2, 3])
        var single = sketch
        single.insert(.nan)
        #expect(sketch.count == 3 && sketch.nanCount == 2 && single.nanCount == 3)
        #expect(sketch.quantile(0.5) == 2 && sketch.rank(2) == 2.0 / 3)
        #expect(sketch.quantile(.nan) == nil)
    }

    @Test("infinities are kept as the largest finite magnitudes, so JSON can carry them")
    func infinity() throws {
        var sketch = QuantileSketch()
        sketch.insert(.infinity)
        sketch.insert(contentsOf: [-.infinity, 0])
        #expect(sketch.minimum == -.greatestFiniteMagnitude && sketch.maximum == .greatestFiniteMagnitude)
        #expect(sketch.rank(0) == 2.0 / 3)
        #expect(try QuantileSketch(json: try JSONParser.parse(sketch.jsonValue().serialized())) == sketch)
    }

    @Test("1,000,000 values: the worst of 1,000 rank errors is within the bound", arguments: Distribution.allCases)
    func accuracy(distribution: Distribution) throws {
        let values = distribution.values(1_000_000)
        var sketch = QuantileSketch()
        sketch.insert(contentsOf: values)
        let exact = ExactRanks(values)
        #expect(sketch.count == 1_000_000)
        #expect(sketch.minimum == exact.sorted.first && sketch.maximum == exact.sorted.last)
        let error = exact.maximumError(of: sketch)
        #expect(error <= sketch.normalizedRankError, "\(distribution): \(error) > \(sketch.normalizedRankError)")
        // A quantile's true rank lies within the bound of the rank asked for.
        let n = Double(values.count)
        for q in [0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99] {
            let answer = try #require(sketch.quantile(q))
            let below = Double(exact.count(answer, inclusive: false)) / n
            let upTo = Double(exact.count(answer, inclusive: true)) / n
            #expect(below - sketch.normalizedRankError <= q && q <= upTo + sketch.normalizedRankError, "\(distribution) q = \(q)")
        }
    }

    @Test("inserting one value at a time equals inserting a sequence")
    func insertPaths() {
        let values = Distribution.normal.values(20_000)
        var one = QuantileSketch()
        for value in values { one.insert(value) }
        var many = QuantileSketch()
        many.insert(contentsOf: values)
        var lazy = QuantileSketch()
        lazy.insert(contentsOf: values.lazy.map { $0 })
        #expect(one == many && many == lazy)
        #expect(one.jsonValue() == many.jsonValue())
    }

    @Test("deterministic given seed and order; another seed compacts differently")
    func determinism() {
        let values = Distribution.uniform.values(50_000)
        var a = QuantileSketch(seed: 7)
        var b = QuantileSketch(seed: 7)
        var c = QuantileSketch(seed: 8)
        a.insert(contentsOf: values)
        b.insert(contentsOf: values)
        c.insert(contentsOf: values)
        #expect(a == b && a.hashValue == b.hashValue)
        #expect(a != c)
    }

    @Test("16 merged sketches of parts: count and extremes exact, ranks within the bound")
    func mergeParts() throws {
        let values = Distribution.normal.values(1_000_000, seed: 3)
        var merged = QuantileSketch()
        let part = values.count / 16
        for index in 0..<16 {
            // Default seeds, as a data plane's buckets would have.
            var sketch = QuantileSketch()
            sketch.insert(contentsOf: values[(index * part)..<((index + 1) * part)])
            merged.merge(sketch)
        }
        var whole = QuantileSketch()
        whole.insert(contentsOf: values)
        let exact = ExactRanks(values)
        #expect(merged.count == values.count)
        #expect(merged.minimum == exact.sorted.first && merged.maximum == exact.sorted.last)
        #expect(exact.maximumError(of: merged) <= merged.normalizedRankError)
        #expect(merged.retainedCount <= 3 * merged.k + 9 * merged.levelCount)
        for q in stride(from: 0.05, to: 1, by: 0.05) {
            let answer = try #require(whole.quantile(q))
            #expect(abs(merged.rank(answer) - whole.rank(answer)) <= 2 * whole.normalizedRankError)
        }
    }

    @Test("merging: empty, exact, NaN counts, a smaller k sets the bound")
    func mergeCases() {
        var a = QuantileSketch()
        a.insert(contentsOf: [1, 2, .nan])
        var b = QuantileSketch()
        b.insert(contentsOf: [3, 4])
        var merged = a
        merged.merge(b)
        merged.merge(QuantileSketch())
        #expect(merged.isExact && merged.count == 4 && merged.nanCount == 1)
        #expect(merged.weightedValues().map(\.value) == [1, 2, 3, 4])

        var empty = QuantileSketch()
        empty.merge(a)
        #expect(empty.count == 2 && empty.minimum == 1 && empty.maximum == 2)

        var large = QuantileSketch()
        large.insert(contentsOf: Distribution.uniform.values(100_000))
        var small = QuantileSketch(k: 50)
        small.insert(contentsOf: Distribution.uniform.values(100_000, seed: 9))
        var combined = large
        combined.merge(small)
        #expect(combined.k == 200 && combined.count == 200_000)
        #expect(combined.normalizedRankError == QuantileSketch.normalizedRankError(k: 50, histogram: false))
        let exact = ExactRanks(Distribution.uniform.values(100_000) + Distribution.uniform.values(100_000, seed: 9))
        #expect(exact.maximumError(of: combined) <= combined.normalizedRankError)
    }

    @Test("histogram: DriftStatistics' bins, summing to the count, each within the bin bound", arguments: [Distribution.normal, .manyTies, .descending])
    func histogram(distribution: Distribution) {
        let values = distribution.values(1_000_000, seed: 5)
        var sketch = QuantileSketch()
        sketch.insert(contentsOf: values)
        let edges = DriftStatistics.quantileEdges(reference: distribution.values(10_000, seed: 6))
        let estimated = sketch.histogram(edges: edges)
        let exact = DriftStatistics.histogram(values, edges: edges)
        #expect(estimated.count == exact.count)
        #expect(estimated.reduce(0, +) == sketch.count)
        let tolerance = sketch.normalizedHistogramError * Double(sketch.count)
        for (bin, pair) in zip(estimated, exact).enumerated() {
            #expect(Double(abs(pair.0 - pair.1)) <= tolerance, "\(distribution) bin \(bin): \(pair.0) vs \(pair.1)")
        }
    }

    @Test("memory is bounded: 10,000,000 values keep at most 3k + 9·levels items")
    func boundedMemory() throws {
        var sketch = QuantileSketch()
        var chunk = [Double](repeating: 0, count: 100_000)
        var random = SeededGenerator(seed: 11)
        var largest = 0
        for _ in 0..<100 {
            for index in chunk.indices { chunk[index] = random.unit() }
            sketch.insert(contentsOf: chunk)
            largest = max(largest, sketch.retainedCount)
        }
        #expect(sketch.count == 10_000_000)
        #expect(sketch.levelCount <= 18, "about log₂(n/k) + 2 levels")
        #expect(largest <= 3 * sketch.k + 9 * sketch.levelCount, "\(largest) items retained")
        let median = try #require(sketch.quantile(0.5))
        #expect(abs(median - 0.5) <= sketch.normalizedRankError)
    }

    @Test("JSON round trip is exact (values, levels, counts, minK)")
    func roundTrip() throws {
        var compacted = QuantileSketch()
        compacted.insert(contentsOf: Distribution.heavyTailed.values(100_000))
        compacted.insert(.nan)
        var merged = compacted
        var small = QuantileSketch(k: 20)
        small.insert(contentsOf: Distribution.normal.values(5_000))
        merged.merge(small)
        var exact = QuantileSketch()
        exact.insert(contentsOf: [0.1, -0.0, 1e-300, 123456789.125, -7])
        for sketch in [QuantileSketch(), exact, compacted, merged] {
            let text = sketch.jsonValue().serialized()
            let decoded = try QuantileSketch(json: try JSONParser.parse(text))
            #expect(decoded == sketch)
            #expect(decoded.jsonValue().serialized() == text)
            #expect(decoded.normalizedRankError == sketch.normalizedRankError)
        }
        #expect(merged.jsonValue()["minK"] == .int(20))
        #expect(compacted.jsonValue()["minK"] == nil)
        // A decoded sketch keeps working.
        var decoded = try QuantileSketch(json: try JSONParser.parse(compacted.jsonValue().serialized()))
        decoded.insert(contentsOf: Distribution.heavyTailed.values(100_000, seed: 2))
        #expect(decoded.count == 200_000 && decoded.retainedCount <= 3 * decoded.k + 9 * decoded.levelCount)
    }

    @Test("malformed JSON is rejected with the offending field's path", arguments: [
        ("[]", ""),
        (#"{"k":"200","n":0,"nan":0,"min":null,"max":null,"levels":[[]]}"#, "k"),
        (#"{"k":0,"n":0,"nan":0,"min":null,"max":null,"levels":[[]]}"#, "k"),
        (#"{"k":100000000,"n":0,"nan":0,"min":null,"max":null,"levels":[[]]}"#, "k"),
        (#"{"k":200,"n":-1,"nan":0,"min":null,"max":null,"levels":[[]]}"#, "n"),
        (#"{"k":200,"n":100000000000000000,"nan":0,"min":null,"max":null,"levels":[[]]}"#, "n"),
        (#"{"k":200,"n":0,"nan":-3,"min":null,"max":null,"levels":[[]]}"#, "nan"),
        (#"{"k":200,"n":0,"nan":0,"min":1,"max":null,"levels":[[]]}"#, "min"),
        (#"{"k":200,"n":2,"nan":0,"min":"a","max":2,"levels":[[1,2]]}"#, "min"),
        (#"{"k":200,"n":2,"nan":0,"min":3,"max":2,"levels":[[1,2]]}"#, "max"),
        (#"{"k":200,"n":2,"nan":0,"min":1,"max":2,"levels":{}}"#, "levels"),
        (#"{"k":200,"n":2,"nan":0,"min":1,"max":2,"levels":[]}"#, "levels"),
        (#"{"k":200,"n":2,"nan":0,"min":1,"max":2,"levels":[[1,"2"]]}"#, "levels[0][1]"),
        (#"{"k":200,"n":2,"nan":0,"min":1,"max":2,"levels":[[1,1e999]]}"#, "levels[0][1]"),
        (#"{"k":200,"n":2,"nan":0,"min":1,"max":2,"levels":[[1,5]]}"#, "levels[0][1]"),
        (#"{"k":200,"n":5,"nan":0,"min":1,"max":3,"levels":[[1],[3,2]]}"#, "levels[1][1]"),
        (#"{"k":200,"n":2,"nan":0,"min":1,"max":2,"levels":[[1]]}"#, "levels"),
        (#"{"k":200,"n":4,"nan":0,"min":1,"max":2,"levels":[[1],[2]]}"#, "levels"),
        (#"{"k":8,"n":9,"nan":0,"min":1,"max":1,"levels":[[1,1,1,1,1,1,1,1,1]]}"#, "levels[0]"),
        (#"{"k":200,"minK":300,"n":0,"nan":0,"min":null,"max":null,"levels":[[]]}"#, "minK"),
    ])
    func malformed(text: String, path: String) throws {
        let json = try JSONParser.parse(text)
        let error = #expect(throws: SketchDecodingError.self) { try QuantileSketch(json: json) }
        #expect(error?.path == path, "\(String(describing: error))")
        #expect(error?.message.isEmpty == false)
    }

    @Test("quantiles in one pass equal one quantile at a time")
    func batchQuantiles() {
        var sketch = QuantileSketch()
        sketch.insert(contentsOf: Distribution.heavyTailed.values(30_000))
        let fractions = [0, 0.001, 0.1, 0.3, 0.5, 0.7, 0.999, 1, -1, 2]
        let oneAtATime = fractions.compactMap { sketch.quantile($0) }
        #expect(oneAtATime.count == fractions.count)
        #expect(sketch.quantiles(fractions) == oneAtATime)
        #expect(sketch.quantiles([.nan])?[0].isNaN == true)
        #expect(QuantileSketch().quantiles([0.5]) == nil)
    }

    @Test("odd but valid decoded shapes (empty or full levels, k = 8 or 10) keep working through inserts and merges")
    func decodedShapes() throws {
        var random = SeededGenerator(seed: 21)
        for trial in 0..<200 {
            let k = [8, 10, 200][trial % 3]
            let levelCount = 1 + Int(random.next() % 6)
            var levels: [[Double]] = []
            var n = 0
            for level in 0..<levelCount {
                // Every capacity is at least 8, so up to 8 items a level always fits.
                var values = (0..<Int(random.next() % 9)).map { _ in Double(random.next() % 1_000) }
                if level > 0 { values.sort() }
                n += values.count << level
                levels.append(values)
            }
            let all = levels.flatMap { $0 }
            let text = """
                {"k":\(k),"n":\(n),"nan":0,"min":\(all.min().map { "\($0)" } ?? "null"),"max":\(all.max().map { "\($0)" } ?? "null"),\
                "levels":[\(levels.map { "[" + $0.map { "\($0)" }.joined(separator: ",") + "]" }.joined(separator: ","))]}
                """
            var sketch = try QuantileSketch(json: try JSONParser.parse(text))
            var other = try QuantileSketch(json: try JSONParser.parse(text))
            for _ in 0..<Int(random.next() % 3_000) { sketch.insert(random.unit() * 1_000) }
            other.merge(sketch)
            sketch.merge(other)
            let weights = sketch.weightedValues().reduce(0) { $0 + $1.weight }
            #expect(weights == sketch.count, "trial \(trial): \(text)")
            #expect(sketch.retainedCount <= 3 * k + 9 * sketch.levelCount, "trial \(trial)")
            #expect(try QuantileSketch(json: try JSONParser.parse(sketch.jsonValue().serialized())) == sketch)
        }
    }

    @Test("well-formed hand-written JSON decodes; a level of weight 2 counts twice")
    func handWritten() throws {
        let sketch = try QuantileSketch(json: try JSONParser.parse(#"{"k":200,"n":5,"nan":1,"min":0.5,"max":3,"levels":[[1],[2,3]]}"#))
        #expect(sketch.count == 5 && sketch.nanCount == 1 && !sketch.isExact)
        #expect(sketch.rank(2) == 0.6)
        #expect(sketch.quantile(0) == 0.5 && sketch.quantile(1) == 3)
        #expect(sketch.weightedValues().map(\.weight) == [1, 2, 2])
    }
}
