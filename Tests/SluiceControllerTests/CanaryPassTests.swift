import SluiceConfig
import SluiceCore
import SluiceGit
import SluiceTestSupport
import Testing
@testable import SluiceController

/// Canary rollouts with steps, pauses and approvals; commands (promote, abort, retry);
/// superseding commits; `onAbort: revert`.
@Suite("controller passes: canaries and commands", .timeLimit(.minutes(10)))
struct CanaryPassTests {
    static let v2Versions = [("v1", "a1"), ("v2", "a2")]
    static let toV2 = ["v1": 0, "v2": 100]

    /// v1 deployed and healthy, then a commit of v2 with `rollout`; returns the v2 commit.
    static func canary(_ rollout: String, configure: (inout ControllerConfig) -> Void = { _ in }) async throws -> (ControllerFixture, String) {
        let fixture = try await ControllerFixture(
            files: ["manifests/fraud.yaml": Manifests.fraud()].merging(Manifests.artifacts("a1")) { $1 }, configure: configure)
        await fixture.settle(.start)
        let commit = try fixture.commit("fraud v2", ["fraud": Manifests.fraud(v2Versions, traffic: toV2, extra: rollout)], artifacts: Manifests.artifacts("a2"))
        return (fixture, commit)
    }

    @Test("steps and pauses: 20%, a 1m pause, 50%, then promotion; each step applied and recorded")
    func stepsAndPauses() async throws {
        let (fixture, commit) = try await Self.canary(Manifests.rollout(["weight: 20", "pause: 1m", "weight: 50", "pause: 2m"]))
        await fixture.pass(.rolloutTick)
        let started = try #require(try fixture.events(kind: "rolloutStarted").first)
        #expect(started.message == "canary of fraud toward v2 100% in 4 steps")
        #expect(started.revision == commit)
        await fixture.pass(.rolloutTick)
        #expect(fixture.weights() == ["v1": 80, "v2": 20])
        let state = try #require(await fixture.state())
        #expect(state.health == .progressing)
        #expect(state.reason.rawValue == "Canary")
        #expect(state.message == "step 2/4, candidate at 20% of the way to v2 100%")
        fixture.advance(59)
        await fixture.pass(.rolloutTick)
        #expect(fixture.weights() == ["v1": 80, "v2": 20], "the pause is not over")
        fixture.advance(1)
        await fixture.pass(.rolloutTick)
        #expect(fixture.weights() == ["v1": 50, "v2": 50])
        fixture.advance(120)
        await fixture.pass(.rolloutTick)
        #expect(fixture.weights() == ["v1": 0, "v2": 100])
        #expect(await fixture.state()?.reason.rawValue == "Promoted")
        #expect(await fixture.state()?.stable?.revision == commit)
        #expect(try fixture.kinds() == ["deployed", "rolloutStarted", "step", "step", "promoted"])
        #expect(try fixture.events(kind: "step").map(\.message) == ["step 1/4: 20% to the candidate", "step 3/4: 50% to the candidate"])
    }

    @Test("an approval step waits, through any number of passes, until `promote`")
    func approval() async throws {
        let (fixture, _) = try await Self.canary(Manifests.rollout(["weight: 30", "approval: {}", "weight: 60"]))
        await fixture.settle()
        let state = try #require(await fixture.state())
        #expect(state.health == .paused)
        #expect(state.reason.rawValue == "AwaitingApproval")
        #expect(state.candidate?.step == 1)
        #expect(fixture.weights() == ["v1": 70, "v2": 30])
        fixture.advance(86_400)
        await fixture.settle()
        #expect(await fixture.state()?.reason.rawValue == "AwaitingApproval")
        #expect(try fixture.kinds().filter { $0 == "awaitingApproval" }.count == 1)
        let outcome = await fixture.execute(.promote(model: "fraud", full: false, actor: "alice"))
        #expect(outcome == .done("passed the current step of fraud"))
        let requested = try #require(try fixture.events(kind: "promoteRequested").first)
        #expect(requested.actor == "alice")
        #expect(requested.message == "step passed by a person")
        await fixture.pass(.command)
        #expect(fixture.weights() == ["v1": 0, "v2": 100])
        #expect(await fixture.state()?.health == .healthy)
    }

