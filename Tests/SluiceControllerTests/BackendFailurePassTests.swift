import Foundation
import SluiceConfig
import SluiceCore
import SluiceGit
import SluiceTestSupport
import Testing
@testable import SluiceController

/// A data plane that is down, refuses, loses answers, or was changed behind the
/// controller's back.
@Suite("controller passes: the data plane fails or drifts", .timeLimit(.minutes(10)))
struct BackendFailurePassTests {
    static func deployed() async throws -> ControllerFixture {
        let fixture = try await ControllerFixture(files: ["manifests/fraud.yaml": Manifests.fraud()].merging(Manifests.artifacts("a1", "a2")) { $1 })
        await fixture.settle(.start)
        return fixture
    }

    @Test("self-heal: a spec changed behind the controller's back is replaced on an interval pass, not on a rollout tick")
    func selfHeal() async throws {
        let fixture = try await Self.deployed()
        let good = try #require(fixture.backend.spec)
        let applied = fixture.backend.appliedSpecs.count
        fixture.backend.replaceSpec(RuntimeSpec(revision: "someone else", models: []))
        // Rollout ticks trust what this controller applied last: no re-read, no change.
        let tick = await fixture.pass(.rolloutTick)
        #expect(!tick.appliedSpec)
        #expect(fixture.backend.spec?.models.isEmpty == true)
        let interval = await fixture.pass(.interval)
        #expect(interval.appliedSpec)
        #expect(fixture.backend.spec == good)
        #expect(fixture.backend.appliedSpecs.count == applied + 1)
        // Recorded under the model whose data plane drifted, so `sluice history fraud` shows it.
        let heal = try #require(try fixture.store.history(of: "fraud").first { $0.kind == .selfHeal })
        #expect(heal.message == "the data plane's spec for this model differed from the controller's; replaced")
        #expect(interval.events.map(\.event.kind) == [.selfHeal])
        #expect(interval.events.map(\.model) == ["fraud"])
        #expect(try fixture.store.history(of: "*").isEmpty)
    }

    @Test("self-heal also runs on the start pass of a restarted controller")
    func selfHealAfterRestart() async throws {
        let fixture = try await Self.deployed()
        let good = try #require(fixture.backend.spec)
        var changed = good
        changed.models[0].route.weights = ["v1": 0]
        fixture.backend.replaceSpec(changed)
        try fixture.restart()
        let result = await fixture.pass(.start)
        #expect(result.appliedSpec)
        #expect(fixture.backend.spec == good)
    }

    @Test("the data plane unreachable: the pass reports the observe step failing, nothing is recorded; the next pass converges")
    func unreachableThenConverges() async throws {
        let fixture = try await ControllerFixture(files: ["manifests/fraud.yaml": Manifests.fraud()].merging(Manifests.artifacts("a1")) { $1 })
        fixture.backend.setDown(.init(.unreachable, "the data plane at 127.0.0.1:1 did not answer: connection refused"))
        let failed = await fixture.pass(.start)
        #expect(failed.failure?.step == .observe)
        #expect(failed.failure?.message == "the data plane at 127.0.0.1:1 did not answer: connection refused")
        #expect(await fixture.controller.lastError() == "the data plane at 127.0.0.1:1 did not answer: connection refused")
        #expect(try fixture.kinds().isEmpty)
        #expect(await fixture.state() == nil)
        fixture.backend.setDown(nil)
        let recovered = await fixture.pass(.retry)
        #expect(recovered.succeeded)
        #expect(await fixture.controller.lastError() == nil)
        #expect(fixture.weights() == ["v1": 100])
        #expect(try fixture.kinds() == ["deployed"])
    }

