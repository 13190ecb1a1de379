import SluiceCore
import Testing

@Suite("rollout engine", .timeLimit(.minutes(10)))
struct RolloutEngineTests {
    static func model(
        _ traffic: [String: Int],
        artifacts: [String: String] = [:],
        steps: [RolloutStep] = [],
        analysis: Analysis? = nil
    ) -> DesiredState.Model {
        let versions = traffic.keys.sorted().map { ModelVersion(name: $0, artifact: artifacts[$0] ?? "models/\($0).json") }
        let rollout = steps.isEmpty ? nil : Rollout(steps: steps, analysis: analysis)
        let deployment = ModelDeployment(name: "fraud", runtime: "python-v2", versions: versions, traffic: traffic, rollout: rollout)
        return DesiredState.Model(deployment: deployment, path: "fraud.yaml")
    }

    static let errorRate = Analysis(interval: .seconds(10), minRequests: 50, checks: [
        AnalysisCheck(metric: .errorRate, thresholds: Thresholds(max: 0.05)),
        AnalysisCheck(metric: .latencyP99, thresholds: Thresholds(maxRatioToStable: 1.5)),
    ])

    func step(_ desired: DesiredState.Model?, _ state: RolloutState?, ready: Set<String> = ["v1", "v2", "v3"], at now: Double, revision: String = "r") -> RolloutEngine.Decision {
        RolloutEngine.reconcile(desired: desired, revision: revision, manifestError: nil, state: state,
                                observation: ModelObservation(readyVersions: ready), now: now)
    }

    func weights(_ state: RolloutState) -> [String: Int] {
        RolloutEngine.route(for: state)?.weights ?? [:]
    }

    @Test("a first deployment goes straight to its traffic")
    func firstDeployment() {
        let decision = step(Self.model(["v1": 100]), nil, at: 0)
        #expect(decision.state.candidate == nil)
        #expect(weights(decision.state) == ["v1": 100])
        #expect(decision.events.map(\.kind) == [.deployed])
        let settled = step(Self.model(["v1": 100]), decision.state, at: 1)
        #expect(settled.state.health == .healthy)
        #expect(settled.state.isSynced)
        #expect(settled.events.isEmpty, "reconciling twice changes nothing")
    }

    @Test("a canary without analysis walks weight and pause steps, then promotes")
    func canarySteps() {
        var state = step(Self.model(["v1": 100]), nil, at: 0).state
        let canary = Self.model(["v1": 0, "v2": 100], steps: [.weight(10), .pause(.seconds(60)), .weight(50)])
        var decision = step(canary, state, ready: ["v1"], at: 1)
        #expect(decision.state.reason == .waitingForReadiness)
        #expect(weights(decision.state) == ["v1": 100, "v2": 0], "no traffic before the candidate is ready")
        decision = step(canary, decision.state, ready: ["v1", "v2"], at: 2)
        #expect(weights(decision.state) == ["v1": 90, "v2": 10])
        #expect(decision.state.health == .progressing)
        decision = step(canary, decision.state, at: 30)
        #expect(weights(decision.state) == ["v1": 90, "v2": 10], "the pause holds")
        decision = step(canary, decision.state, at: 63)
        #expect(decision.state.candidate == nil, "the last weight step has no analysis: promoted")
        #expect(weights(decision.state) == ["v1": 0, "v2": 100])
        #expect(decision.state.health == .healthy)
        #expect(decision.events.map(\.kind).contains(.promoted))
        state = decision.state
        #expect(state.stableHistory.count == 2)
    }

