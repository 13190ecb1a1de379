import Foundation
import SluiceCore
import Testing

/// Golden vectors from numpy and scipy (`Fixtures/drift/generate_golden.py`, output committed
/// as `golden.json`): 1e-12 for closed forms, 1e-9 for p-values. (The parsed fixture is
/// read-only after its first use, hence `nonisolated(unsafe)`.)
@Suite("drift statistics", .timeLimit(.minutes(10)))
struct DriftStatisticsTests {
    /// The golden file, parsed; a missing or unreadable file fails the test that reads it.
    static func golden() throws -> [String: Any] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/drift/golden.json")
        let parsed = try JSONSerialization.jsonObject(with: try Data(contentsOf: url))
        return try #require(parsed as? [String: Any], "golden.json is not an object")
    }

    /// The cases of one section, which must hold exactly `count` of them: a renamed key or a
    /// regenerated file with fewer cases fails instead of looping zero times.
    static func cases(_ key: String, count: Int) throws -> [[String: Any]] {
        let cases = try #require(try golden()[key] as? [[String: Any]], "golden.json has no section \(key)")
        try #require(cases.count == count, "golden.json's \(key) has \(cases.count) cases, expected \(count)")
        return cases
    }

    /// A number of a golden case; a missing or non-numeric field fails the test.
    static func number(_ item: [String: Any], _ key: String) throws -> Double {
        try #require(item[key] as? NSNumber, "no number \(key) in \(item)").doubleValue
    }

    /// A list of numbers of a golden case, which must be there and not empty.
    static func doubles(_ item: [String: Any], _ key: String) throws -> [Double] {
        let list = try #require(item[key] as? [NSNumber], "no list of numbers \(key) in \(item)")
        try #require(!list.isEmpty, "\(key) is empty")
        return list.map(\.doubleValue)
    }

    func close(_ value: Double, _ expected: Double, _ tolerance: Double) -> Bool {
        abs(value - expected) <= tolerance * max(1, abs(expected))
    }

    @Test("PSI with quantile bins frozen from the reference, under- and overflow, empty bins as epsilon")
    func psi() throws {
        let cases = try Self.cases("psi", count: 3)
        for item in cases {
            let reference = try Self.doubles(item, "reference")
            let current = try Self.doubles(item, "current")
            let value = DriftStatistics.psi(reference: reference, current: current)
            #expect(close(value, try Self.number(item, "psi"), 1e-12), "\(item["name"] ?? "")")
            if item["edges"] != nil {
                #expect(DriftStatistics.quantileEdges(reference: reference) == (try Self.doubles(item, "edges")))
            }
            if let counts = item["counts"] as? [Int] {
                #expect(DriftStatistics.histogram(current, edges: DriftStatistics.quantileEdges(reference: reference)) == counts)
            }
        }
        #expect(cases.filter { $0["edges"] != nil }.count == 1 && cases.filter { $0["counts"] != nil }.count == 2, "edges and counts are checked")
        let empty = try #require(cases.first { $0["name"] as? String == "empty bins" })
        #expect((empty["counts"] as? [Int])?.contains(0) == true, "the case exercises an empty bin")
    }

    @Test("Jensen–Shannon distance in base e and base 2")
    func jensenShannon() throws {
        let cases = try Self.cases("jensen_shannon", count: 3)
        for item in cases {
            let base: Double = (item["base"] as? String) == "e" ? M_E : try Self.number(item, "base")
            let value = DriftStatistics.jensenShannonDistance(try Self.doubles(item, "p"), try Self.doubles(item, "q"), base: base)
            #expect(close(value, try Self.number(item, "distance"), 1e-12))
        }
        #expect(Set(cases.map { "\($0["base"] ?? "")" }).count >= 2, "more than one base")
        #expect(DriftStatistics.jensenShannonDistance([1, 0], [0, 1], base: 2) == 1, "disjoint supports are 1 apart in base 2")
    }

    @Test("Hellinger and Wasserstein distances")
    func distances() throws {
        for item in try Self.cases("hellinger", count: 1) {
            #expect(close(DriftStatistics.hellingerDistance(try Self.doubles(item, "p"), try Self.doubles(item, "q")), try Self.number(item, "distance"), 1e-12))
        }
        for item in try Self.cases("wasserstein", count: 1) {
            let u = try Self.doubles(item, "u")
            let v = try Self.doubles(item, "v")
            #expect(close(DriftStatistics.wasserstein(u, v), try Self.number(item, "distance"), 1e-12))
            let normalized = try #require(DriftStatistics.normalizedWasserstein(reference: u, current: v))
            #expect(close(normalized, try Self.number(item, "normalized"), 1e-12))
        }
        #expect(DriftStatistics.normalizedWasserstein(reference: [3, 3, 3], current: [1]) == nil, "a constant reference has no scale")
    }

    @Test("chi-square homogeneity, with a category absent from the reference, and goodness of fit")
    func chiSquare() throws {
        let homogeneity = try Self.cases("chi_square_homogeneity", count: 2)
        for item in homogeneity {
            let reference = try #require(item["reference"] as? [String: Int])
            let current = try #require(item["current"] as? [String: Int])
            let result = DriftStatistics.chiSquareHomogeneity(reference: reference, current: current)
            #expect(close(result.statistic, try Self.number(item, "statistic"), 1e-12))
            #expect(result.degreesOfFreedom == item["dof"] as? Int)
            #expect(close(result.pValue, try Self.number(item, "pValue"), 1e-9))
        }
        #expect(homogeneity.contains { item in
            let reference = item["reference"] as? [String: Int] ?? [:]
            return (item["current"] as? [String: Int] ?? [:]).keys.contains { reference[$0] == nil }
        }, "a case has a category absent from the reference")
        for item in try Self.cases("chi_square_goodness_of_fit", count: 1) {
            let observed = try #require(item["observed"] as? [String: Int])
            let expected = try #require(item["expected"] as? [String: Double])
            let result = DriftStatistics.chiSquareGoodnessOfFit(observed: observed, expected: expected)
            #expect(close(result.statistic, try Self.number(item, "statistic"), 1e-12))
            #expect(result.degreesOfFreedom == item["dof"] as? Int)
            #expect(close(result.pValue, try Self.number(item, "pValue"), 1e-9))
        }
    }

    @Test("the regularized upper incomplete gamma function matches scipy's gammaincc")
    func gamma() throws {
        for item in try Self.cases("gamma_q", count: 7) {
            let a = try Self.number(item, "a")
            let x = try Self.number(item, "x")
            #expect(close(SpecialFunctions.regularizedUpperGamma(a, x), try Self.number(item, "q"), 1e-12), "Q(\(a), \(x))")
        }
    }

    @Test("many features at once: Benjamini–Hochberg and Bonferroni")
    func multipleTesting() throws {
        let golden = try #require(try Self.golden()["benjamini_hochberg"] as? [String: Any])
        let p = try Self.doubles(golden, "p")
        let expected = try Self.doubles(golden, "adjusted")
        try #require(p.count == 7 && expected.count == 7)
        let adjusted = DriftStatistics.benjaminiHochberg(p)
        #expect(adjusted.count == 7)
        for (value, expected) in zip(adjusted, expected) { #expect(close(value, expected, 1e-12)) }
        #expect(DriftStatistics.bonferroni([0.01, 0.2, 0.6]) == [0.03, 0.6000000000000001, 1])
    }

    @Test("a constant reference has one edge: below, equal and above it are three bins summing to the count")
    func singleEdge() {
        #expect(DriftStatistics.histogram([4, 5, 5, 6, 7], edges: [5]) == [1, 2, 2])
        #expect(DriftStatistics.histogram([5, 5], edges: [5]) == [0, 2, 0])
        #expect(DriftStatistics.psi(reference: [5, 5, 5, 5], current: [5, 5, 5, 5]) == 0)
        #expect(DriftStatistics.psi(reference: [5, 5, 5, 5], current: [4, 5, 6, 7]) > 1)
    }
}
