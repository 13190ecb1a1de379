import SluiceCore
import SluiceTestSupport
import Testing
@testable import SluiceController

/// Shadow steps through the controller (issue 16), with the fake data plane reporting
/// hand-made paired tallies as `sluice serve`'s gateway does: the paired mirror in the applied
/// spec, the verdicts, history, and what status shows of the pairs.
@Suite("controller passes: shadow steps", .timeLimit(.minutes(10)))
struct ShadowPassTests {
    /// A canary to v2: a 1m shadow step of every request, then 50%, judged on agreement.
    static func shadowCanary(minRequests: Int = 100) async throws -> ControllerFixture {
        let analysis = "      interval: 30s\n      minRequests: \(minRequests)\n      checks:\n        - metric: agreement\n          min: 0.9\n"
        let (fixture, _) = try await CanaryPassTests.canary(
            Manifests.rollout(["shadow: {percent: 100, duration: 1m}", "weight: 50"], analysis: analysis))
        await fixture.settle()
        return fixture
    }

    /// `pairs` classifier pairs of which `agreeing` have stable's class.
    static func tally(pairs: Int, agreeing: Int, shed: Int = 0) -> ShadowTally {
        var tally = ShadowTally(tolerances: [0])
        for index in 0..<pairs {
            let comparison = OutputComparison.compare(stable: [.category("legit")], candidate: [.category(index < agreeing ? "legit" : "fraud")])
            tally.record(.paired(comparison, candidateMicros: 5000, stableMicros: 5000))
        }
        tally.copies = pairs
        tally.shed = shed
        return tally
    }

    @Test("the spec mirrors every request to the candidate with pairing while no caller reaches it; a failed agreement aborts in the step")
    func aborted() async throws {
        let fixture = try await Self.shadowCanary()
        #expect(fixture.weights() == ["v1": 100, "v2": 0])
        let mirror = try #require(fixture.backend.spec?.model("fraud")?.route.mirror)
        #expect(mirror == Route.Mirror(version: "v2", percent: 100, pairing: Route.Mirror.Pairing(tolerances: [0])))
        let step = try #require(try fixture.events(kind: "step").first)
        #expect(step.message.hasPrefix("step 1/2: shadow: copies of 100% of stable's requests to v2 for 1m; callers get stable's answers"), "\(step.message)")
        #expect(StatusJSON.summary(try #require(await fixture.state()))["routing"]?["mirror"]?["pairing"] != nil)

        fixture.backend.reportShadow("fraud", "v2", Self.tally(pairs: 600, agreeing: 84, shed: 12))
        fixture.advance(30)
        fixture.backend.serve("fraud", requests: 600)
        await fixture.pass(.rolloutTick)
        let state = try #require(await fixture.state())
        #expect(state.reason.rawValue == "AnalysisFailed")
        #expect(fixture.weights() == ["v1": 100])
        #expect(fixture.backend.spec?.model("fraud")?.route.mirror == nil, "the mirror stops with the rollout")
        let analysis = try #require(try fixture.events(kind: "analysis").first)
        #expect(analysis.message == "Failed at shadow 100%: agreement 0.14 < min 0.9 (600 pairs); 12 copies shed")
        let measured = try #require(try fixture.store.measurements(of: "fraud").first)
        #expect(measured.metric == "agreement")
        #expect(measured.value == 0.14)
        #expect(measured.weight == 0)
        let json = StatusJSON.summary(state)
        #expect(json["shadow"]?["pairs"] == .int(600))
        #expect(json["shadow"]?["agreement"] == .number(0.14))
        #expect(json["shadow"]?["agreementMin"] == .number(0.9))
        #expect(json["shadow"]?["shed"] == .int(12))
        #expect(json["shadow"]?["version"] == .string("v2"))
        #expect(json["lastAnalysis"]?["verdict"] == .string("Failed"))
        #expect(json["lastAnalysis"]?["phase"]?["kind"] == .string("shadow"))
    }