    @Test("the spec refused: the pass reports the apply step; decisions stay recorded; the next pass applies")
    func applyRefused() async throws {
        let fixture = try await Self.deployed()
        fixture.backend.failNext(.apply, with: .init(.refused(status: 400), "400 from the data plane for PUT /v1/spec: runtime spec refused"))
        try fixture.commit("v2", ["fraud": Manifests.fraud([("v1", "a1"), ("v2", "a2")], traffic: ["v1": 0, "v2": 100])])
        let failed = await fixture.pass(.branchMoved(CommitID(hex: try fixture.repo.git(["rev-parse", "HEAD"]))))
        #expect(failed.failure?.step == .apply)
        #expect(failed.failure?.message == "applying the runtime spec failed: 400 from the data plane for PUT /v1/spec: runtime spec refused")
        #expect(!failed.appliedSpec)
        #expect(try fixture.kinds().last == "rolloutStarted", "the decision was recorded before applying")
        #expect(fixture.weights() == ["v1": 100])
        // The next pass re-reads the data plane's spec (the last apply failed) and applies.
        let next = await fixture.pass(.rolloutTick)
        #expect(next.succeeded)
        #expect(next.appliedSpec)
        #expect(fixture.backend.spec?.model("fraud")?.versions.map(\.name) == ["v1", "v2"])
        #expect(try fixture.kinds().filter { $0 == "rolloutStarted" }.count == 1)
    }

    @Test("an apply whose answer was lost after it took effect is not sent again")
    func lostAnswer() async throws {
        let fixture = try await Self.deployed()
        fixture.backend.failNext(.apply, takesEffect: true)
        try fixture.commit("sticky", ["fraud": Manifests.fraud() + "  routing:\n    stickyHeader: x-user\n"])
        let failed = await fixture.pass(.rolloutTick)
        #expect(failed.failure?.step == .apply)
        let applied = fixture.backend.appliedSpecs.count
        let next = await fixture.pass(.rolloutTick)
        #expect(next.succeeded)
        #expect(!next.appliedSpec, "the data plane already runs it")
        #expect(fixture.backend.appliedSpecs.count == applied)
        #expect(fixture.backend.spec?.model("fraud")?.route.stickyHeader == "x-user")
    }

    @Test("reading the data plane's spec fails on an interval pass: the apply step fails, the next pass heals")
    func currentSpecFails() async throws {
        let fixture = try await Self.deployed()
        fixture.backend.failNext(.currentSpec, with: .init(.unreadable, "the data plane's answer to GET /v1/spec is not what was expected"))
        let failed = await fixture.pass(.interval)
        #expect(failed.failure?.step == .apply)
        #expect(failed.failure?.message.contains("GET /v1/spec is not what was expected") == true)
        #expect(await fixture.pass(.interval).succeeded)
    }

    @Test("a data plane that restarted empty (lost its spec) gets the whole spec again on the next interval pass")
    func dataPlaneRestartedEmpty() async throws {
        let fixture = try await Self.deployed()
        let good = fixture.backend.spec
        fixture.backend.replaceSpec(nil)
        await fixture.pass(.interval)
        #expect(fixture.backend.spec == good)
    }

    @Test("git unreadable: the pass reports the readGit step and goes on with the desired state it had")
    func gitUnreadable() async throws {
        let fixture = try await Self.deployed()
        fixture.config.branch = "no-such-branch"
        try fixture.restart()
        let first = await fixture.pass(.start)
        #expect(first.failure?.step == .readGit)
        #expect(first.failure?.message.hasPrefix("reading git failed: ") == true)
        #expect(fixture.weights() == ["v1": 100], "nothing changes without a desired state")
    }

    @Test("git failing after a desired state was read: the pass goes on with it, and the error stays reported until git reads again")
    func gitFailsLater() async throws {
        let fixture = try await Self.deployed()
        // HEAD now names a branch that does not exist.
        try fixture.repo.git(["symbolic-ref", "HEAD", "refs/heads/gone"])
        let failed = await fixture.pass(.interval)
        #expect(failed.failure?.step == .readGit)
        #expect(fixture.weights() == ["v1": 100])
        #expect(await fixture.controller.lastError()?.hasPrefix("reading git failed: ") == true, "the status shows why git is not followed")
        try fixture.repo.git(["symbolic-ref", "HEAD", "refs/heads/main"])
        #expect(await fixture.pass(.interval).succeeded)
        #expect(await fixture.controller.lastError() == nil)
    }