    @Test("`promote --full` skips every remaining step and pause")
    func promoteFull() async throws {
        let (fixture, _) = try await Self.canary(Manifests.rollout(["weight: 10", "pause: 1h", "weight: 50", "pause: 1h"]))
        await fixture.settle()
        #expect(fixture.weights() == ["v1": 90, "v2": 10])
        #expect(await fixture.execute(.promote(model: "fraud", full: true, actor: "bob")) == .done("promoting fraud to the end"))
        await fixture.pass(.command)
        #expect(fixture.weights() == ["v1": 0, "v2": 100])
        #expect(try fixture.events(kind: "promoteRequested").first?.message == "promoted to the end by a person")
    }

    @Test("`promote` during a timed pause passes it at once")
    func promotePause() async throws {
        let (fixture, _) = try await Self.canary(Manifests.rollout(["weight: 10", "pause: 1h", "weight: 50", "pause: 1h"]))
        await fixture.settle()
        #expect(await fixture.execute(.promote(model: "fraud", full: false, actor: "bob")) == .done("passed the current step of fraud"))
        await fixture.pass(.command)
        #expect(fixture.weights() == ["v1": 50, "v2": 50])
    }

    @Test("commands are refused with the reason: nothing to promote, abort or retry; an unknown model")
    func refusedCommands() async throws {
        let fixture = try await ControllerFixture(files: ["manifests/fraud.yaml": Manifests.fraud()].merging(Manifests.artifacts("a1")) { $1 })
        await fixture.settle(.start)
        let applied = fixture.backend.appliedSpecs.count
        #expect(await fixture.execute(.promote(model: "fraud", full: false, actor: "a")) == .refused("fraud has no rollout waiting at a pause or an approval (Deployed)"))
        #expect(await fixture.execute(.abort(model: "fraud", actor: "a")) == .refused("fraud has no rollout in progress"))
        #expect(await fixture.execute(.retry(model: "fraud", actor: "a")) == .refused("fraud's desired spec has not failed; nothing to retry"))
        #expect(await fixture.execute(.promote(model: "nope", full: false, actor: "a")) == .unknownModel)
        #expect(await fixture.execute(.abort(model: "nope", actor: "a")) == .unknownModel)
        #expect(await fixture.execute(.retry(model: "nope", actor: "a")) == .unknownModel)
        await fixture.pass(.command)
        #expect(fixture.backend.appliedSpecs.count == applied)
        #expect(try fixture.kinds() == ["deployed"])
    }

    @Test("abort: 100% back to stable on the next pass, the candidate remembered as failed, not retried")
    func abortCommand() async throws {
        let (fixture, commit) = try await Self.canary(Manifests.rollout(["weight: 40", "pause: 1h"]))
        await fixture.settle()
        #expect(fixture.weights() == ["v1": 60, "v2": 40])
        #expect(await fixture.execute(.abort(model: "fraud", actor: "carol")) == .done("aborted the rollout of fraud"))
        let aborted = try #require(try fixture.events(kind: "aborted").first)
        #expect(aborted.actor == "carol")
        #expect(aborted.message == "Aborted: aborted by a person; 100% back to stable")
        #expect(aborted.revision == commit)
        await fixture.pass(.command)
        #expect(fixture.weights() == ["v1": 100])
        fixture.advance(3600)
        await fixture.settle(.interval)
        let state = try #require(await fixture.state())
        #expect(state.health == .degraded)
        #expect(state.reason.rawValue == "CandidateFailed")
        #expect(state.message.hasPrefix("this spec failed before and is not retried; change it or run `sluice retry fraud`."), "\(state.message)")
        #expect(try fixture.kinds().filter { $0 == "rolloutStarted" }.count == 1)
        // No revert commit without `onAbort: revert`.
        #expect(try fixture.subjects().first == "fraud v2")
    }

