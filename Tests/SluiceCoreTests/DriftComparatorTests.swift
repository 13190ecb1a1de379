import Foundation
import SluiceCore
import Testing

/// The comparator's rules: exact results checked against scipy, sketches with error bounds,
/// the resolution rule, insufficient data, defaults, mismatched kinds, many features.
///
/// Golden numbers: scipy 1.x / numpy on the same integer-derived data (`reference`,
/// `shifted`, `same` below), e.g. `stats.ks_2samp(reference, shifted)`,
/// `stats.wasserstein_distance(reference, shifted) / np.std(reference)`,
/// `stats.chi2_contingency(table, correction=False)` and
/// `distance.jensenshannon(p, q)` over the frozen bins.
@Suite("drift comparator", .timeLimit(.minutes(10)))
struct DriftComparatorTests {
    static let reference = (0..<300).map { Double(($0 * 37) % 101) / 10 }
    static let shifted = (0..<250).map { Double(($0 * 53) % 97) / 10 + 1.5 }
    static let same = (0..<280).map { Double(($0 * 41) % 101) / 10 }

    func close(_ value: Double?, _ expected: Double, _ tolerance: Double = 1e-12) -> Bool {
        guard let value else { return false }
        return abs(value - expected) <= tolerance * max(1, abs(expected))
    }

    func score(_ test: DriftTest?, _ current: [Double], threshold: Double? = nil, minCount: Int = 100) throws -> DriftScore {
        try DriftComparator.score(
            feature: "x", reference: .numericSample(Self.reference), current: .numericSample(current),
            test: test, threshold: threshold, minCount: minCount)
    }

    @Test("raw values: every numeric test matches scipy and numpy")
    func exactNumericTests() throws {
        let ks = try score(.ks, Self.shifted)
        #expect(ks.statistic == 0.15)
        #expect(close(ks.pValue, 0.0038465915857692212, 1e-9))
        #expect(ks.value == ks.pValue && ks.verdict == .drift && ks.errorBound == nil)
        #expect(ks.judgedBy == "p-value (exact)" && ks.comparator == "p ≤ α" && ks.threshold == 0.05)
        #expect(try score(.ks, Self.same).verdict == .noDrift)
        #expect(close(try score(.ks, Self.same).pValue, 1.0))

        #expect(close(try score(.psi, Self.shifted).value, 1.4665353208364589))
        #expect(close(try score(.psi, Self.same).value, 0.0022859382721753855))
        #expect(close(try score(.jensenShannon, Self.shifted).value, 0.2736964608727856))
        #expect(close(try score(.hellinger, Self.shifted).value, 0.32685794178853256))
        #expect(close(try score(.wasserstein, Self.shifted).value, 0.4325602738841735))
        #expect(close(try score(.wasserstein, Self.same).value, 0.0069886827586341784))
        let chi = try score(.chiSquare, Self.shifted)
        #expect(close(chi.statistic, 60.3904365079365))
        #expect(close(chi.pValue, 3.0571130718723285e-09, 1e-9))
        #expect(close(try score(.chiSquare, Self.same).pValue, 0.9999949150862372, 1e-9))
        for test in [DriftTest.psi, .jensenShannon, .hellinger, .wasserstein, .chiSquare, .ks] {
            #expect(try score(test, Self.shifted).verdict == .drift, "\(test)")
            #expect(try score(test, Self.same).verdict == .noDrift, "\(test)")
        }
    }

    @Test("auto picks ks for values, psi for bins, chi_square for categories; thresholds default per test")
    func defaults() throws {
        #expect(try score(nil, Self.shifted).test == .ks)
        let binned = FeatureData.binned(edges: [0, 5, 10], proportions: [0, 0.5, 0.5, 0], count: 200)
        #expect(DriftComparator.automaticTest(reference: binned, current: .numericSample([1])) == .psi)
        #expect(DriftComparator.automaticTest(reference: .numericSample([1]), current: binned) == .psi)
        #expect(DriftComparator.automaticTest(reference: .categorical(counts: ["a": 1]), current: .categorical(counts: [:])) == .chiSquare)
        let expected: [DriftTest: Double] = [.psi: 0.2, .ks: 0.05, .chiSquare: 0.05, .jensenShannon: 0.1, .wasserstein: 0.1, .hellinger: 0.1]
        for (test, threshold) in expected {
            #expect(DriftComparator.defaultThreshold(for: test) == threshold)
            #expect(try score(test, Self.same).threshold == threshold)
        }
        // A stricter threshold changes the verdict: PSI 0.0023 is drift at 0.001.
        #expect(try score(.psi, Self.same, threshold: 0.001).verdict == .drift)
        #expect(abs(DriftComparator.criticalDistance(alpha: 0.05, n: 1, m: 1) / 2.squareRoot() - 1.3581) < 1e-4)
    }

