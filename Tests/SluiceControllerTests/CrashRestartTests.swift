import SluiceConfig
import SluiceCore
import SluiceStore
import SluiceTestSupport
import Testing
@testable import SluiceController

/// A controller that dies between any two steps of a pass, simulated by a backend call or a
/// store write that fails at step N, then a NEW controller over the same store file,
/// repository and data plane: it converges, and no action is lost or done twice (applied
/// specs, events and revert commits are counted).
@Suite("controller passes: crash between steps, then restart", .timeLimit(.minutes(10)))
struct CrashRestartTests {
    /// A canary with a failing analysis and `onAbort: revert`, one interval before the pass
    /// that judges it: that pass observes, measures, records, applies, records again and
    /// writes the revert commit.
    static func beforeFatalPass() async throws -> ControllerFixture {
        let fixture = try await AnalysisPassTests.analysed(onAbort: "revert")
        fixture.backend.script("fraud", "v2", .init(errorRate: 0.5))
        fixture.advance(30)
        fixture.backend.serve("fraud", requests: 200)
        return fixture
    }

    /// Runs passes (with traffic and time, as a running controller would see them) until
    /// git, the store and the data plane agree.
    static func converge(_ fixture: ControllerFixture) async throws {
        await fixture.pass(.start)
        for _ in 0..<8 {
            if await fixture.state()?.isSynced == true, await fixture.state()?.health == .healthy { break }
            fixture.advance(30)
            fixture.backend.serve("fraud", requests: 200)
            await fixture.pass(.interval)
        }
    }

    /// What every crash must end in: back on v1 as git says after one revert, each action once.
    static func expectConverged(_ fixture: ControllerFixture, _ label: String) async throws {
        let state = try #require(await fixture.state(), "\(label)")
        #expect(state.isSynced, "\(label): \(state.reason) \(state.message)")
        #expect(state.health == .healthy, "\(label): \(state.reason) \(state.message)")
        #expect(fixture.weights() == ["v1": 100], "\(label)")
        let subjects = try fixture.subjects()
        #expect(subjects.filter { $0.hasPrefix("Revert") }.count == 1, "\(label): \(subjects)")
        let kinds = try fixture.kinds()
        #expect(kinds.filter { $0 == "rolloutStarted" }.count == 1, "\(label): \(kinds)")
        #expect(kinds.filter { $0 == "aborted" }.count == 1, "\(label): \(kinds)")
        #expect(kinds.filter { $0 == "reverted" || $0 == "revertSkipped" }.count == 1, "\(label): \(kinds)")
        #expect(try fixture.store.pendingReverts().isEmpty, "\(label)")
        // No spec is sent twice in a row: nothing is re-applied that already ran.
        let applied = fixture.backend.appliedSpecs
        for index in applied.indices.dropFirst() {
            #expect(applied[index] != applied[index - 1], "\(label): spec \(index) repeated")
        }
    }

    @Test("the undisturbed pass: abort, apply, revert, in one pass", arguments: [Trigger.interval, .rolloutTick])
    func undisturbed(trigger: Trigger) async throws {
        let fixture = try await Self.beforeFatalPass()
        let result = await fixture.pass(trigger)
        #expect(result.succeeded)
        #expect(result.events.map(\.event.kind.rawValue) == ["analysis", "aborted", "reverted"])
        try await Self.converge(fixture)
        try await Self.expectConverged(fixture, "undisturbed")
    }

    @Test("the backend fails at call N of the pass (observe, stats, currentSpec, apply), then a restart", arguments: 1...4)
    func backendFailsAtCall(number: Int) async throws {
        let fixture = try await Self.beforeFatalPass()
        let callsBefore = fixture.backend.calls.count
        fixture.backend.failCall(number: number)
        let result = await fixture.pass(.interval)
        let failedCall = fixture.backend.calls[callsBefore + number - 1]
        switch failedCall {
        case .observe: #expect(result.failure?.step == .observe)
        case .currentSpec, .apply: #expect(result.failure?.step == .apply)
        case .stats, .monitoring: #expect(result.succeeded, "a measurement that fails is an Error verdict, not a failed pass")
        }
        try fixture.restart()
        try await Self.converge(fixture)
        try await Self.expectConverged(fixture, "backend call \(number) (\(failedCall))")
    }