    @Test("retry after an abort starts the same rollout again")
    func retryAfterAbort() async throws {
        let (fixture, _) = try await Self.canary(Manifests.rollout(["weight: 40", "pause: 1h"]))
        await fixture.settle()
        _ = await fixture.execute(.abort(model: "fraud", actor: "carol"))
        await fixture.settle(.command)
        #expect(await fixture.execute(.retry(model: "fraud", actor: "dave")) == .done("fraud will be tried again"))
        await fixture.settle(.command)
        #expect(fixture.weights() == ["v1": 60, "v2": 40])
        #expect(try fixture.kinds().filter { $0 == "rolloutStarted" }.count == 2)
        #expect(try fixture.events(kind: "retry").first?.actor == "dave")
    }

    @Test("abort with `onAbort: revert` writes one revert commit in the real repository, and git then agrees with what runs")
    func abortWithRevert() async throws {
        let (fixture, commit) = try await Self.canary(Manifests.rollout(["weight: 40", "pause: 1h"], onAbort: "revert"))
        await fixture.settle()
        _ = await fixture.execute(.abort(model: "fraud", actor: "carol"))
        let result = await fixture.pass(.command)
        #expect(result.events.contains { $0.event.kind.rawValue == "reverted" })
        #expect(try fixture.subjects().first == "Revert \"fraud v2\" for fraud")
        #expect(try fixture.repo.git(["log", "-1", "--format=%b"]).contains("This reverts commit \(commit)"))
        #expect(try fixture.repo.read("manifests/fraud.yaml") == Manifests.fraud())
        let reverted = try #require(try fixture.events(kind: "reverted").first)
        #expect(reverted.message.hasPrefix("onAbort: revert: committed "))
        #expect(reverted.message.hasSuffix(" on main (manifests/fraud.yaml)"))
        await fixture.settle(.interval)
        let state = try #require(await fixture.state())
        #expect(state.isSynced)
        #expect(state.health == .healthy)
        #expect(fixture.weights() == ["v1": 100])
        #expect(try fixture.subjects().filter { $0.hasPrefix("Revert") }.count == 1)
        #expect(try fixture.events(kind: "reverted").count == 1)
    }

    @Test("the revert commit is by Sluice <sluice@HOSTNAME>, not by the identity the repository's git config sets")
    func revertAuthorDefault() async throws {
        let (fixture, _) = try await Self.canary(Manifests.rollout(["weight: 40", "pause: 1h"], onAbort: "revert"))
        try fixture.repo.git(["config", "user.name", "Repo Person"])
        try fixture.repo.git(["config", "user.email", "person@repo.example"])
        await fixture.settle()
        _ = await fixture.execute(.abort(model: "fraud", actor: "carol"))
        await fixture.pass(.command)
        #expect(try fixture.subjects().first == "Revert \"fraud v2\" for fraud")
        let expected = "Sluice <sluice@\(GitIdentity.hostName())>"
        #expect(try fixture.repo.git(["log", "-1", "--format=%an <%ae>|%cn <%ce>"]) == "\(expected)|\(expected)")
    }

