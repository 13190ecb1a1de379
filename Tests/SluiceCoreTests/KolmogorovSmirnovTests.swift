import Foundation
import SluiceCore
import Testing

/// The two-sample Kolmogorov–Smirnov test against scipy's `ks_2samp` (golden vectors in
/// `Fixtures/drift/golden.json`, sections "ks" and "ks_pvalue"): statistic to 1e-12,
/// p-value to 1e-9 relative, and the same method.
@Suite("Kolmogorov–Smirnov", .timeLimit(.minutes(10)))
struct KolmogorovSmirnovTests {
    static func cases(_ key: String, count: Int) throws -> [[String: Any]] { try DriftStatisticsTests.cases(key, count: count) }

    func number(_ value: Any?) -> Double { (value as? NSNumber)?.doubleValue ?? .nan }

    /// Relative, so a p-value of 1e-50 must match to 1e-59; zero must be zero.
    func relativelyClose(_ value: Double, _ expected: Double, _ tolerance: Double = 1e-9) -> Bool {
        expected == 0 ? value == 0 : abs(value - expected) <= tolerance * abs(expected)
    }

    func viaSortedBuffers(_ reference: [Double], _ current: [Double]) -> KolmogorovSmirnov.Result? {
        let a = reference.sorted()
        let b = current.sorted()
        return a.withUnsafeBufferPointer { x in b.withUnsafeBufferPointer { y in KolmogorovSmirnov.twoSample(sortedReference: x, sortedCurrent: y) } }
    }

    @Test("samples: equal and unequal sizes, ties, tiny, identical, large (asymptotic)")
    func samples() throws {
        let cases = try Self.cases("ks", count: 12)
        #expect(Set(cases.map { $0["method"] as? String }) == ["exact", "asymptotic"], "both methods are covered")
        for item in cases {
            let name = item["name"] as? String ?? ""
            let reference = try DriftStatisticsTests.doubles(item, "reference")
            let current = try DriftStatisticsTests.doubles(item, "current")
            let result = try #require(KolmogorovSmirnov.twoSample(reference, current), "\(name)")
            #expect(abs(result.statistic - number(item["statistic"])) <= 1e-12, "\(name)")
            #expect(relativelyClose(result.pValue, number(item["pValue"])), "\(name): \(result.pValue)")
            #expect(result.method.rawValue == item["method"] as? String, "\(name)")
            #expect(viaSortedBuffers(reference, current) == result, "both entry points agree: \(name)")
            #expect(KolmogorovSmirnov.pValue(statistic: result.statistic, n: reference.count, m: current.count).pValue == result.pValue)
            if let asymptotic = item["asymptoticPValue"] {
                let forced = KolmogorovSmirnov.test(statistic: result.statistic, n: reference.count, m: current.count, method: .asymptotic)
                #expect(relativelyClose(forced.pValue, number(asymptotic), 1e-9), "\(name) asymptotic: \(forced.pValue)")
                #expect(forced.method == .asymptotic)
            }
        }
    }

    @Test("p-values for a statistic and sizes, through every branch scipy takes")
    func pValues() throws {
        let cases = try Self.cases("ks_pvalue", count: 29)
        #expect(Set(cases.map { $0["method"] as? String }) == ["exact", "asymptotic"], "both branches are covered")
        for item in cases {
            let d = try DriftStatisticsTests.number(item, "d")
            let n = try #require(item["n"] as? Int)
            let m = try #require(item["m"] as? Int)
            let (p, method) = KolmogorovSmirnov.pValue(statistic: d, n: n, m: m)
            #expect(relativelyClose(p, number(item["pValue"])), "d=\(d) n=\(n) m=\(m): \(p)")
            #expect(method.rawValue == item["method"] as? String, "d=\(d) n=\(n) m=\(m)")
            #expect(abs(KolmogorovSmirnov.test(statistic: d, n: n, m: m).statistic - number(item["statistic"])) <= 1e-12)
        }
    }

