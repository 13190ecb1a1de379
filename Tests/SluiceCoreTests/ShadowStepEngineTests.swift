import Foundation
import SluiceCore
import Testing

/// The rollout engine's shadow steps (issue 16): the paired mirror while the step runs, the
/// candidate's weight held, analysis due at weight 0, the pass and abort rules, and the
/// mirror given back when the step ends.
@Suite("rollout engine: shadow steps", .timeLimit(.minutes(10)))
struct ShadowStepEngineTests {
    static let agreement = Analysis(interval: .seconds(30), minRequests: 100, checks: [
        AnalysisCheck(metric: .agreement, thresholds: Thresholds(min: 0.9)),
        AnalysisCheck(metric: .agreement, thresholds: Thresholds(min: 0.8), tolerance: 0.01),
        AnalysisCheck(metric: .errorRate, thresholds: Thresholds(max: 0.05)),
    ])

    static func model(
        _ traffic: [String: Int], steps: [RolloutStep], analysis: Analysis? = nil, mirror: Mirror? = nil, scaling: ReplicaScaling? = nil,
        artifacts: [String: String] = [:]
    ) -> DesiredState.Model {
        let versions = traffic.keys.sorted().map { ModelVersion(name: $0, artifact: artifacts[$0] ?? "models/\($0).json") }
        var deployment = ModelDeployment(
            name: "iris", runtime: "python-v2", versions: versions, traffic: traffic, rollout: steps.isEmpty ? nil : Rollout(steps: steps, analysis: analysis))
        deployment.routing.mirror = mirror
        deployment.scaling = scaling
        return DesiredState.Model(deployment: deployment, path: "iris.yaml")
    }

    static let shadowThenHalf: [RolloutStep] = [.shadow(ShadowStep(percent: 100, duration: .seconds(60))), .weight(50)]

    func step(_ desired: DesiredState.Model, _ state: RolloutState?, at now: Double, revision: String = "r2") -> RolloutEngine.Decision {
        RolloutEngine.reconcile(desired: desired, revision: revision, manifestError: nil, state: state,
                                observation: ModelObservation(readyVersions: ["v1", "v2", "v1~canary"]), now: now)
    }

    func analyze(_ run: AnalysisRun, _ state: RolloutState, _ desired: DesiredState.Model, at now: Double) -> RolloutEngine.Decision {
        RolloutEngine.analyze(run, state: state, deployment: desired.deployment, observation: ModelObservation(readyVersions: ["v1", "v2"]), now: now)
    }

    /// A run during the shadow step with `agreeing` of 200 pairs equal.
    func shadowRun(_ analysis: Analysis, agreeing: Int, at now: Double, shed: Int = 0) -> AnalysisRun {
        var tally = ShadowAnalysisTests.tally(pairs: 200, agreeing: agreeing, shed: shed, tolerances: analysis.agreementTolerances)
        tally.copies = 200
        return AnalysisEvaluator.evaluate(
            analysis, candidate: nil, stable: nil, candidateWeight: 0, phase: .shadow(100), shadow: tally, at: now)
    }

    func stable() -> RolloutState {
        step(Self.model(["v1": 100], steps: []), nil, at: 0, revision: "r1").state
    }

    @Test("a shadow step before any weight step: the candidate serves nobody, gets a paired copy of every request, then the weight step follows")
    func withoutAnalysis() throws {
        let canary = Self.model(["v1": 0, "v2": 100], steps: Self.shadowThenHalf)
        let decision = step(canary, stable(), at: 1)
        let route = try #require(RolloutEngine.route(for: decision.state))
        #expect(route.weights == ["v1": 100, "v2": 0], "no caller gets the candidate's answers")
        #expect(route.mirror == Mirror(version: "v2", percent: 100))
        #expect(route.mirrorPairing == Route.Mirror.Pairing(tolerances: [0]))
        #expect(decision.state.candidate?.shadow?.percent == 100)
        let stepEvent = try #require(decision.events.first { $0.kind == .step })
        #expect(stepEvent.message.hasPrefix("step 1/2: shadow: copies of 100% of stable's requests to v2 for 1m; callers get stable's answers"), "\(stepEvent.message)")
        #expect(decision.events.contains { $0.message.hasSuffix("; routing: mirror 100%→v2 (paired) on") }, "\(decision.events)")
        #expect(RolloutEngine.routing(for: decision.state)?.description == "mirror 100%→v2 (paired)")
        #expect(decision.state.message.contains("shadow: v2 answers copies of 100% of stable's requests"), "\(decision.state.message)")
        // Before the duration is up the step holds; after it, the weight step follows and the mirror stops.
        let held = step(canary, decision.state, at: 40)
        #expect(held.state.candidate?.step == 0)
        let next = step(canary, held.state, at: 61)
        #expect(next.state.candidate == nil, "without analysis the last weight step promotes at once")
        #expect(RolloutEngine.route(for: next.state)?.mirror == nil)
        #expect(RolloutEngine.route(for: next.state)?.mirrorPairing == nil)
    }