    @Test("no paired copies reported (a data plane that does not pair) is Inconclusive and says why")
    func noTally() async throws {
        let fixture = try await Self.shadowCanary()
        fixture.advance(30)
        fixture.backend.serve("fraud", requests: 600)
        await fixture.pass(.rolloutTick)
        let measured = try #require(try fixture.store.measurements(of: "fraud").first)
        #expect(measured.verdict == "Inconclusive")
        #expect(measured.detail.contains("reported no paired copies"), "\(measured.detail)")
        #expect(await fixture.state()?.candidate?.step == 0)
    }

    @Test("a candidate that agrees passes the shadow step after its duration; the 50% step then needs its own run, and promotes")
    func passes() async throws {
        let fixture = try await Self.shadowCanary()
        fixture.backend.reportShadow("fraud", "v2", Self.tally(pairs: 300, agreeing: 300))
        fixture.advance(30)
        await fixture.pass(.rolloutTick)
        #expect(try fixture.events(kind: "analysis").first?.message == "Successful at shadow 100%: 300 pairs, agreement 1")
        #expect(await fixture.state()?.candidate?.step == 0, "the step lasts its minute")
        fixture.advance(30)
        await fixture.pass(.rolloutTick)
        #expect(fixture.weights() == ["v1": 50, "v2": 50])
        #expect(fixture.backend.spec?.model("fraud")?.route.mirror == nil)
        fixture.backend.reportShadow("fraud", "v2", nil)
        fixture.advance(30)
        fixture.backend.serve("fraud", requests: 200)
        await fixture.pass(.rolloutTick)
        let runs = try fixture.events(kind: "analysis").map(\.message)
        #expect(runs.last == "Successful at 50%: not judged outside shadow steps: agreement", "\(runs)")
        let state = try #require(await fixture.state())
        #expect(state.reason.rawValue == "Promoted")
        #expect(StatusJSON.summary(state)["shadow"]?["agreement"] == .number(1), "status keeps the shadow step's figures")
    }

    @Test("issue 16 item 5: after a fast rollback to a version never analysed, status shows no last analysis")
    func fastRollbackStatus() async throws {
        let (fixture, _) = try await CanaryPassTests.canary(Manifests.rollout(["weight: 50"], analysis: Manifests.errorRate()))
        await fixture.settle()
        fixture.backend.script("fraud", "v2", .init(errorRate: 0.3))
        await AnalysisPassTests.interval(fixture)
        var state = try #require(await fixture.state())
        #expect(state.reason.rawValue == "AnalysisFailed")
        #expect(StatusJSON.summary(state)["lastAnalysis"]?["verdict"] == .string("Failed"), "the aborted rollout's run is shown")
        // v3 is promoted with a good run, then git goes back to v1's spec (a fast rollback).
        let v3 = [("v1", "a1"), ("v3", "a3")]
        try fixture.commit("fraud v3", ["fraud": Manifests.fraud(v3, traffic: ["v1": 0, "v3": 100], extra: Manifests.rollout(["weight: 50"], analysis: Manifests.errorRate()))],
                           artifacts: Manifests.artifacts("a3"))
        await fixture.settle()
        #expect(StatusJSON.summary(try #require(await fixture.state()))["lastAnalysis"] == nil, "the new rollout has no run yet")
        await AnalysisPassTests.interval(fixture)
        state = try #require(await fixture.state())
        #expect(state.reason.rawValue == "Promoted")
        #expect(StatusJSON.summary(state)["lastAnalysis"]?["verdict"] == .string("Successful"))
        try fixture.commit("back to v1", ["fraud": Manifests.fraud()])
        await fixture.settle()
        state = try #require(await fixture.state())
        #expect(state.reason.rawValue == "FastRollback")
        #expect(StatusJSON.summary(state)["lastAnalysis"] == nil, "v1 was never analysed: no stale verdict")
    }
}
