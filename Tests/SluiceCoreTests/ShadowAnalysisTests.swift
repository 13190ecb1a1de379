import Foundation
import SluiceCore
import Testing

/// The verdicts of a shadow step's analysis from hand-made paired tallies (issue 16): the
/// pairwise metrics, error rate and latency on the copies, thin and missing data, and which
/// checks each phase leaves out.
@Suite("analysis of shadow steps", .timeLimit(.minutes(10)))
struct ShadowAnalysisTests {
    /// `pairs` classifier pairs of which `agreeing` have the same class, answered in
    /// `candidateMs` by the candidate and `stableMs` by stable, plus failed and shed copies.
    static func tally(
        pairs: Int, agreeing: Int, candidateErrors: Int = 0, shed: Int = 0, candidateMs: UInt64 = 5, stableMs: UInt64 = 5,
        tolerances: [Double] = [0]
    ) -> ShadowTally {
        var tally = ShadowTally(tolerances: tolerances)
        for index in 0..<pairs {
            let comparison = OutputComparison.compare(stable: [.category("setosa")], candidate: [.category(index < agreeing ? "setosa" : "virginica")])
            tally.record(.paired(comparison, candidateMicros: candidateMs * 1000, stableMicros: stableMs * 1000))
        }
        for _ in 0..<candidateErrors { tally.record(.candidateFailed) }
        tally.copies = pairs + candidateErrors
        tally.shed = shed
        return tally
    }

    /// A regression's pairs: the candidate answers `offset` above stable on every pair.
    static func regression(pairs: Int, offset: Double, tolerances: [Double]) -> ShadowTally {
        var tally = ShadowTally(tolerances: tolerances)
        for index in 0..<pairs {
            let stable = Double(index)
            tally.record(.paired(OutputComparison.compare(stable: [.number(stable)], candidate: [.number(stable + offset)]), candidateMicros: 4000, stableMicros: 4000))
        }
        tally.copies = pairs
        return tally
    }

    static func analysis(_ checks: [AnalysisCheck], minRequests: Int = 100) -> Analysis {
        Analysis(interval: .seconds(30), minRequests: minRequests, checks: checks)
    }

    static let agreement = AnalysisCheck(metric: .agreement, thresholds: Thresholds(min: 0.9))

    func evaluate(_ analysis: Analysis, _ tally: ShadowTally?, phase: AnalysisPhase = .shadow(100), unavailable: String? = nil) -> AnalysisRun {
        AnalysisEvaluator.evaluate(
            analysis, candidate: nil, stable: VersionWindow(requests: 700, errors: 0), candidateWeight: 0, phase: phase, shadow: tally,
            shadowUnavailable: unavailable, at: 100)
    }

    @Test("agreement below its minimum fails, with the value, the threshold and the pairs; shed copies are in the headline")
    func agreementFails() throws {
        let run = evaluate(Self.analysis([Self.agreement]), Self.tally(pairs: 600, agreeing: 84, shed: 12))
        #expect(run.verdict == .failed)
        let check = try #require(run.checks.first)
        #expect(check.value == 0.14)
        #expect(check.detail == "agreement 0.14 < min 0.9 (600 pairs)")
        #expect(run.summary == "agreement 0.14 < min 0.9 (600 pairs)")
        #expect(run.headline == "Failed at shadow 100%: agreement 0.14 < min 0.9 (600 pairs); 12 copies shed")
        let shadow = try #require(run.shadow)
        #expect(shadow.pairs == 600)
        #expect(shadow.agreement == 0.14)
        #expect(shadow.agreementMin == 0.9)
        #expect(shadow.shed == 12)
        #expect(shadow.percent == 100)
        #expect(run.phase == .shadow(100))
    }

    @Test("an identical candidate agrees on every pair: Successful, and the headline gives pairs and agreement")
    func agreementPasses() {
        let run = evaluate(Self.analysis([Self.agreement]), Self.tally(pairs: 150, agreeing: 150))
        #expect(run.verdict == .successful)
        #expect(run.checks.first?.detail == "agreement 1 within min 0.9 (150 pairs)")
        #expect(run.headline == "Successful at shadow 100%: 150 pairs, agreement 1")
    }

    @Test("fewer pairs than minRequests is Inconclusive, never a pass")
    func thin() {
        let run = evaluate(Self.analysis([Self.agreement]), Self.tally(pairs: 41, agreeing: 41))
        #expect(run.verdict == .inconclusive)
        #expect(run.checks.first?.detail == "agreement not judged: 41 pairs < minRequests 100")
    }

    @Test("no tally at all (a data plane that does not pair) is Inconclusive and says why")
    func noTally() {
        let run = evaluate(Self.analysis([Self.agreement, AnalysisCheck(metric: .errorRate, thresholds: Thresholds(max: 0.01))]), nil)
        #expect(run.verdict == .inconclusive)
        #expect(run.checks.allSatisfy { $0.detail.contains("reported no paired copies") && $0.detail.contains("kubernetes") })
        #expect(run.shadow == nil)
        let prometheus = evaluate(Self.analysis([Self.agreement]), nil, unavailable: "the built-in metrics come from Prometheus")
        #expect(prometheus.checks.first?.detail == "agreement not judged: the built-in metrics come from Prometheus")
    }