    @Test("with analysis: due every interval at weight 0; a failed agreement aborts during the step, and history says why")
    func abortedInShadow() throws {
        let canary = Self.model(["v1": 0, "v2": 100], steps: Self.shadowThenHalf, analysis: Self.agreement)
        var decision = step(canary, stable(), at: 1)
        #expect(RolloutEngine.route(for: decision.state)?.mirrorPairing?.tolerances == [0, 0.01], "each agreement tolerance is counted")
        #expect(!decision.analysisDue, "a whole interval of copies first")
        decision = step(canary, decision.state, at: 31)
        #expect(decision.analysisDue, "analysis is due at weight 0 during a shadow step")
        #expect(decision.state.candidate?.analysisPhase == .shadow(100))
        let run = shadowRun(Self.agreement, agreeing: 28, at: 31, shed: 12)
        #expect(run.verdict == .failed)
        decision = analyze(run, decision.state, canary, at: 31)
        #expect(decision.state.candidate == nil)
        #expect(decision.state.reason == .analysisFailed)
        let analysisEvent = try #require(decision.events.first { $0.kind == .analysis })
        #expect(analysisEvent.message == "Failed at shadow 100%: agreement 0.14 < min 0.9 (200 pairs); agreement 0.14 < min 0.8 (200 pairs, tolerance 0.01); 12 copies shed")
        let aborted = try #require(decision.events.first { $0.kind == .aborted })
        #expect(aborted.message.contains("agreement 0.14 < min 0.9 (200 pairs)"))
        #expect(aborted.message.hasSuffix("; routing: mirror 100%→v2 (paired) off"), "\(aborted.message)")
        #expect(RolloutEngine.route(for: decision.state)?.weights == ["v1": 100])
        #expect(RolloutEngine.route(for: decision.state)?.mirror == nil)
        #expect(decision.state.lastRollout?.failedChecks.map(\.metric) == ["agreement", "agreement"])
        #expect(decision.state.lastShadow?.agreement == 0.14)
        #expect(decision.state.lastShadow?.shed == 12)
        #expect(decision.state.currentAnalysis?.verdict == .failed, "the aborted rollout's run stays visible")
    }

    @Test("the step passes once its time is up and the last run since it began, taken in it, was successful; the weight step needs its own run")
    func passes() throws {
        let canary = Self.model(["v1": 0, "v2": 100], steps: Self.shadowThenHalf, analysis: Self.agreement)
        var decision = step(canary, stable(), at: 1)
        decision = step(canary, decision.state, at: 31)
        decision = analyze(shadowRun(Self.agreement, agreeing: 200, at: 31), decision.state, canary, at: 31)
        #expect(decision.state.candidate?.step == 0, "a good run before the duration is up does not pass the step")
        decision = step(canary, decision.state, at: 61)
        let candidate = try #require(decision.state.candidate)
        #expect(candidate.step == 1, "time is up and the last run since the step began was successful")
        #expect(candidate.weight == 50)
        #expect(candidate.shadow == nil)
        let route = try #require(RolloutEngine.route(for: decision.state))
        #expect(route.weights == ["v1": 50, "v2": 50])
        #expect(route.mirror == nil, "the mirror stops with the step")
        #expect(!decision.analysisDue, "the weight step waits a whole interval at 50%")
        // The shadow run that passed the step does not pass the weight step.
        decision = step(canary, decision.state, at: 91)
        #expect(decision.analysisDue)
        let weightRun = AnalysisEvaluator.evaluate(
            Self.agreement, candidate: VersionWindow(requests: 300, errors: 0), stable: VersionWindow(requests: 300, errors: 0),
            candidateWeight: 50, at: 91)
        #expect(weightRun.checks.map(\.metric) == ["error_rate"], "agreement is left out at a weight step")
        decision = analyze(weightRun, decision.state, canary, at: 91)
        #expect(decision.state.candidate == nil)
        #expect(decision.state.reason == .promoted)
        #expect(decision.state.lastShadow?.agreement == 1, "status keeps the shadow step's figures after it")
    }

    @Test("an inconclusive shadow run counts like any other: past inconclusiveLimit the rollout pauses")
    func inconclusive() throws {
        let canary = Self.model(["v1": 0, "v2": 100], steps: Self.shadowThenHalf, analysis: Self.agreement)
        var decision = step(canary, stable(), at: 1)
        decision = step(canary, decision.state, at: 31)
        let thin = AnalysisEvaluator.evaluate(Self.agreement, candidate: nil, stable: nil, candidateWeight: 0, phase: .shadow(100), shadow: nil, at: 31)
        #expect(thin.verdict == .inconclusive)
        decision = analyze(thin, decision.state, canary, at: 31)
        #expect(decision.state.candidate?.awaitingPromotion == true)
        #expect(decision.state.reason == .inconclusive)
        #expect(RolloutEngine.route(for: decision.state)?.mirrorPairing != nil, "paused, the shadow step still mirrors")
    }

