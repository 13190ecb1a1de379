import SluiceCore
import SluiceGit
import SluiceTestSupport
import Testing
@testable import SluiceController

/// How the last rollout ended stays in the status after automatic actions (an abort, its
/// revert commit, a monitor's rollback) until the next rollout starts, and survives a restart;
/// steps count from 1 wherever people see them.
@Suite("controller passes: the last rollout's outcome and step numbers", .timeLimit(.minutes(10)))
struct LastRolloutPassTests {
    @Test("an analysis abort with onAbort: revert: outcome, failed check and revert commit, kept through the revert and a restart, cleared by a new rollout")
    func abortedByAnalysisKeptUntilNextRollout() async throws {
        let fixture = try await AnalysisPassTests.analysed(onAbort: "revert")
        let failedCommit = try #require(await fixture.state()?.candidate?.target.revision)
        fixture.backend.script("fraud", "v2", .init(errorRate: 0.5))
        await AnalysisPassTests.interval(fixture)
        let revertCommit = try fixture.repo.git(["rev-parse", "HEAD"]).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try fixture.subjects().first == "Revert \"fraud v2\" for fraud")

        let aborted = try #require(await fixture.state()?.lastRollout)
        #expect(aborted.kind == .abortedByAnalysis)
        #expect(aborted.revision == failedCommit)
        #expect(aborted.at == fixture.clock.now())
        let check = try #require(aborted.failedChecks.first)
        #expect(check.metric == "error_rate")
        #expect(check.value == 0.5)
        #expect(check.threshold == "max 0.1")
        #expect(check.verdict == .failed)
        #expect(aborted.revert?.status == .written)
        #expect(aborted.revert?.commit == revertCommit)

        // The revert lands: git is back on the stable spec and the model is synced and
        // healthy, but the outcome is still there.
        await fixture.settle(.revertWritten(CommitID(hex: revertCommit)))
        let synced = try #require(await fixture.state())
        #expect(synced.isSynced)
        #expect(synced.health == .healthy)
        #expect(synced.lastRollout == aborted)
        let json = StatusJSON.summary(synced)
        #expect(json["lastRollout"]?["outcome"] == .string("abortedByAnalysis"))
        guard case .array(let checks)? = json["lastRollout"]?["failedChecks"] else {
            Issue.record("no failedChecks in \(json.serialized())")
            return
        }
        #expect(checks.first?["metric"] == .string("error_rate"))
        #expect(checks.first?["threshold"] == .string("max 0.1"))
        #expect(json["lastRollout"]?["revert"]?["commit"] == .string(revertCommit))

        // A restart reads it back from the store.
        try fixture.restart()
        await fixture.pass(.start)
        #expect(await fixture.state()?.lastRollout == aborted)