    @Test("regression: output_mae_vs_stable and agreement within a tolerance")
    func regression() {
        let checks = [
            AnalysisCheck(metric: .outputMAEVsStable, thresholds: Thresholds(max: 1)),
            AnalysisCheck(metric: .agreement, thresholds: Thresholds(min: 0.9), tolerance: 0.01),
            AnalysisCheck(metric: .agreement, thresholds: Thresholds(min: 0.9), tolerance: 1),
        ]
        #expect(Self.analysis(checks).agreementTolerances == [0.01, 1])
        let run = evaluate(Self.analysis(checks), Self.regression(pairs: 200, offset: 0.5, tolerances: [0.01, 1]))
        #expect(run.checks.map(\.verdict) == [.successful, .failed, .successful])
        #expect(run.checks[0].detail == "output_mae_vs_stable 0.5 within max 1 (200 pairs)")
        #expect(run.checks[1].detail == "agreement 0 < min 0.9 (200 pairs, tolerance 0.01)")
        #expect(run.checks[2].detail == "agreement 1 within min 0.9 (200 pairs, tolerance 1)")
        #expect(run.shadow?.tolerance == 0.01, "status gives agreement at the first agreement check's tolerance")
        // A tolerance the data plane did not count cannot be judged.
        let uncounted = evaluate(Self.analysis([checks[1]]), Self.regression(pairs: 200, offset: 0.5, tolerances: [0]))
        #expect(uncounted.verdict == .error)
        #expect(uncounted.checks.first?.detail.contains("did not count agreement at tolerance 0.01") == true)
    }

    @Test("latency_ratio_paired compares the candidate's quantile with stable's over the same pairs")
    func latencyRatio() throws {
        let check = AnalysisCheck(metric: .latencyRatioPaired, thresholds: Thresholds(max: 1.5))
        let slow = evaluate(Self.analysis([check]), Self.tally(pairs: 200, agreeing: 200, candidateMs: 200, stableMs: 5))
        let measured = try #require(slow.checks.first)
        #expect(measured.verdict == .failed)
        #expect((measured.value ?? 0) > 30)
        #expect(measured.detail.hasPrefix("latency_ratio_paired "), "\(measured.detail)")
        #expect(measured.detail.contains("> max 1.5 (p99 "), "\(measured.detail)")
        #expect(measured.detail.hasSuffix("200 pairs)"), "\(measured.detail)")
        let same = evaluate(Self.analysis([check]), Self.tally(pairs: 200, agreeing: 200, candidateMs: 7, stableMs: 7))
        #expect(same.verdict == .successful)
        #expect(same.checks.first?.value == 1)
    }

    @Test("error_rate and latency during a shadow step are judged on the copies")
    func errorRateAndLatencyOnCopies() {
        let checks = [
            AnalysisCheck(metric: .errorRate, thresholds: Thresholds(max: 0.05)),
            AnalysisCheck(metric: .latencyP99, thresholds: Thresholds(max: 100)),
        ]
        let run = evaluate(Self.analysis(checks), Self.tally(pairs: 180, agreeing: 180, candidateErrors: 20, candidateMs: 20))
        #expect(run.checks[0].verdict == .failed)
        #expect(run.checks[0].detail == "error_rate 0.1 > max 0.05 (20 errors in 200 answered copies)")
        #expect(run.checks[1].verdict == .successful)
        #expect(run.checks[1].detail.hasSuffix("within max 100 (180 pairs)"), "\(run.checks[1].detail)")
    }

    @Test("each phase leaves out the checks it cannot judge, and says so; a run of none is Successful")
    func leftOut() {
        let checks = [
            Self.agreement,
            AnalysisCheck(metric: .accuracy, thresholds: Thresholds(min: 0.9)),
            AnalysisCheck(metric: .predictionDrift, test: .psi, thresholds: Thresholds(max: 0.2)),
        ]
        let shadow = evaluate(Self.analysis(checks), Self.tally(pairs: 200, agreeing: 200))
        #expect(shadow.checks.map(\.metric) == ["agreement"])
        #expect(shadow.notJudged == ["accuracy", "prediction_drift"])
        #expect(shadow.verdict == .successful)
        #expect(shadow.summary == "not judged during a shadow step: accuracy, prediction_drift")
        let weight = evaluate(Self.analysis([Self.agreement]), nil, phase: .weight(50))
        #expect(weight.checks.isEmpty)
        #expect(weight.verdict == .successful)
        #expect(weight.headline == "Successful at 50%: not judged outside shadow steps: agreement")
        #expect(weight.shadow == nil)
    }

    @Test("a run stored before phases, revisions and shadow summaries existed still decodes")
    func oldRunDecodes() throws {
        let old = #"{"at":12,"candidateWeight":20,"checks":[{"metric":"error_rate","value":0.2,"threshold":"max 0.05","verdict":"Failed","detail":"0.2 > max 0.05"}],"verdict":"Failed"}"#
        let run = try JSONDecoder().decode(AnalysisRun.self, from: Data(old.utf8))
        #expect(run.phase == nil)
        #expect(run.effectivePhase == .weight(20))
        #expect(run.revision == nil)
        #expect(run.headline == "Failed at 20%: error_rate: 0.2 > max 0.05")
    }
}