    @Test("failed analysis aborts at once; the spec is not retried until `retry`")
    func failedAnalysis() throws {
        let stable = step(Self.model(["v1": 100]), nil, at: 0).state
        let canary = Self.model(["v1": 0, "v2": 100], steps: [.weight(20), .weight(60)], analysis: Self.errorRate)
        var decision = step(canary, stable, at: 1)
        #expect(weights(decision.state) == ["v1": 80, "v2": 20])
        #expect(!decision.analysisDue, "a full interval at the weight first")
        decision = step(canary, decision.state, at: 12)
        #expect(decision.analysisDue)
        let run = AnalysisEvaluator.evaluate(
            Self.errorRate,
            candidate: VersionWindow(requests: 200, errors: 40, latencyMs: ["latency_p99_ms": 30]),
            stable: VersionWindow(requests: 800, errors: 1, latencyMs: ["latency_p99_ms": 25]),
            candidateWeight: 20, at: 12)
        #expect(run.verdict == .failed)
        #expect(run.checks.map(\.verdict) == [.failed, .successful])
        #expect(run.summary == "error_rate: 0.2 > max 0.05")
        decision = RolloutEngine.analyze(run, state: decision.state, deployment: canary.deployment,
                                         observation: ModelObservation(readyVersions: ["v1", "v2"]), now: 12)
        #expect(decision.state.candidate == nil)
        #expect(decision.state.health == .degraded)
        #expect(weights(decision.state) == ["v1": 100])
        #expect(decision.state.message.contains("error_rate: 0.2 > max 0.05"))
        let again = step(canary, decision.state, at: 20)
        #expect(again.state.candidate == nil, "a failed spec is not retried")
        #expect(again.state.reason == .candidateFailed)
        #expect(again.state.message.hasPrefix("this spec failed before and is not retried"))
        #expect(again.state.message.contains("error_rate: 0.2 > max 0.05"), "the abort's detail stays")
        let later = step(canary, again.state, at: 30)
        #expect(later.state.message == again.state.message, "said once, not again on every pass")
        let (retried, event) = try #require(RolloutEngine.retry(again.state))
        #expect(event.kind == .retry)
        #expect(step(canary, retried, at: 21).state.candidate != nil)
    }

    @Test("thin data is inconclusive, never a pass, and pauses for a person")
    func inconclusive() throws {
        let stable = step(Self.model(["v1": 100]), nil, at: 0).state
        let canary = Self.model(["v1": 0, "v2": 100], steps: [.weight(20), .weight(60)], analysis: Self.errorRate)
        var decision = step(canary, stable, at: 1)
        decision = step(canary, decision.state, at: 12)
        let run = AnalysisEvaluator.evaluate(Self.errorRate, candidate: VersionWindow(requests: 3, errors: 0),
                                             stable: VersionWindow(requests: 500, errors: 0), candidateWeight: 20, at: 12)
        #expect(run.verdict == .inconclusive)
        decision = RolloutEngine.analyze(run, state: decision.state, deployment: canary.deployment,
                                         observation: ModelObservation(readyVersions: ["v1", "v2"]), now: 12)
        #expect(decision.state.health == .paused)
        #expect(decision.state.reason == .inconclusive)
        #expect(weights(decision.state) == ["v1": 80, "v2": 20])
        let (promoted, _) = try #require(RolloutEngine.promote(decision.state, full: true, deployment: canary.deployment, now: 13))
        let finished = step(canary, promoted, at: 14)
        #expect(finished.state.candidate == nil)
        #expect(weights(finished.state) == ["v1": 0, "v2": 100])
    }

    @Test("an approval step waits for `sluice promote`")
    func approval() throws {
        let stable = step(Self.model(["v1": 100]), nil, at: 0).state
        let canary = Self.model(["v1": 0, "v2": 100], steps: [.weight(25), .approval, .weight(75)])
        var decision = step(canary, stable, at: 1)
        #expect(decision.state.health == .paused)
        #expect(decision.state.reason == .awaitingApproval)
        decision = step(canary, decision.state, at: 500)
        #expect(weights(decision.state) == ["v1": 75, "v2": 25])
        let (passed, _) = try #require(RolloutEngine.promote(decision.state, full: false, deployment: canary.deployment, now: 501))
        decision = step(canary, passed, at: 502)
        #expect(decision.state.candidate == nil, "the last step (75%, no analysis) passes and promotes")
        #expect(RolloutEngine.promote(decision.state, full: false, deployment: canary.deployment, now: 503) == nil)
    }

