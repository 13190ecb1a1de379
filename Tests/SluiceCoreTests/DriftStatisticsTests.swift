import Foundation
import SluiceCore
import Testing

/// Golden vectors from numpy and scipy (`Fixtures/drift/generate_golden.py`, output committed
/// as `golden.json`): 1e-12 for closed forms, 1e-9 for p-values. (The parsed fixture is
/// read-only after its first use, hence `nonisolated(unsafe)`.)
@Suite("drift statistics")
struct DriftStatisticsTests {
    nonisolated(unsafe) static let golden: [String: Any] = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/drift/golden.json")
        let data = (try? Data(contentsOf: url)) ?? Data()
        return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
    }()

    static func cases(_ key: String) -> [[String: Any]] { golden[key] as? [[String: Any]] ?? [] }

    func close(_ value: Double, _ expected: Double, _ tolerance: Double) -> Bool {
        abs(value - expected) <= tolerance * max(1, abs(expected))
    }

    func doubles(_ value: Any?) -> [Double] { (value as? [Any] ?? []).compactMap { ($0 as? NSNumber)?.doubleValue } }

    @Test("PSI with quantile bins frozen from the reference, under- and overflow, empty bins as epsilon")
    func psi() throws {
        let cases = Self.cases("psi")
        #expect(cases.count == 3)
        for item in cases {
            let reference = doubles(item["reference"])
            let current = doubles(item["current"])
            let value = DriftStatistics.psi(reference: reference, current: current)
            #expect(close(value, (item["psi"] as! NSNumber).doubleValue, 1e-12), "\(item["name"] ?? "")")
            if let edges = item["edges"] {
                #expect(DriftStatistics.quantileEdges(reference: reference) == doubles(edges))
            }
            if let counts = item["counts"] as? [Int] {
                #expect(DriftStatistics.histogram(current, edges: DriftStatistics.quantileEdges(reference: reference)) == counts)
            }
        }
        let empty = try #require(cases.first { $0["name"] as? String == "empty bins" })
        #expect((empty["counts"] as? [Int])?.contains(0) == true, "the case exercises an empty bin")
    }

    @Test("Jensen–Shannon distance in base e and base 2")
    func jensenShannon() {
        for item in Self.cases("jensen_shannon") {
            let base: Double = (item["base"] as? String) == "e" ? M_E : (item["base"] as! NSNumber).doubleValue
            let value = DriftStatistics.jensenShannonDistance(doubles(item["p"]), doubles(item["q"]), base: base)
            #expect(close(value, (item["distance"] as! NSNumber).doubleValue, 1e-12))
        }
        #expect(DriftStatistics.jensenShannonDistance([1, 0], [0, 1], base: 2) == 1, "disjoint supports are 1 apart in base 2")
    }

    @Test("Hellinger and Wasserstein distances")
    func distances() {
        for item in Self.cases("hellinger") {
            #expect(close(DriftStatistics.hellingerDistance(doubles(item["p"]), doubles(item["q"])), (item["distance"] as! NSNumber).doubleValue, 1e-12))
        }
        for item in Self.cases("wasserstein") {
            let u = doubles(item["u"])
            let v = doubles(item["v"])
            #expect(close(DriftStatistics.wasserstein(u, v), (item["distance"] as! NSNumber).doubleValue, 1e-12))
            #expect(close(DriftStatistics.normalizedWasserstein(reference: u, current: v) ?? .nan, (item["normalized"] as! NSNumber).doubleValue, 1e-12))
        }
        #expect(DriftStatistics.normalizedWasserstein(reference: [3, 3, 3], current: [1]) == nil, "a constant reference has no scale")
    }

    @Test("chi-square homogeneity, with a category absent from the reference, and goodness of fit")
    func chiSquare() {
        for item in Self.cases("chi_square_homogeneity") {
            let result = DriftStatistics.chiSquareHomogeneity(
                reference: item["reference"] as? [String: Int] ?? [:], current: item["current"] as? [String: Int] ?? [:])
            #expect(close(result.statistic, (item["statistic"] as! NSNumber).doubleValue, 1e-12))
            #expect(result.degreesOfFreedom == item["dof"] as? Int)
            #expect(close(result.pValue, (item["pValue"] as! NSNumber).doubleValue, 1e-9))
        }
        for item in Self.cases("chi_square_goodness_of_fit") {
            let result = DriftStatistics.chiSquareGoodnessOfFit(
                observed: item["observed"] as? [String: Int] ?? [:], expected: item["expected"] as? [String: Double] ?? [:])
            #expect(close(result.statistic, (item["statistic"] as! NSNumber).doubleValue, 1e-12))
            #expect(result.degreesOfFreedom == item["dof"] as? Int)
            #expect(close(result.pValue, (item["pValue"] as! NSNumber).doubleValue, 1e-9))
        }
    }

    @Test("the regularized upper incomplete gamma function matches scipy's gammaincc")
    func gamma() {
        for item in Self.cases("gamma_q") {
            let a = (item["a"] as! NSNumber).doubleValue
            let x = (item["x"] as! NSNumber).doubleValue
            #expect(close(SpecialFunctions.regularizedUpperGamma(a, x), (item["q"] as! NSNumber).doubleValue, 1e-12), "Q(\(a), \(x))")
        }
    }

    @Test("many features at once: Benjamini–Hochberg and Bonferroni")
    func multipleTesting() {
        let golden = Self.golden["benjamini_hochberg"] as? [String: Any] ?? [:]
        let adjusted = DriftStatistics.benjaminiHochberg(doubles(golden["p"]))
        for (value, expected) in zip(adjusted, doubles(golden["adjusted"])) { #expect(close(value, expected, 1e-12)) }
        #expect(adjusted.count == 7)
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