    @Test("with the data plane refusing the abort's spec, the revert commit waits until traffic is back on stable")
    func revertWaitsForApply() async throws {
        let fixture = try await AnalysisPassTests.analysed(onAbort: "revert")
        fixture.backend.script("fraud", "v2", .init(errorRate: 0.5))
        fixture.backend.failNext(.apply, with: .init(.unreachable, "the data plane did not answer"))
        let failed = await AnalysisPassTests.interval(fixture)
        #expect(failed.failure?.step == .apply)
        #expect(try fixture.kinds().last == "aborted")
        #expect(try fixture.subjects().first == "fraud v2", "git must not say v1 while v2 still takes traffic")
        #expect(fixture.weights() == ["v1": 50, "v2": 50])
        let next = await fixture.pass(.rolloutTick)
        #expect(next.succeeded)
        #expect(fixture.weights() == ["v1": 100])
        #expect(try fixture.subjects().first == "Revert \"fraud v2\" for fraud")
    }

    @Test("a webhook trigger on a local repository reads the new commit like any other")
    func webhookTrigger() async throws {
        let fixture = try await Self.deployed()
        try fixture.commit("sticky", ["fraud": Manifests.fraud() + "  routing:\n    stickyHeader: x-user\n"])
        let result = await fixture.pass(.webhook(forge: "github"))
        #expect(result.appliedSpec)
        #expect(result.commit?.hex == (try fixture.repo.git(["rev-parse", "HEAD"])))
    }

    @Test("git unreadable at the head (a manifest's object is missing): the pass reports readGit, keeps the desired state it had, prunes nothing; once readable it goes on")
    func headObjectMissing() async throws {
        let fixture = try await ControllerFixture(
            files: ["manifests/fraud.yaml": Manifests.fraud(), "manifests/other.yaml": ManifestPassTests.other()].merging(Manifests.artifacts("a1", "a2")) { $1 })
        await fixture.settle(.start)
        let applied = fixture.backend.appliedSpecs.count
        let events = try fixture.kinds().count
        try fixture.commit("sticky fraud", ["fraud": Manifests.fraud() + "  routing:\n    stickyHeader: x-user\n"])
        // The new manifest's blob vanishes from the object store (a broken clone, a bad disk).
        let blob = try fixture.repo.git(["rev-parse", "HEAD:manifests/fraud.yaml"])
        let object = fixture.repo.url.appendingPathComponent(".git/objects/\(blob.prefix(2))/\(blob.dropFirst(2))")
        let aside = object.appendingPathExtension("aside")
        try FileManager.default.moveItem(at: object, to: aside)
        for trigger in [Trigger.rolloutTick, .interval] {
            let result = await fixture.pass(trigger)
            #expect(result.failure?.step == .readGit, "\(trigger)")
            #expect(result.failure?.message.hasPrefix("reading git failed: ") == true, "\(result.failure?.message ?? "")")
        }
        #expect(await fixture.controller.lastError()?.hasPrefix("reading git failed: ") == true)
        #expect(fixture.backend.appliedSpecs.count == applied, "nothing is applied from a head that cannot be read")
        #expect(fixture.backend.spec?.models.map(\.name) == ["fraud", "other"])
        #expect(try fixture.kinds().count == events)
        #expect(try fixture.kinds("other").count == 1)
        try FileManager.default.moveItem(at: aside, to: object)
        let healed = await fixture.pass(.interval)
        #expect(healed.succeeded)
        #expect(await fixture.controller.lastError() == nil)
        #expect(fixture.backend.spec?.model("fraud")?.route.stickyHeader == "x-user")
    }
}
