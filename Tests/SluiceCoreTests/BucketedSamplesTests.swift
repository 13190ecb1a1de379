@testable import SluiceCore
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The bucket path (`BucketedSamples`) against the sort and compare paths it replaces: the KS
/// statistic, order statistics, quantile and frozen edges and bin counts must carry the same bits.
@Suite("bucketed samples", .timeLimit(.minutes(10)))
struct BucketedSamplesTests {
    /// Roughly normal values (sum of four uniforms, `SeededGenerator`), scaled and shifted.
    static func normal(_ count: Int, seed: UInt64, shift: Double = 0, scale: Double = 1) -> [Double] {
        var generator = SeededGenerator(seed: seed)
        var values: [Double] = []
        for _ in 0..<count {
            var sum = 0.0
            for _ in 0..<4 { sum += generator.unit() }
            values.append((sum - 2) * 1.7320508 * scale + shift)
        }
        return values
    }

    /// Named pairs the bucket path must handle: continuous, tied, few values, huge range.
    static var pairs: [(name: String, reference: [Double], current: [Double])] {
        let a = normal(20_000, seed: 1)
        var pairs: [(name: String, reference: [Double], current: [Double])] = [
            ("shifted, unequal sizes", a, normal(7_001, seed: 2, shift: 0.05, scale: 1.05)),
            ("same distribution", a, normal(20_000, seed: 3)),
            ("identical", a, a),
            ("small", Array(a.prefix(3)), normal(2, seed: 4)),
            ("ties: one decimal", a.map { ($0 * 10).rounded() / 10 }, normal(15_000, seed: 5, shift: 0.1).map { ($0 * 10).rounded() / 10 }),
            ("ties: 0/1", a.map { $0 > 0.5 ? 1 : 0 }, normal(9_000, seed: 6).map { $0 > 0.4 ? 1 : 0 }),
            ("ties: five integers", a.map { min(4, max(0, ($0 + 2).rounded())) }, normal(9_000, seed: 7, shift: 0.3).map { min(4, max(0, ($0 + 2).rounded())) }),
            ("huge range", a.map { $0 * 1e300 } + [1e-300, -1e-300, 0], normal(5_000, seed: 8).map { $0 < 0 ? -1e-200 : $0 * 1e299 }),
            ("one sample far from the other", a, normal(3_000, seed: 9, shift: 50)),
            ("signed zeros", a.map { $0 < 0 ? -0.0 : $0 }, normal(4_000, seed: 10).map { $0 < 0.2 ? 0.0 : $0 }),
        ]
        // Skewed: most values in the first buckets, radix-sorted there.
        pairs.append(("heavy tail", a.map { exp(3 * $0) }, normal(8_000, seed: 20, shift: 0.1).map { exp(3 * $0) }))
        pairs.append(("outliers stretch the range", a + [1e12], normal(6_000, seed: 21) + [-1e15, 3e14]))
        // Dense values: every bucket nonempty, gaps at many bucket ends tie.
        pairs.append(("dense grid", (0..<5_000).map { Double($0 % 1_000) }, (0..<6_000).map { Double(($0 * 7) % 1_200) }))
        return pairs
    }

    /// The statistic from sorted copies, as `KolmogorovSmirnov.twoSample` computed it before.
    func sortedStatistic(_ a: [Double], _ b: [Double]) -> Double {
        let x = a.sorted()
        let y = b.sorted()
        return x.withUnsafeBufferPointer { x in y.withUnsafeBufferPointer { y in KolmogorovSmirnov.statistic(sortedReference: x, sortedCurrent: y) } }
    }

    func bucketStatistic(_ a: [Double], _ b: [Double]) -> Double? {
        a.withUnsafeBufferPointer { x in b.withUnsafeBufferPointer { y in BucketedSamples.kolmogorovSmirnovStatistic(x, y) } }
    }

    @Test("the KS statistic from buckets is the sorted merge's, bit for bit")
    func kolmogorovSmirnov() throws {
        for (name, a, b) in Self.pairs {
            let expected = sortedStatistic(a, b)
            let bucketed = try #require(bucketStatistic(a, b), "\(name): buckets apply")
            #expect(bucketed.bitPattern == expected.bitPattern, "\(name): \(bucketed) vs \(expected)")
            #expect(bucketStatistic(b, a)?.bitPattern == sortedStatistic(b, a).bitPattern, "\(name), swapped")
            #expect(KolmogorovSmirnov.twoSample(a, b) == KolmogorovSmirnov.test(statistic: expected, n: a.count, m: b.count), "\(name)")
        }
        // Different samples must not all give 0: the comparison above can fail.
        #expect(bucketStatistic(Self.pairs[0].reference, Self.pairs[0].current) ?? 0 > 0.01)
    }