    @Test("exact and asymptotic p-values can fall on opposite sides of α = 0.05; auto picks exact")
    func exactAndAsymptoticDisagree() throws {
        let item = try #require(try Self.cases("ks", count: 12).first { $0["name"] as? String == "exact and asymptotic disagree at 0.05" })
        let reference = try DriftStatisticsTests.doubles(item, "reference")
        let current = try DriftStatisticsTests.doubles(item, "current")
        let result = try #require(KolmogorovSmirnov.twoSample(reference, current))
        let asymptotic = KolmogorovSmirnov.test(statistic: result.statistic, n: reference.count, m: current.count, method: .asymptotic)
        #expect(result.method == .exact)
        #expect(result.pValue > 0.05, "exact: no drift at α = 0.05")
        #expect(asymptotic.pValue <= 0.05, "asymptotic: drift at α = 0.05")
        #expect(relativelyClose(asymptotic.pValue, number(item["asymptoticPValue"])))
    }

    @Test("an empty sample has no result")
    func empty() {
        #expect(KolmogorovSmirnov.twoSample([], [1, 2]) == nil)
        #expect(KolmogorovSmirnov.twoSample([1, 2], []) == nil)
        #expect(viaSortedBuffers([], []) == nil)
        #expect(viaSortedBuffers([3], []) == nil)
    }

    @Test("range and comparator: D in 0…1 grows with the shift, p in 0…1 falls; drift when p ≤ α")
    func rangeAndComparator() throws {
        let base = (0..<200).map { Double($0) / 10 }
        var previous = try #require(KolmogorovSmirnov.twoSample(base, base))
        #expect(previous.statistic == 0 && previous.pValue == 1, "identical samples")
        for shift in [1.0, 3.0, 6.0, 12.0, 25.0] {
            let result = try #require(KolmogorovSmirnov.twoSample(base, base.map { $0 + shift }))
            #expect((0...1).contains(result.statistic) && (0...1).contains(result.pValue))
            #expect(result.statistic > previous.statistic && result.pValue < previous.pValue, "shift \(shift)")
            previous = result
        }
        #expect(previous.statistic == 1 && previous.pValue <= 0.05, "disjoint samples are as different as can be")
        // Past 10 000 values a side the asymptotic distribution takes over, as in scipy.
        let large = (0..<10_001).map { Double($0) }
        #expect(KolmogorovSmirnov.twoSample(large, large.map { $0 + 500 })?.method == .asymptotic)
        #expect(KolmogorovSmirnov.twoSample(Array(large.dropLast()), large.map { $0 + 500 })?.method == .asymptotic)
        #expect(KolmogorovSmirnov.twoSample(Array(large.dropLast()), Array(large.dropLast()))?.method == .exact)
    }

    @Test("the statistic: ties count every equal value at once; sizes need not match")
    func statistic() {
        func d(_ a: [Double], _ b: [Double]) -> Double {
            a.withUnsafeBufferPointer { x in b.withUnsafeBufferPointer { y in KolmogorovSmirnov.statistic(sortedReference: x, sortedCurrent: y) } }
        }
        #expect(d([1, 1, 1], [1]) == 0, "all tied")
        #expect(d([1, 2], [2, 3]) == 0.5)
        #expect(d([1, 2, 3, 4], [4]) == 0.75)
        #expect(d([5], [1, 2, 3, 4]) == 1)
        #expect(d([], [1]) == 0)
    }

    @Test("the Kolmogorov distribution's survival function at its support's ends")
    func kolmogorovSurvival() {
        #expect(KolmogorovSmirnov.kolmogorovTwoSidedSurvival(d: 1, n: 50) == 0)
        #expect(KolmogorovSmirnov.kolmogorovTwoSidedSurvival(d: 0.01, n: 50) == 1, "below 1/2n")
        #expect(KolmogorovSmirnov.kolmogorovTwoSidedSurvival(d: 0.2, n: 0).isNaN)
        let p = KolmogorovSmirnov.kolmogorovTwoSidedSurvival(d: 0.2, n: 50)
        #expect(p > 0 && p < 1)
    }
}