    @Test("fewer than minCount values on a side is insufficient data, never no drift")
    func insufficientData() throws {
        let few = try score(.ks, Array(Self.same.prefix(40)))
        #expect(few.verdict == .insufficientData)
        #expect(few.pValue != nil, "still computed, for information")
        #expect(few.judgedBy == "insufficient data: the current data has 40 values; at least 100 needed")
        #expect(try score(.ks, Array(Self.same.prefix(40)), minCount: 40).verdict == .noDrift)
        let empty = try score(.psi, [], minCount: 0)
        #expect(empty.verdict == .insufficientData && empty.value == nil && empty.currentCount == 0)
        let nans = try score(.ks, [.nan, .nan], minCount: 0)
        #expect(nans.currentCount == 0 && nans.verdict == .insufficientData)
    }

    @Test("a sketch that never compacted gives the exact answer")
    func exactSketch() throws {
        var sketch = QuantileSketch(k: 1000)
        sketch.insert(contentsOf: Self.shifted)
        #expect(sketch.isExact)
        let result = try DriftComparator.score(
            feature: "x", reference: .numericSample(Self.reference), current: .numericSketch(sketch), test: .ks, threshold: nil)
        #expect(result.statistic == 0.15)
        #expect(close(result.pValue, 0.0038465915857692212, 1e-9))
        #expect(result.errorBound == nil)
        let wasserstein = try DriftComparator.score(
            feature: "x", reference: .numericSketch(sketch), current: .numericSample(Self.reference), test: .wasserstein, threshold: nil)
        let exact = try DriftComparator.score(
            feature: "x", reference: .numericSample(Self.shifted), current: .numericSample(Self.reference), test: .wasserstein, threshold: nil)
        #expect(close(wasserstein.value, exact.value ?? .nan))
    }

    /// Deterministic pseudo-normal values (sum of 4 uniforms from an LCG), shifted by `shift`.
    static func normalish(_ count: Int, seed: UInt64, shift: Double = 0) -> [Double] {
        var state = seed
        var values: [Double] = []
        values.reserveCapacity(count)
        for _ in 0..<count {
            var sum = 0.0
            for _ in 0..<4 {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                sum += Double(state >> 11) / Double(1 << 53)
            }
            values.append((sum - 2) * 1.7320508 + shift)
        }
        return values
    }

    static func sketch(_ values: [Double]) -> QuantileSketch {
        var sketch = QuantileSketch()
        sketch.insert(contentsOf: values)
        return sketch
    }

    @Test("ks with a sketch: D within the error bound, p-value while the error is below the test's resolution")
    func sketchWithinResolution() throws {
        let reference = Self.normalish(2_000, seed: 1)
        let current = Self.normalish(2_000, seed: 2, shift: 0.2)
        let sketch = Self.sketch(reference)
        #expect(!sketch.isExact)
        let estimated = try DriftComparator.score(feature: "x", reference: .numericSketch(sketch), current: .numericSample(current), test: .ks, threshold: nil)
        let exact = try DriftComparator.score(feature: "x", reference: .numericSample(reference), current: .numericSample(current), test: .ks, threshold: nil)
        let bound = try #require(estimated.errorBound)
        #expect(bound == sketch.normalizedRankError)
        #expect(bound < DriftComparator.criticalDistance(alpha: 0.05, n: 2_000, m: 2_000))
        #expect(abs((estimated.statistic ?? 9) - (exact.statistic ?? 0)) <= bound)
        #expect(estimated.pValue != nil && estimated.comparator == "p ≤ α")
        #expect(estimated.judgedBy.hasPrefix("p-value (exact, D estimated from a sketch ± 0.01"))
        #expect(estimated.verdict == exact.verdict && exact.verdict == .drift)
    }