    @Test("returning to a recent stable spec is a fast rollback: no steps, no analysis")
    func fastRollback() {
        let first = Self.model(["v1": 100])
        let second = Self.model(["v1": 0, "v2": 100], steps: [.weight(50)])
        var state = step(first, nil, at: 0).state
        state = step(second, state, at: 1).state
        #expect(state.candidate == nil, "one weight step without analysis completes at once")
        #expect(weights(state) == ["v1": 0, "v2": 100])
        let back = step(first, state, at: 2)
        #expect(back.events.map(\.kind) == [.fastRollback])
        #expect(back.state.candidate == nil)
        #expect(weights(back.state) == ["v1": 100])
    }

    @Test("a newer commit supersedes a rollout; git returning to stable cancels it")
    func superseded() {
        let stable = step(Self.model(["v1": 100]), nil, at: 0).state
        let canary = Self.model(["v1": 0, "v2": 100], steps: [.weight(10), .approval])
        var decision = step(canary, stable, at: 1)
        let other = Self.model(["v1": 0, "v3": 100], steps: [.weight(30), .approval])
        decision = step(other, decision.state, at: 2)
        #expect(decision.events.map(\.kind).prefix(2) == [.superseded, .rolloutStarted])
        #expect(weights(decision.state) == ["v1": 70, "v3": 30])
        decision = step(Self.model(["v1": 100]), decision.state, at: 3)
        #expect(decision.events.map(\.kind) == [.superseded])
        #expect(weights(decision.state) == ["v1": 100])
    }

    @Test("shifting weights among versions that already serve needs no canary")
    func weightShift() {
        let stable = step(Self.model(["v1": 50, "v2": 50]), nil, at: 0).state
        let decision = step(Self.model(["v1": 20, "v2": 80], steps: [.weight(10)], analysis: Self.errorRate), stable, at: 1)
        #expect(decision.state.candidate == nil)
        #expect(decision.events.map(\.kind) == [.updated])
        #expect(weights(decision.state) == ["v1": 20, "v2": 80])
    }

    @Test("a missing or invalid manifest keeps the last good state")
    func invalidKeepsState() {
        let stable = step(Self.model(["v1": 100]), nil, at: 0).state
        let decision = RolloutEngine.reconcile(desired: nil, revision: "bad", manifestError: "fraud.yaml:3:1: oops", state: stable,
                                               observation: ModelObservation(readyVersions: ["v1"]), now: 5)
        #expect(decision.state.reason == .invalidManifest)
        #expect(decision.state.manifestError == "fraud.yaml:3:1: oops")
        #expect(weights(decision.state) == ["v1": 100])
    }

    @Test("a candidate that never becomes ready aborts at the progress deadline")
    func progressDeadline() {
        let stable = step(Self.model(["v1": 100]), nil, at: 0).state
        let canary = Self.model(["v1": 0, "v2": 100], steps: [.weight(10)])
        var decision = step(canary, stable, ready: ["v1"], at: 1)
        decision = step(canary, decision.state, ready: ["v1"], at: 602)
        #expect(decision.state.reason == .progressDeadlineExceeded)
        #expect(decision.state.message.contains("v2 not ready within 10m"))
        #expect(weights(decision.state) == ["v1": 100])
    }

    @Test("interpolated weights always sum to 100")
    func interpolation() {
        let stable = step(Self.model(["v1": 33, "v2": 67]), nil, at: 0).state
        let canary = Self.model(["v1": 0, "v2": 50, "v3": 50], steps: [.weight(17), .approval])
        let decision = step(canary, stable, at: 1)
        let route = weights(decision.state)
        #expect(route.values.reduce(0, +) == 100)
        #expect(route["v3"] == 9 || route["v3"] == 8)
    }