    @Test("the radix sort orders as the standard library's stable sort, bit for bit")
    func radixSort() {
        var values = Self.normal(5_000, seed: 22).map { $0 * 1e3 }
        values += Self.normal(3_000, seed: 23).map { ($0 * 4).rounded() / 4 }  // ties
        values += [0.0, -0.0, .infinity, -.infinity, .leastNonzeroMagnitude, -.greatestFiniteMagnitude, -0.0, 0.0]
        var generator = SeededGenerator(seed: 24)
        values.shuffle(using: &generator)
        var sorted = values
        sorted.withUnsafeMutableBufferPointer { RadixSort.sort($0) }
        #expect(sorted.map(\.bitPattern) == values.sorted().map(\.bitPattern))
    }

    @Test("constant, non-finite and one-value samples fall back to sorting, with the same result as before")
    func fallbacks() throws {
        let a = Self.normal(1_000, seed: 11)
        let cases: [(String, [Double], [Double])] = [
            ("constant", [2, 2, 2, 2], [2, 2, 2]),
            ("NaN", a + [.nan], Self.normal(900, seed: 12)),
            ("infinity", a, Self.normal(900, seed: 12) + [.infinity]),
            ("range overflows", a + [-1.7e308], [1.7e308, 0, 1]),
            ("one value", [0.5], a),
        ]
        for (name, x, y) in cases {
            #expect(bucketStatistic(x, y) == nil, "\(name)")
            let result = try #require(KolmogorovSmirnov.twoSample(x, y), "\(name)")
            let sorted = (x.sorted(), y.sorted())
            let expected = try #require(sorted.0.withUnsafeBufferPointer { p in
                sorted.1.withUnsafeBufferPointer { q in KolmogorovSmirnov.twoSample(sortedReference: p, sortedCurrent: q) }
            })
            #expect(result.statistic.bitPattern == expected.statistic.bitPattern, "\(name)")
            #expect(result.pValue.bitPattern == expected.pValue.bitPattern && result.method == expected.method, "\(name)")
        }
    }

    @Test("order statistics from buckets are the sorted sample's, signed zeros included")
    func orderStatistics() throws {
        for (name, values, _) in Self.pairs {
            let sorted = values.sorted()
            let ranks = Array(stride(from: 0, to: values.count, by: max(1, values.count / 97))) + [values.count - 1]
            guard let bucketed = values.withUnsafeBufferPointer({ BucketedSamples.orderStatistics($0, ranks: ranks) }) else {
                #expect(Set(values).count == 1, "\(name): only constant samples fall back")
                continue
            }
            #expect(bucketed.map(\.bitPattern) == ranks.map { sorted[$0].bitPattern }, "\(name)")
        }
        // −0 before +0 in input order stays so, as in the stable full sort.
        let zeros = [1.0, 0.0, -0.0, 0.0, -1, -0.0]
        let statistics = try #require(zeros.withUnsafeBufferPointer { BucketedSamples.orderStatistics($0, ranks: Array(0..<6)) })
        #expect(statistics.map(\.bitPattern) == zeros.sorted().map(\.bitPattern))
        #expect(statistics.map(\.sign) == [.minus, .plus, .minus, .plus, .minus, .plus])
    }

    /// `quantileEdges` as it was: NaNs dropped, a full sort, numpy's quantiles.
    func sortedQuantileEdges(_ reference: [Double], bins: Int) -> [Double] {
        let sorted = reference.filter { !$0.isNaN }.sorted()
        guard !sorted.isEmpty, bins > 0 else { return [] }
        var edges: [Double] = []
        for index in 0...bins {
            let edge = DriftStatistics.quantile(sorted: sorted, Double(index) / Double(bins))
            if edges.last != edge { edges.append(edge) }
        }
        return edges
    }

    /// `frozenEdges` of raw values as it was, on a sorted copy.
    func sortedFrozenEdges(_ values: [Double], bins: Int) -> [Double] {
        var distinct: [Double] = []
        let sorted = values.filter { !$0.isNaN }.sorted()
        for value in sorted where distinct.last != value {
            distinct.append(value)
            if distinct.count > bins { break }
        }
        var edges = distinct.count > bins ? sortedQuantileEdges(sorted, bins: bins) : distinct
        if let last = edges.last, edges.count == 1 || distinct.count <= bins { edges.append(last) }
        return edges
    }

    @Test("quantile and frozen edges without a sort are the sorted ones, NaNs and all")
    func edges() throws {
        var samples = Self.pairs.map { ($0.name, $0.reference) }
        samples += [
            ("NaNs", Self.normal(3_000, seed: 13).map { $0 > 1.5 ? .nan : $0 }),
            ("constant", [3, 3, 3, 3]),
            ("infinities", Self.normal(3_000, seed: 14) + [.infinity, -.infinity]),
            ("exactly ten values", (0..<500).map { Double($0 % 10) }),
            ("eleven values", (0..<500).map { Double($0 % 11) * 0.5 }),
            ("only NaN", [.nan, .nan]),
            ("empty", []),
        ]
        for (name, values) in samples {
            for bins in [1, 4, 10, 100] {
                #expect(DriftStatistics.quantileEdges(reference: values, bins: bins).map(\.bitPattern)
                    == sortedQuantileEdges(values, bins: bins).map(\.bitPattern), "\(name), \(bins) bins")
                #expect(DriftComparator.frozenEdges(.numericSample(values), bins: bins).map(\.bitPattern)
                    == sortedFrozenEdges(values, bins: bins).map(\.bitPattern), "\(name), \(bins) bins")
            }
        }
        #expect(DriftComparator.frozenEdges(.numericSample([2, -0.0, 1, 0.0, 2]), bins: 10).map(\.bitPattern) == [-0.0, 1, 2, 2].map(\.bitPattern))
    }

    /// `histogram` as it was: each value placed by comparisons with the edges.
    func comparedHistogram(_ values: [Double], edges: [Double]) -> [Int] {
        guard edges.count >= 1 else { return [values.count] }
        var counts = [Int](repeating: 0, count: edges.count == 1 ? 3 : edges.count + 1)
        for value in values where !value.isNaN {
            if value < edges[0] {
                counts[0] += 1
            } else if value > edges[edges.count - 1] {
                counts[counts.count - 1] += 1
            } else if edges.count == 1 {
                counts[1] += 1
            } else {
                var low = 0
                var high = edges.count - 1
                while high - low > 1 {
                    let middle = (low + high) / 2
                    if value >= edges[middle] { low = middle } else { high = middle }
                }
                counts[1 + low] += 1
            }
        }
        return counts
    }

    @Test("bin counts through the bucket table are the compared ones, for any edges")
    func histogram() throws {
        var samples = Self.pairs.map { ($0.name, $0.current) }
        samples += [("NaNs", Self.normal(3_000, seed: 17).map { $0 > 1.5 ? .nan : $0 }), ("infinity", [1, 2, .infinity, 3])]
        for (name, values) in samples {
            let finite = values.filter(\.isFinite)
            let low = finite.min() ?? 0
            let high = finite.max() ?? 1
            let edgeSets: [[Double]] = [
                sortedQuantileEdges(values, bins: 10),
                sortedFrozenEdges(values, bins: 10),
                sortedQuantileEdges(Self.normal(2_000, seed: 18, shift: 0.3), bins: 20),
                [low], [high], [(low + high) / 2], [low - 1], [high + 1],
                [low, high], [low, low, high, high], [-.infinity, 0, .infinity], [high + 1, high + 2], [low - 2, low - 1],
                Array(finite.prefix(7)).sorted(),
                [2, 1, 3],  // unsorted: compared one by one
                [0, .nan],
            ]
            for edges in edgeSets {
                #expect(DriftStatistics.histogram(values, edges: edges) == comparedHistogram(values, edges: edges), "\(name), edges \(edges)")
            }
        }
        // The table path applies to finite samples with sorted edges (and so can be wrong).
        let values = Self.normal(5_000, seed: 19)
        #expect(values.withUnsafeBufferPointer { BucketedSamples.histogram($0, edges: [-1, 0, 1]) } != nil)
        #expect(values.withUnsafeBufferPointer { BucketedSamples.histogram($0, edges: [1, 0]) } == nil)
    }

    @Test("ks and psi scores on raw values with NaNs equal the sorted computation")
    func comparatorScores() throws {
        let a = Self.normal(5_000, seed: 15).map { $0 > 2 ? .nan : $0 }
        let b = Self.normal(4_000, seed: 16, shift: 0.1).map { $0 < -2 ? .nan : $0 }
        let ks = try DriftComparator.score(feature: "x", reference: .numericSample(a), current: .numericSample(b), test: .ks, threshold: nil)
        let x = a.filter { !$0.isNaN }
        let y = b.filter { !$0.isNaN }
        let expected = KolmogorovSmirnov.test(statistic: sortedStatistic(x, y), n: x.count, m: y.count)
        #expect(ks.referenceCount == x.count && ks.currentCount == y.count && x.count < a.count)
        #expect(ks.statistic?.bitPattern == expected.statistic.bitPattern)
        #expect(ks.pValue?.bitPattern == expected.pValue.bitPattern)
        let psi = try DriftComparator.score(feature: "x", reference: .numericSample(a), current: .numericSample(b), test: .psi, threshold: nil)
        let edges = sortedQuantileEdges(a, bins: 10)
        let proportions = { (values: [Double]) in DriftStatistics.proportions(DriftStatistics.histogram(values, edges: edges)) }
        #expect(psi.value?.bitPattern == DriftStatistics.psi(expected: proportions(a), actual: proportions(b)).bitPattern)
    }
}
