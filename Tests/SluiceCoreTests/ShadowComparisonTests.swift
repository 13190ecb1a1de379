import Foundation
import SluiceCore
import Testing

/// What a shadow tally measures of its pairs: output comparison, agreement at tolerances,
/// the MAE, latency quantiles and their ratio, and merging.
@Suite("shadow comparison and measures", .timeLimit(.minutes(10)))
struct ShadowComparisonTests {
    static func numbers(_ values: [Double]) -> [FeatureValue] { values.map { .number($0) } }

    @Test("categories: equal strings agree at any tolerance, different ones at none; they are outside the MAE")
    func categories() {
        let same = OutputComparison.compare(stable: [.category("setosa"), .category("virginica")], candidate: [.category("setosa"), .category("virginica")])
        #expect(same.sameShape && same.isEqual(within: 0) && !same.numeric && same.values == 0)
        let different = OutputComparison.compare(stable: [.category("setosa")], candidate: [.category("virginica")])
        #expect(different.sameShape && !different.isEqual(within: 1e300) && different.largestDifference == .infinity)
        let mixed = OutputComparison.compare(stable: [.category("1")], candidate: [.number(1)])
        #expect(!mixed.isEqual(within: 10) && !mixed.numeric)
    }

    @Test("numbers: the largest difference decides agreement, every difference adds to the MAE")
    func numbers() {
        let comparison = OutputComparison.compare(stable: Self.numbers([1, 2, 3]), candidate: Self.numbers([1.005, 2, 2.99]))
        #expect(comparison.sameShape && comparison.numeric && comparison.values == 3)
        #expect(abs(comparison.largestDifference - 0.01) < 1e-12)
        #expect(abs(comparison.absoluteErrorSum - 0.015) < 1e-12)
        #expect(!comparison.isEqual(within: 0) && !comparison.isEqual(within: 0.005) && comparison.isEqual(within: 0.0100001))
    }

    @Test("NaN: the same on both sides is no difference; on one side a disagreement outside the MAE, and the tally stays finite")
    func notANumber() throws {
        let both = OutputComparison.compare(stable: Self.numbers([.nan, 1]), candidate: Self.numbers([.nan, 1]))
        #expect(both.isEqual(within: 0) && both.numeric && both.absoluteErrorSum == 0)
        let one = OutputComparison.compare(stable: Self.numbers([.nan, 1]), candidate: Self.numbers([2, 1]))
        #expect(!one.isEqual(within: 1e300) && !one.numeric && one.values == 0)
        let infinite = OutputComparison.compare(stable: Self.numbers([.infinity]), candidate: Self.numbers([1]))
        #expect(!infinite.isEqual(within: 1e300) && !infinite.numeric)
        #expect(OutputComparison.compare(stable: Self.numbers([.infinity]), candidate: Self.numbers([.infinity])).isEqual(within: 0))
        var tally = ShadowTally(tolerances: [0])
        tally.record(.paired(one, candidateMicros: 1, stableMicros: 1))
        tally.record(.paired(OutputComparison.compare(stable: Self.numbers([-1e308]), candidate: Self.numbers([1e308])), candidateMicros: 1, stableMicros: 1))
        tally.record(.paired(OutputComparison.compare(stable: Self.numbers([1e308]), candidate: Self.numbers([0])), candidateMicros: 1, stableMicros: 1))
        tally.record(.paired(OutputComparison.compare(stable: Self.numbers([1e308]), candidate: Self.numbers([0])), candidateMicros: 1, stableMicros: 1))
        #expect(tally.absoluteErrorSum.isFinite)
        // What the data plane sends must encode as JSON, which has no NaN or infinity.
        _ = try JSONEncoder().encode(tally)
    }

    @Test("another length, or nothing to compare, is incomparable: a disagreement outside the MAE")
    func shapeMismatch() {
        #expect(OutputComparison.compare(stable: Self.numbers([1, 2]), candidate: Self.numbers([1])) == .incomparable)
        #expect(OutputComparison.compare(stable: [], candidate: []) == .incomparable)
        var tally = ShadowTally(tolerances: [0, 1])
        tally.record(.paired(.incomparable, candidateMicros: 5, stableMicros: 5))
        #expect(tally.pairs == 1 && tally.incomparable == 1 && tally.agreement(tolerance: 1) == 0 && tally.meanAbsoluteError == nil)
    }