    @Test("analysis compares with the stable version on the same window")
    func relativeChecks() {
        let analysis = Analysis(minRequests: 10, checks: [AnalysisCheck(metric: .latencyP99, thresholds: Thresholds(maxRatioToStable: 1.2))])
        let slow = AnalysisEvaluator.evaluate(analysis, candidate: VersionWindow(requests: 100, errors: 0, latencyMs: ["latency_p99_ms": 60]),
                                              stable: VersionWindow(requests: 100, errors: 0, latencyMs: ["latency_p99_ms": 40]), candidateWeight: 10, at: 0)
        #expect(slow.verdict == .failed)
        #expect(slow.checks[0].detail == "60 is 1.5x stable's 40 > maxRatioToStable 1.2")
        let thinStable = AnalysisEvaluator.evaluate(analysis, candidate: VersionWindow(requests: 100, errors: 0, latencyMs: ["latency_p99_ms": 60]),
                                                    stable: VersionWindow(requests: 2, errors: 0), candidateWeight: 10, at: 0)
        #expect(thinStable.verdict == .inconclusive)
        let drift = Analysis(checks: [AnalysisCheck(metric: .predictionDrift, test: .psi, thresholds: Thresholds(max: 0.2))])
        let skipped = AnalysisEvaluator.evaluate(drift, candidate: nil, stable: nil, candidateWeight: 10, at: 0)
        #expect(skipped.checks[0].verdict == .skipped)
        #expect(skipped.verdict == .inconclusive, "a run with nothing measured is not a pass")
    }

    @Test("a version that keeps its name with a new artifact canaries as NAME~canary beside the stable one")
    func inPlaceReplacement() throws {
        let stable = step(Self.model(["v1": 100], artifacts: ["v1": "models/a.json"]), nil, at: 0).state
        let retrained = Self.model(["v1": 100], artifacts: ["v1": "models/b.json"], steps: [.weight(25), .approval])
        var decision = step(retrained, stable, ready: ["v1"], at: 1)
        #expect(decision.state.reason == .waitingForReadiness, "the canary process must be ready first")
        let route = RolloutEngine.route(for: decision.state)
        #expect(route?.versions.map(\.name) == ["v1", "v1~canary"])
        #expect(route?.versions.map(\.artifact) == ["models/a.json", "models/b.json"])
        decision = step(retrained, decision.state, ready: ["v1", "v1~canary"], at: 2)
        #expect(weights(decision.state) == ["v1": 75, "v1~canary": 25])
        let (passed, _) = try #require(RolloutEngine.promote(decision.state, full: false, deployment: retrained.deployment, now: 3))
        decision = step(retrained, passed, at: 4)
        #expect(decision.state.candidate == nil)
        let promoted = RolloutEngine.route(for: decision.state)
        #expect(promoted?.versions.map(\.name) == ["v1"])
        #expect(promoted?.versions.first?.artifact == "models/b.json")
    }
}

/// A monitor's rollback action.
@Suite("rollout engine: monitor rollback", .timeLimit(.minutes(10)))
struct MonitorRollbackTests {
    func step(_ desired: DesiredState.Model?, _ state: RolloutState?, at now: Double, revision: String) -> RolloutEngine.Decision {
        RolloutEngine.reconcile(desired: desired, revision: revision, manifestError: nil, state: state,
                                observation: ModelObservation(readyVersions: ["v1", "v2"]), now: now)
    }

    @Test("after a switch, a monitor returns traffic to the previous stable spec, and the next pass does not redeploy the failed one")
    func rollbackToPreviousStable() throws {
        let v1 = RolloutEngineTests.model(["v1": 100])
        let v2 = RolloutEngineTests.model(["v1": 0, "v2": 100])
        var state = step(v1, nil, at: 0, revision: "r1").state
        state = step(v1, state, at: 1, revision: "r1").state
        // No steps: the switch to v2 happens once it is ready.
        for tick in 2..<5 { state = step(v2, state, at: Double(tick), revision: "r2").state }
        #expect(RolloutEngine.route(for: state)?.weights["v2"] == 100)
        let decision = try #require(RolloutEngine.rollbackByMonitor(state, monitor: "errors", detail: "error_rate 0.3", now: 10))
        #expect(decision.events.map(\.kind) == [.monitorRollback])
        #expect(decision.state.health == .degraded)
        #expect(RolloutEngine.route(for: decision.state)?.weights["v1"] == 100)
        #expect(decision.state.message.contains("git still declares"))
        let next = step(v2, decision.state, at: 11, revision: "r2")
        #expect(RolloutEngine.route(for: next.state)?.weights["v1"] == 100, "the failed spec is not redeployed")
        #expect(next.state.health == .degraded)
        // Nothing earlier to return to: no decision.
        #expect(RolloutEngine.rollbackByMonitor(decision.state, monitor: "errors", detail: "again", now: 12) == nil)
    }
}