    @Test("an apply whose answer is lost after it took effect, then a restart", arguments: [false, true])
    func applyLost(restart: Bool) async throws {
        let fixture = try await Self.beforeFatalPass()
        fixture.backend.failNext(.apply, takesEffect: true)
        await fixture.pass(.interval)
        if restart { try fixture.restart() }
        try await Self.converge(fixture)
        try await Self.expectConverged(fixture, "lost apply answer, restart \(restart)")
    }

    @Test("the store fails at write N of the pass (decisions, applied revisions, revert outcome), then a restart", arguments: 1...3)
    func storeFailsAtWrite(number: Int) async throws {
        let fixture = try await Self.beforeFatalPass()
        let writesBefore = fixture.writes.withLockedValue { $0.count }
        fixture.failWrite(number: number)
        let result = await fixture.pass(.interval)
        if number == 1 {
            #expect(result.failure?.step == .record)
            #expect(result.failure?.message == "saving the pass failed, so nothing was applied: the test's store refused the pass write")
            #expect(!result.appliedSpec)
            #expect(fixture.weights() == ["v1": 50, "v2": 50], "nothing applied without a record")
        }
        #expect(fixture.writes.withLockedValue { Array($0.dropFirst(writesBefore).prefix(number - 1)) } == Array([ControllerStore.Write.pass, .pass].prefix(number - 1)))
        try fixture.restart()
        try await Self.converge(fixture)
        try await Self.expectConverged(fixture, "store write \(number)")
    }

    @Test("a restart with no failure at each point of the rollout resumes at the same step")
    func restartAtEachStep() async throws {
        let (fixture, _) = try await CanaryPassTests.canary(Manifests.rollout(["weight: 30", "approval: {}", "weight: 60"]))
        await fixture.pass(.rolloutTick)
        try fixture.restart()
        await fixture.pass(.start)
        #expect(fixture.weights() == ["v1": 70, "v2": 30])
        try fixture.restart()
        await fixture.settle(.start)
        #expect(await fixture.state()?.reason.rawValue == "AwaitingApproval")
        #expect(await fixture.state()?.candidate?.step == 1)
        #expect(await fixture.execute(.promote(model: "fraud", full: false, actor: "alice")) == .done("passed the current step of fraud"))
        try fixture.restart()
        await fixture.settle(.start)
        #expect(fixture.weights() == ["v1": 0, "v2": 100])
        let kinds = try fixture.kinds()
        #expect(kinds.filter { $0 == "rolloutStarted" }.count == 1, "\(kinds)")
        #expect(kinds.filter { $0 == "awaitingApproval" }.count == 1, "\(kinds)")
        #expect(kinds.filter { $0 == "promoteRequested" }.count == 1, "\(kinds)")
        #expect(kinds.last == "promoted")
    }

    @Test("a command whose save fails is refused and changes nothing; after a restart it can be given again")
    func commandSaveFails() async throws {
        let (fixture, _) = try await CanaryPassTests.canary(Manifests.rollout(["weight: 40", "pause: 1h"], onAbort: "revert"))
        await fixture.settle()
        fixture.failWrite(of: .pass)
        #expect(await fixture.execute(.abort(model: "fraud", actor: "carol")) == .refused("could not save: the test's store refused the pass write"))
        #expect(await fixture.state()?.candidate != nil)
        #expect(try fixture.store.pendingReverts().isEmpty)
        try fixture.restart()
        await fixture.pass(.start)
        #expect(fixture.weights() == ["v1": 60, "v2": 40])
        #expect(await fixture.execute(.abort(model: "fraud", actor: "carol")) == .done("aborted the rollout of fraud"))
        // Killed before the pass that acts on the abort: the next controller does it.
        try fixture.restart()
        try await Self.converge(fixture)
        try await Self.expectConverged(fixture, "abort command")
    }