    @Test("agreement at several tolerances and the MAE over a regression's pairs")
    func agreementAndMAE() throws {
        let offsets = [0.0, 0.004, 0.008, 0.02, 0.5]
        var tally = ShadowTally(tolerances: [0, 0.005, 0.01, 0.1])
        for offset in offsets {
            let comparison = OutputComparison.compare(stable: Self.numbers([10, 20]), candidate: Self.numbers([10 + offset, 20 - offset]))
            tally.record(.paired(comparison, candidateMicros: 10, stableMicros: 10))
        }
        #expect(tally.agreement(tolerance: 0) == 0.2)
        #expect(tally.agreement(tolerance: 0.005) == 0.4)
        #expect(tally.agreement(tolerance: 0.01) == 0.6)
        #expect(tally.agreement(tolerance: 0.1) == 0.8)
        #expect(tally.agreement(tolerance: 0.2) == nil, "a tolerance the data plane did not count")
        let mae = try #require(tally.meanAbsoluteError)
        #expect(abs(mae - offsets.reduce(0, +) / 5) < 1e-9)
        #expect(tally.comparedValues == 10)
        #expect(ShadowTally(tolerances: [0]).agreement(tolerance: 0) == nil, "no pairs: no share")
    }

    @Test("merging adds counts and keeps agreement at the tolerances both sides counted")
    func merge() throws {
        var first = ShadowTally(tolerances: [0, 0.01])
        first.copies = 4
        first.shed = 1
        first.record(.paired(OutputComparison.compare(stable: Self.numbers([1]), candidate: Self.numbers([1])), candidateMicros: 100, stableMicros: 50))
        first.record(.candidateFailed)
        var second = ShadowTally(tolerances: [0])
        second.copies = 2
        second.record(.paired(OutputComparison.compare(stable: Self.numbers([1]), candidate: Self.numbers([1.5])), candidateMicros: 300, stableMicros: 60))
        second.record(.stableFailed)
        var merged = first
        merged.merge(second)
        #expect(merged.copies == 6 && merged.shed == 1 && merged.answered == 4 && merged.pairs == 2)
        #expect(merged.candidateErrors == 1 && merged.stableFailed == 1 && merged.candidateErrorRate == 0.25)
        #expect(merged.agreements.map(\.tolerance) == [0] && merged.agreement(tolerance: 0) == 0.5)
        #expect(merged.meanAbsoluteError == 0.25)
        #expect(merged.candidateLatency.count == 2 && merged.stableLatency.count == 2)
        // An empty side takes the other's tolerances whole.
        var empty = ShadowTally(tolerances: [0.3])
        empty.merge(first)
        #expect(empty.agreements.map(\.tolerance) == [0, 0.01])
    }

    @Test("histogram quantiles are within one bucket of the exact quantiles of random data", arguments: [1, 2, 3])
    func quantiles(seed: UInt64) throws {
        var generator = SplitMix(seed: seed)
        var histogram = LatencyHistogram()
        var values: [UInt64] = []
        for _ in 0..<5000 {
            // Log-uniform from 1 µs to about 100 s, plus a cluster near 2 ms.
            let value = generator.next() % 4 == 0
                ? 1800 + generator.next() % 400
                : UInt64(pow(2, Double(generator.next() % 27_000) / 1000))
            values.append(value)
            histogram.record(micros: value)
        }
        values.sort()
        let bucketWidth = pow(2, 1 / LatencyHistogram.bucketsPerDoubling)
        for quantile in [0.01, 0.5, 0.9, 0.99, 0.999, 1] {
            let exact = Double(values[max(0, Int((quantile * Double(values.count)).rounded(.up)) - 1)])
            let estimate = try #require(histogram.quantileMicros(quantile))
            #expect(estimate / exact <= bucketWidth && exact / estimate <= bucketWidth, "q\(quantile): \(estimate) against \(exact)")
        }
        #expect(LatencyHistogram().quantileMicros(0.5) == nil)
    }

    @Test("latency ratio: the candidate's quantile over stable's, on the same pairs")
    func latencyRatio() throws {
        var tally = ShadowTally()
        #expect(tally.latencyRatio(quantile: 0.99) == nil)
        for index in 0..<100 {
            let stable = UInt64(1000 + index * 10)
            tally.record(.paired(.incomparable, candidateMicros: stable * 4, stableMicros: stable))
        }
        let ratio = try #require(tally.latencyRatio(quantile: 0.99))
        #expect(abs(ratio.ratio - 4) < 0.4, "\(ratio)")
        #expect(abs(ratio.stableMs - 1.98) < 0.2 && abs(ratio.candidateMs - 7.92) < 0.8)
        let median = try #require(tally.latencyRatio(quantile: 0.5))
        #expect(abs(median.ratio - 4) < 0.4)
    }
}