    @Test("ks with sketches too coarse for the sample sizes is judged by distance (D ≥ 0.1)")
    func sketchBeyondResolution() throws {
        let reference = Self.sketch(Self.normalish(200_000, seed: 3))
        let same = Self.sketch(Self.normalish(200_000, seed: 4))
        let shifted = Self.sketch(Self.normalish(200_000, seed: 5, shift: 0.5))
        let calm = try DriftComparator.score(feature: "x", reference: .numericSketch(reference), current: .numericSketch(same), test: .ks, threshold: nil)
        let error = reference.normalizedRankError + same.normalizedRankError
        #expect(calm.errorBound == error)
        #expect(calm.pValue == nil && calm.comparator == "≥" && calm.threshold == 0.1)
        #expect(calm.value == calm.statistic && (calm.value ?? 1) < 0.03)
        #expect(calm.verdict == .noDrift)
        #expect(calm.judgedBy == "distance: sketch error 0.02659 exceeds the test's resolution 0.004295 at α = 0.05 (n = 200000, m = 200000), so the p-value is meaningless; drift when D ≥ 0.1")
        let drifted = try DriftComparator.score(feature: "x", reference: .numericSketch(reference), current: .numericSketch(shifted), test: .ks, threshold: nil)
        #expect(drifted.verdict == .drift && (drifted.value ?? 0) > 0.15)
        // The Wasserstein estimate carries its own bound and lands near the shift (0.5 std).
        let wasserstein = try DriftComparator.score(feature: "x", reference: .numericSketch(reference), current: .numericSketch(shifted), test: .wasserstein, threshold: nil)
        #expect(abs((wasserstein.value ?? 0) - 0.5) < 0.02)
        #expect((wasserstein.errorBound ?? 0) > 0 && wasserstein.judgedBy.hasPrefix("distance (estimated from a sketch ± "))
        // Binned tests on sketches report each bin's proportion error.
        let psi = try DriftComparator.score(feature: "x", reference: .numericSketch(reference), current: .numericSketch(shifted), test: .psi, threshold: nil)
        #expect(psi.errorBound == 2 * reference.normalizedHistogramError && psi.verdict == .drift)
    }