    @Test("the shadow step replaces the manifest's mirror and gives it back; a person can pass the step")
    func manifestMirror() throws {
        let mirror = Mirror(version: "v1", percent: 10)
        let canary = Self.model(["v1": 0, "v2": 100], steps: [.weight(20), .shadow(ShadowStep(percent: 50, duration: .seconds(60))), .weight(60)], mirror: mirror)
        var decision = step(canary, stable(), at: 1)
        // Without analysis the weight step passes at once and the shadow step starts, keeping the weight.
        let route = try #require(RolloutEngine.route(for: decision.state))
        #expect(decision.state.candidate?.step == 1)
        #expect(route.weights == ["v1": 80, "v2": 20], "the candidate keeps its weight during the shadow step")
        #expect(route.mirror == Mirror(version: "v2", percent: 50))
        let (promoted, events) = try #require(RolloutEngine.promote(decision.state, full: false, deployment: canary.deployment, now: 5))
        #expect(events.map(\.kind) == [.promoteRequested])
        #expect(promoted.candidate?.step == 2)
        #expect(promoted.candidate?.shadow == nil)
        decision = step(canary, promoted, at: 6)
        #expect(decision.state.reason == .promoted)
        #expect(RolloutEngine.route(for: decision.state)?.mirror == mirror, "the manifest's mirror is back")
    }

    @Test("replica bounds count the shadow step's copies for the candidate")
    func scaling() throws {
        let scaling = ReplicaScaling(minReplicas: 2, maxReplicas: 8, target: .concurrency(4), scaleDownDelay: .seconds(60))
        let canary = Self.model(["v1": 0, "v2": 100], steps: Self.shadowThenHalf, scaling: scaling)
        let decision = step(canary, step(Self.model(["v1": 100], steps: [], scaling: scaling), nil, at: 0, revision: "r1").state, at: 1)
        let route = try #require(RolloutEngine.route(for: decision.state))
        #expect(route.scaling["v2"] == scaling.share(percent: 0, mirrored: 100))
        #expect((route.scaling["v2"]?.maxReplicas ?? 0) == 8, "a copy of every request may need the whole range")
    }

    @Test("a state saved before shadow steps (no shadow on the candidate, no lastShadow) loads")
    func oldStateDecodes() throws {
        let canary = Self.model(["v1": 0, "v2": 100], steps: [.weight(20), .weight(60)])
        let state = step(canary, stable(), at: 1).state
        let data = try JSONEncoder().encode(state)
        let text = try #require(String(data: data, encoding: .utf8))
        #expect(!text.contains("\"shadow\""), "absent fields are not written")
        let decoded = try JSONDecoder().decode(RolloutState.self, from: data)
        #expect(decoded == state)
        #expect(decoded.candidate?.shadow == nil)
    }

    @Test("issue 16 item 5: after a fast rollback to a spec never analysed, no stale analysis is current")
    func fastRollbackForgetsAnalysis() throws {
        let analysis = Analysis(interval: .seconds(30), minRequests: 10, checks: [AnalysisCheck(metric: .errorRate, thresholds: Thresholds(max: 0.05))])
        let v1 = Self.model(["v1": 100], steps: [])
        let canary = Self.model(["v1": 0, "v2": 100], steps: [.weight(50)], analysis: analysis)
        var decision = step(canary, stable(), at: 1, revision: "r2")
        decision = step(canary, decision.state, at: 31, revision: "r2")
        let bad = AnalysisEvaluator.evaluate(analysis, candidate: VersionWindow(requests: 100, errors: 30), stable: nil, candidateWeight: 50, at: 31)
        decision = analyze(bad, decision.state, canary, at: 31)
        #expect(decision.state.reason == .analysisFailed)
        #expect(decision.state.lastAnalysis?.revision == "r2", "a run records the revision it judged")
        #expect(decision.state.currentAnalysis?.verdict == .failed, "after the abort, the last rollout's run is shown")
        // A promoted v3, then git goes back to v1's spec: a fast rollback, v1 was never analysed.
        let v3 = Self.model(["v1": 0, "v3": 100], steps: [.weight(50)], analysis: analysis)
        decision = step(v3, decision.state, at: 40, revision: "r3")
        #expect(decision.state.currentAnalysis == nil, "a new rollout shows no run until its own")
        decision = RolloutEngine.reconcile(desired: v3, revision: "r3", manifestError: nil, state: decision.state,
                                           observation: ModelObservation(readyVersions: ["v1", "v3"]), now: 70)
        let good = AnalysisEvaluator.evaluate(analysis, candidate: VersionWindow(requests: 100, errors: 0), stable: nil, candidateWeight: 50, at: 70)
        decision = analyze(good, decision.state, v3, at: 70)
        #expect(decision.state.reason == .promoted)
        #expect(decision.state.currentAnalysis?.verdict == .successful)
        decision = step(v1, decision.state, at: 80, revision: "r4")
        #expect(decision.state.reason == .fastRollback)
        #expect(decision.state.lastAnalysis == nil)
        #expect(decision.state.currentAnalysis == nil)
        // A state saved before runs kept their revision, after a fast rollback: not shown either.
        var legacy = decision.state
        var old = good
        old.revision = nil
        legacy.lastAnalysis = old
        #expect(legacy.currentAnalysis == nil)
    }
}