    /// After a monitor rollback: each action once, back on v1 after one revert commit.
    static func expectMonitorRollbackOnce(_ fixture: ControllerFixture, _ label: String) async throws {
        let kinds = try fixture.kinds()
        #expect(kinds.filter { $0 == "monitorFiring" }.count == 1, "\(label): \(kinds)")
        #expect(kinds.filter { $0 == "aborted" }.count == 1, "\(label): \(kinds)")
        #expect(!kinds.contains("rollbackSkipped"), "\(label): \(kinds)")
        #expect(kinds.filter { $0 == "reverted" }.count == 1, "\(label): \(kinds)")
        #expect(try fixture.subjects().filter { $0.hasPrefix("Revert") }.count == 1, "\(label)")
        #expect(fixture.weights() == ["v1": 100], "\(label)")
        #expect(await fixture.state()?.isSynced == true, "\(label)")
    }

    @Test("the monitor pass's save fails (with or without a restart): the next collection judges the same buckets, once", arguments: [false, true])
    func monitorPassSaveFails(restart: Bool) async throws {
        let (fixture, _) = try await MonitorPassTests.badCanary(onAbort: "revert")
        fixture.backend.serve("fraud", requests: 100)
        fixture.advance(10)
        fixture.failWrite(of: .monitors)
        await fixture.controller.monitorPass()
        #expect(await fixture.state()?.candidate != nil, "nothing decided without a record")
        #expect(try fixture.kinds().filter { $0 == "monitorFiring" }.isEmpty)
        if restart {
            try fixture.restart()
            await fixture.pass(.start)
        }
        await fixture.controller.monitorPass()
        await fixture.pass(.monitorRollback)
        await fixture.settle(.interval)
        try await Self.expectMonitorRollbackOnce(fixture, "restart \(restart)")
    }

    @Test("killed after the monitor pass saved a rollback, before the pass that applies it: the next controller applies and reverts")
    func crashAfterMonitorRollback() async throws {
        let (fixture, _) = try await MonitorPassTests.badCanary(onAbort: "revert")
        await MonitorPassTests.window(fixture)
        try fixture.restart()
        await fixture.pass(.start)
        await fixture.controller.monitorPass()
        await fixture.settle(.interval)
        try await Self.expectMonitorRollbackOnce(fixture, "crash after the monitor pass")
    }

    /// A canary one step before promotion (a pause about to end).
    static func beforePromotion() async throws -> ControllerFixture {
        let (fixture, _) = try await CanaryPassTests.canary(Manifests.rollout(["weight: 40", "pause: 1m"]))
        await fixture.settle()
        #expect(fixture.weights() == ["v1": 60, "v2": 40])
        fixture.advance(60)
        return fixture
    }

    /// Promoted once, v2 at 100%, the store and the data plane agreeing.
    static func expectPromotedOnce(_ fixture: ControllerFixture, _ label: String) async throws {
        await fixture.pass(.start)
        await fixture.settle(.interval)
        #expect(fixture.weights() == ["v1": 0, "v2": 100], "\(label)")
        #expect(await fixture.state()?.isSynced == true, "\(label)")
        #expect(await fixture.state()?.appliedRevision == fixture.backend.spec?.revision, "\(label)")
        let kinds = try fixture.kinds()
        #expect(kinds.filter { $0 == "promoted" }.count == 1, "\(label): \(kinds)")
        #expect(kinds.filter { $0 == "rolloutStarted" }.count == 1, "\(label): \(kinds)")
        let applied = fixture.backend.appliedSpecs
        for index in applied.indices.dropFirst() {
            #expect(applied[index] != applied[index - 1], "\(label): spec \(index) repeated")
        }
    }

    @Test("the promotion pass dies at backend call N (observe, currentSpec, apply), then a restart", arguments: 1...3)
    func promotionBackendFails(number: Int) async throws {
        let fixture = try await Self.beforePromotion()
        fixture.backend.failCall(number: number)
        let result = await fixture.pass(.interval)
        #expect(!result.succeeded)
        try fixture.restart()
        try await Self.expectPromotedOnce(fixture, "backend call \(number)")
    }

    @Test("the promotion pass dies at store write N (decisions, applied revisions), then a restart", arguments: 1...2)
    func promotionStoreFails(number: Int) async throws {
        let fixture = try await Self.beforePromotion()
        fixture.failWrite(number: number)
        await fixture.pass(.interval)
        try fixture.restart()
        try await Self.expectPromotedOnce(fixture, "store write \(number)")
    }
}