        // A genuinely new change starts a rollout, which clears it.
        try fixture.commit("fraud v3", ["fraud": Manifests.fraud(
            [("v1", "a1"), ("v3", "a3")], traffic: ["v1": 0, "v3": 100], extra: Manifests.rollout(["weight: 50", "pause: 5m"]))],
            artifacts: Manifests.artifacts("a3"))
        await fixture.pass(.rolloutTick)
        let rolling = try #require(await fixture.state())
        #expect(rolling.candidate != nil)
        #expect(rolling.lastRollout == nil)
        #expect(StatusJSON.summary(rolling)["lastRollout"] == nil)
    }

    @Test("a person's abort, a promotion and a superseded rollout are outcomes too; the revert stays pending until written")
    func personPromotionAndSuperseded() async throws {
        let (fixture, commit) = try await CanaryPassTests.canary(Manifests.rollout(["weight: 30", "approval: {}"], onAbort: "revert"))
        await fixture.settle()
        #expect(await fixture.execute(.abort(model: "fraud", actor: "alice")) == .done("aborted the rollout of fraud"))
        let aborted = try #require(await fixture.state()?.lastRollout)
        #expect(aborted.kind == .abortedByPerson)
        #expect(aborted.revision == commit)
        #expect(aborted.failedChecks.isEmpty)
        #expect(aborted.revert?.status == .pending, "decided with the abort, written by the next pass")
        await fixture.pass(.command)
        #expect(await fixture.state()?.lastRollout?.revert?.status == .written)

        // A new rollout, promoted: the outcome says so.
        try fixture.commit("fraud v3", ["fraud": Manifests.fraud([("v1", "a1"), ("v3", "a3")], traffic: ["v1": 0, "v3": 100])],
                           artifacts: Manifests.artifacts("a3"))
        await fixture.settle()
        let promoted = try #require(await fixture.state()?.lastRollout)
        #expect(promoted.kind == .promoted)
        #expect(promoted.revert == nil)

        // A rollout that git abandons (back to the stable spec) is superseded.
        try fixture.commit("fraud v4", ["fraud": Manifests.fraud(
            [("v3", "a3"), ("v4", "a4")], traffic: ["v3": 0, "v4": 100], extra: Manifests.rollout(["weight: 30", "approval: {}"]))],
            artifacts: Manifests.artifacts("a4"))
        await fixture.settle()
        #expect(await fixture.state()?.candidate != nil)
        _ = try fixture.repo.git(["revert", "--no-edit", "HEAD"])
        await fixture.settle()
        let superseded = try #require(await fixture.state()?.lastRollout)
        #expect(superseded.kind == .superseded)
        #expect(await fixture.state()?.isSynced == true)
    }

    @Test("a monitor's rollback of the promoted spec is the last rollout's outcome, kept across a restart")
    func monitorRollback() async throws {
        let monitor = MonitorPassTests.monitor(action: "rollback")
        let fixture = try await MonitorPassTests.deployed(monitor)
        let commit = try fixture.commit("fraud v2", ["fraud": Manifests.fraud([("v2", "a2")], traffic: ["v2": 100], extra: monitor)])
        await fixture.settle()
        #expect(await fixture.state()?.lastRollout?.kind == .promoted)
        fixture.backend.script("fraud", "v2", .init(errorRate: 0.5))
        await MonitorPassTests.window(fixture)
        let rolledBack = try #require(await fixture.state()?.lastRollout)
        #expect(rolledBack.kind == .rolledBackByMonitor)
        #expect(rolledBack.revision == commit)
        #expect(rolledBack.message.hasPrefix("monitor errors fired"), "\(rolledBack.message)")
        await fixture.settle(.monitorRollback)
        try fixture.restart()
        await fixture.pass(.start)
        #expect(await fixture.state()?.lastRollout == rolledBack)
    }

    @Test("a monitor aborting a canary with onAbort: revert: the outcome names the monitor, and the revert commit once written")
    func monitorAbortWithRevert() async throws {
        let (fixture, commit) = try await MonitorPassTests.badCanary(onAbort: "revert")
        await MonitorPassTests.window(fixture)
        let aborted = try #require(await fixture.state()?.lastRollout)
        #expect(aborted.kind == .abortedByMonitor)
        #expect(aborted.revision == commit)
        #expect(aborted.message.hasPrefix("monitor errors: "), "\(aborted.message)")
        #expect(aborted.revert?.status == .pending)
        await fixture.pass(.monitorRollback)
        let revert = try fixture.repo.git(["rev-parse", "HEAD"]).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(await fixture.state()?.lastRollout?.revert == .init(status: .written, commit: revert, message: "committed \(revert.prefix(7)) on main (manifests/fraud.yaml)"))
        await fixture.settle(.interval)
        #expect(await fixture.state()?.isSynced == true)
        #expect(await fixture.state()?.lastRollout?.kind == .abortedByMonitor)
    }

    @Test("steps count from 1 in the status JSON (top level and candidate) and the metric, as in the message")
    func stepNumbers() async throws {
        let (fixture, _) = try await CanaryPassTests.canary(Manifests.rollout(["weight: 30", "approval: {}", "weight: 60"]))
        await fixture.settle()
        let state = try #require(await fixture.state())
        #expect(state.candidate?.step == 1, "the stored index is unchanged")
        #expect(state.message.hasPrefix("step 2/3"), "\(state.message)")
        let json = StatusJSON.summary(state)
        #expect(json["step"] == .int(2))
        #expect(json["steps"] == .int(3))
        #expect(json["candidate"]?["step"] == .int(2))
        #expect(json["candidate"]?["steps"] == .int(3))
        let metrics = await fixture.controller.metricsText()
        #expect(metrics.contains("sluice_rollout_step{model=\"fraud\"} 2"), "\(metrics)")
    }
}