    @Test("a binned reference is compared on its own edges; ks and wasserstein refuse bins")
    func binnedReference() throws {
        let edges = DriftStatistics.quantileEdges(reference: Self.reference)
        let counts = DriftStatistics.histogram(Self.reference, edges: edges)
        let binned = FeatureData.binned(edges: edges, proportions: counts.map { Double($0) / 300 }, count: 300)
        let psi = try DriftComparator.score(feature: "x", reference: binned, current: .numericSample(Self.shifted), test: nil, threshold: nil)
        #expect(psi.test == .psi && close(psi.value, 1.4665353208364589, 1e-9))
        let chi = try DriftComparator.score(feature: "x", reference: binned, current: .numericSample(Self.shifted), test: .chiSquare, threshold: nil)
        #expect(close(chi.statistic, 60.3904365079365, 1e-9))
        do {
            _ = try DriftComparator.score(feature: "amount", reference: binned, current: .numericSample(Self.shifted), test: .ks, threshold: nil)
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .unsupportedTest)
            #expect(error.description == "feature 'amount': ks needs raw values or a sketch on both sides, and the reference has numeric bins (edges and proportions, no values); use psi, jensen_shannon, hellinger or chi_square, or keep a sample or sketch in the baseline")
        }
        let other = FeatureData.binned(edges: [0, 1], proportions: [0, 1, 0], count: 10)
        do {
            _ = try DriftComparator.score(feature: "amount", reference: binned, current: other, test: .psi, threshold: nil)
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .incompatibleBins)
        }
    }

    @Test("numbers against categories is an error naming the feature and both kinds")
    func mismatchedKinds() {
        do {
            _ = try DriftComparator.score(feature: "plan", reference: .categorical(counts: ["a": 3]), current: .numericSample([1, 2]), test: nil, threshold: nil)
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .kindMismatch && error.feature == "plan")
            #expect(error.description == "feature 'plan': the reference is categorical (category counts) but the current data is numeric (raw numeric values); both sides must be numeric or both categorical")
        }
        do {
            _ = try DriftComparator.score(feature: "plan", reference: .categorical(counts: ["a": 3]), current: .categorical(counts: ["a": 3]), test: .ks, threshold: nil)
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .unsupportedTest && error.message.hasPrefix("ks needs numbers"))
        }
    }

    @Test("a 0/1 feature gets one bin per value, so PSI sees a shift in the share of ones")
    func discreteFeature() throws {
        let reference = (0..<1000).map { $0 % 10 < 3 ? 1.0 : 0.0 }
        let current = (0..<1000).map { $0 % 10 < 7 ? 1.0 : 0.0 }
        #expect(DriftComparator.frozenEdges(.numericSample(reference), bins: 10) == [0, 1, 1])
        let psi = try DriftComparator.score(feature: "contract_monthly", reference: .numericSample(reference), current: .numericSample(current), test: .psi, threshold: nil)
        // (0.3 − 0.7)·ln(0.3/0.7) + (0.7 − 0.3)·ln(0.7/0.3)
        #expect(close(psi.value, 0.8 * log(0.7 / 0.3), 1e-12))
        #expect(DriftComparator.frozenEdges(.numericSample([4, 4, 4]), bins: 10) == [4, 4])
    }

    @Test("categories: chi-square matches scipy; a new category counts; PSI over categories")
    func categorical() throws {
        let reference = FeatureData.categorical(counts: ["a": 120, "b": 60, "c": 20])
        let current = FeatureData.categorical(counts: ["a": 70, "b": 80, "c": 40, "d": 10])
        let chi = try DriftComparator.score(feature: "plan", reference: reference, current: current, test: nil, threshold: nil)
        #expect(chi.test == .chiSquare)
        #expect(close(chi.statistic, 32.68170426065163))
        #expect(close(chi.pValue, 3.7590386431817936e-07, 1e-9))
        #expect(chi.verdict == .drift)
        let psi = try DriftComparator.score(feature: "plan", reference: reference, current: current, test: .psi, threshold: nil)
        let expected = [(0.6, 0.35), (0.3, 0.4), (0.1, 0.2), (1e-4, 0.05)].reduce(0.0) { $0 + ($1.1 - $1.0) * log($1.1 / $1.0) }
        #expect(close(psi.value, expected))
    }

    @Test("frequent-items sketches: exact ones match counts; inexact ones fall back to distance when too coarse")
    func categoricalSketches() throws {
        var exact = FrequentItems()
        for (item, count) in ["a": 70, "b": 80, "c": 40, "d": 10] { exact.insert(item, count: count) }
        let reference = FeatureData.categorical(counts: ["a": 120, "b": 60, "c": 20])
        let fromSketch = try DriftComparator.score(feature: "plan", reference: reference, current: .categoricalSketch(exact), test: nil, threshold: nil)
        let fromCounts = try DriftComparator.score(feature: "plan", reference: reference, current: .categorical(counts: ["a": 70, "b": 80, "c": 40, "d": 10]), test: nil, threshold: nil)
        #expect(fromSketch.pValue == fromCounts.pValue && fromSketch.errorBound == nil)
        // 20 heavy categories and a long tail of singletons overflow a capacity-8 sketch.
        func stream(_ heavy: [Int]) -> FrequentItems {
            var items = FrequentItems(capacity: 8)
            for round in 0..<50 {
                for (index, weight) in heavy.enumerated() { items.insert("c\(index)", count: weight) }
                for tail in 0..<40 { items.insert("t\(round)-\(tail)") }
            }
            return items
        }
        let before = stream([40, 30, 20, 10, 5, 5])
        let after = stream([10, 20, 30, 40, 5, 5])
        #expect(!before.isExact && !after.isExact)
        let result = try DriftComparator.score(feature: "plan", reference: .categoricalSketch(before), current: .categoricalSketch(after), test: .chiSquare, threshold: nil)
        let bound = Double(before.maximumError) / Double(before.count) + Double(after.maximumError) / Double(after.count)
        #expect(result.errorBound == bound)
        #expect(bound > DriftComparator.criticalDistance(alpha: 0.05, n: before.count, m: after.count))
        #expect(result.judgedBy.hasPrefix("distance: sketch error ") && result.judgedBy.hasSuffix("drift when the largest proportion difference ≥ 0.1"))
        #expect(result.pValue == nil && result.verdict == .drift, "c0 falls from 26% to 7% of the stream")
    }

    static func pScore(_ feature: String, _ p: Double, verdict: DriftVerdict? = nil) -> DriftScore {
        DriftScore(
            feature: feature, test: .ks, value: p, statistic: 0.1, pValue: p, threshold: 0.05, comparator: "p ≤ α",
            errorBound: nil, judgedBy: "p-value (exact)", referenceCount: 500, currentCount: 500,
            verdict: verdict ?? (p <= 0.05 ? .drift : .noDrift))
    }

    @Test("many features: corrections adjust p-values; shares; insufficient data is never a pass")
    func summary() {
        let distance = DriftScore(
            feature: "d", test: .psi, value: 0.05, statistic: 0.05, pValue: nil, threshold: 0.2, comparator: "≥",
            errorBound: nil, judgedBy: "distance", referenceCount: 500, currentCount: 500, verdict: .noDrift)
        let scores = [Self.pScore("a", 0.01), Self.pScore("b", 0.03), Self.pScore("c", 0.04), distance]
        let plain = DriftComparator.summarize(scores, correction: .none)
        #expect(plain.driftedFeatures == ["a", "b", "c"] && plain.verdict == .drift)
        #expect(plain.adjustedPValues[3] == nil)
        let bonferroni = DriftComparator.summarize(scores, correction: .bonferroni)
        #expect(bonferroni.adjustedPValues.compactMap { $0 }.map { ($0 * 1e9).rounded() / 1e9 } == [0.03, 0.09, 0.12])
        #expect(bonferroni.driftedFeatures == ["a"] && bonferroni.drifted)
        let bh = DriftComparator.summarize(scores, correction: .benjaminiHochberg)
        #expect(bh.adjustedPValues.compactMap { $0 }.map { ($0 * 1e9).rounded() / 1e9 } == [0.03, 0.04, 0.04])
        #expect(bh.driftedFeatures == ["a", "b", "c"])
        #expect(bh.share == 0.75)
        #expect(DriftComparator.summarize(scores, correction: .bonferroni, shareThreshold: 0.5).verdict == .noDrift)
        #expect(DriftComparator.summarize(scores, correction: .none, shareThreshold: 0.5).verdict == .drift)

        var thin = Self.pScore("e", 0.5)
        thin.verdict = .insufficientData
        let quiet = [Self.pScore("a", 0.5), distance, thin]
        #expect(DriftComparator.summarize(quiet, correction: .bonferroni).verdict == .insufficientData)
        #expect(DriftComparator.summarize(quiet, correction: .bonferroni).adjustedPValues == [0.5, nil, nil], "one p-value tested")
        // With a share rule that the thin feature could not reach, the rest decides.
        #expect(DriftComparator.summarize(quiet, correction: .none, shareThreshold: 0.5).verdict == .noDrift)
        #expect(DriftComparator.summarize([thin], correction: .none).verdict == .insufficientData)
        #expect(DriftComparator.summarize([], correction: .none).verdict == .insufficientData)

        let json = bh.jsonValue().serialized()
        #expect(json.hasPrefix(#"{"verdict":"drift","drifted":true,"correction":"bh","shareThreshold":null,"share":0.75,"driftedFeatures":["a","b","c"],"judged":4,"features":[{"feature":"a","test":"ks","verdict":"drift","value":0.01,"statistic":0.1,"pValue":0.01,"adjustedPValue":0.03"#))
    }

    @Test("a score's JSON has stable keys, null for what is missing")
    func scoreJSON() throws {
        let result = try score(.psi, [], minCount: 0)
        #expect(result.jsonValue().serialized() == #"{"feature":"x","test":"psi","verdict":"insufficient_data","value":null,"statistic":null,"pValue":null,"threshold":0.2,"comparator":"≥","errorBound":null,"judgedBy":"insufficient data: the current data has 0 values; at least 1 needed","referenceCount":300,"currentCount":0}"#)
    }
}