    @Test("the revert commit is by controller.git.author when it is set")
    func revertAuthorConfigured() async throws {
        let (fixture, _) = try await Self.canary(Manifests.rollout(["weight: 40", "pause: 1h"], onAbort: "revert")) { config in
            config.gitAuthor = GitIdentity(name: "Release Bot", email: "release-bot@example.com")
        }
        try fixture.repo.git(["config", "user.name", "Repo Person"])
        await fixture.settle()
        _ = await fixture.execute(.abort(model: "fraud", actor: "carol"))
        await fixture.pass(.command)
        #expect(try fixture.events(kind: "reverted").count == 1)
        #expect(try fixture.repo.git(["log", "-1", "--format=%an <%ae>|%cn <%ce>"])
            == "Release Bot <release-bot@example.com>|Release Bot <release-bot@example.com>")
    }

    @Test("a revert is skipped, with the reason, when git moved past the failed change before it could be written")
    func revertSkipped() async throws {
        let (fixture, _) = try await Self.canary(Manifests.rollout(["weight: 40", "pause: 1h"], onAbort: "revert"))
        await fixture.settle()
        _ = await fixture.execute(.abort(model: "fraud", actor: "carol"))
        // Someone fixes forward before the pass that would write the revert.
        try fixture.commit("fraud v3", ["fraud": Manifests.fraud([("v1", "a1"), ("v3", "a3")], traffic: ["v1": 100, "v3": 0])], artifacts: Manifests.artifacts("a3"))
        await fixture.pass(.command)
        let skipped = try #require(try fixture.events(kind: "revertSkipped").first)
        #expect(skipped.message == "onAbort: revert: main no longer holds the failed change (already reverted or superseded)")
        #expect(try fixture.subjects().first == "fraud v3")
    }

    @Test("a newer commit supersedes the rollout in progress: the new canary starts from stable")
    func supersededByNewerCommit() async throws {
        let (fixture, v2) = try await Self.canary(Manifests.rollout(["weight: 40", "pause: 1h"]))
        await fixture.settle()
        #expect(fixture.weights() == ["v1": 60, "v2": 40])
        try fixture.commit("fraud v3", ["fraud": Manifests.fraud([("v1", "a1"), ("v3", "a3")], traffic: ["v1": 0, "v3": 100], extra: Manifests.rollout(["weight: 40", "pause: 1h"]))], artifacts: Manifests.artifacts("a3"))
        await fixture.pass(.rolloutTick)
        let superseded = try #require(try fixture.events(kind: "superseded").first)
        #expect(superseded.message == "a newer commit supersedes the rollout to \(v2.prefix(7))")
        await fixture.settle()
        #expect(fixture.weights() == ["v1": 60, "v3": 40])
        #expect(fixture.backend.spec?.model("fraud")?.versions.map(\.name) == ["v1", "v3"])
        #expect(try fixture.kinds().filter { $0 == "rolloutStarted" }.count == 2)
    }

    @Test("git returning to the stable spec cancels the rollout")
    func returnToStable() async throws {
        let (fixture, v2) = try await Self.canary(Manifests.rollout(["weight: 40", "pause: 1h"]))
        await fixture.settle()
        try fixture.repo.git(["revert", "--no-edit", "HEAD"])
        await fixture.settle()
        #expect(try fixture.events(kind: "superseded").first?.message == "git returned to the stable spec; the rollout to \(v2.prefix(7)) is cancelled")
        #expect(fixture.weights() == ["v1": 100])
        #expect(await fixture.state()?.isSynced == true)
    }

    @Test("a canary waits for its version to be ready before the first step moves traffic")
    func canaryWaitsForReadiness() async throws {
        let (fixture, _) = try await Self.canary(Manifests.rollout(["weight: 25", "pause: 1m"]))
        fixture.backend.script("fraud", "v2", .init(readyAfter: 90))
        await fixture.settle()
        #expect(fixture.weights() == ["v1": 100, "v2": 0])
        #expect(await fixture.state()?.message == "waiting for v2 to become ready")
        fixture.advance(90)
        await fixture.pass(.rolloutTick)
        #expect(fixture.weights() == ["v1": 75, "v2": 25])
        // The pause counts from readiness, not from the commit.
        fixture.advance(59)
        await fixture.pass(.rolloutTick)
        #expect(fixture.weights() == ["v1": 75, "v2": 25])
    }
}
