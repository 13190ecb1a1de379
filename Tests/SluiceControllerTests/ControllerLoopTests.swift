import Foundation
import SluiceConfig
import SluiceCore
import SluiceGit
import SluiceTestSupport
import Testing
@testable import SluiceController

/// The loop itself (`run()`), once, over the fake data plane: passes, the local branch
/// watcher and commands arrive as messages and are handled one at a time.
@Suite("controller loop", .timeLimit(.minutes(10)))
struct ControllerLoopTests {
    /// Waits (real time, bounded generously: a loaded machine can starve the loop's tasks
    /// for seconds) until `condition` holds; throws on timeout so nothing runs after it.
    static func eventually(_ what: String, seconds: Double = 90, _ condition: () async throws -> Bool) async throws {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw LoopTimeout(what: what)
    }

    struct LoopTimeout: Error, CustomStringConvertible {
        var what: String
        var description: String { "timed out waiting for \(what)" }
    }

    @Test("the running loop deploys at start, follows a commit on the local branch, and answers a command through its inbox")
    func loop() async throws {
        let fixture = try await ControllerFixture(files: ["manifests/fraud.yaml": Manifests.fraud()].merging(Manifests.artifacts("a1")) { $1 })
        let controller = fixture.controller
        let loop = Task { await controller.run() }
        defer { loop.cancel() }
        try await Self.eventually("the first deployment") { fixture.weights() == ["v1": 100] }
        try fixture.commit("fraud v2", ["fraud": Manifests.fraud(CanaryPassTests.v2Versions, traffic: CanaryPassTests.toV2, extra: Manifests.rollout(["weight: 30", "approval: {}"]))], artifacts: Manifests.artifacts("a2"))
        // The state is published once recorded, before the spec is applied: wait for both.
        try await Self.eventually("the approval step") {
            await controller.status(of: "fraud")?.reason.rawValue == "AwaitingApproval" && fixture.weights() == ["v1": 70, "v2": 30]
        }
        #expect(await controller.promote("fraud", full: false, actor: "alice") == .done("passed the current step of fraud"))
        try await Self.eventually("the promotion") { fixture.weights() == ["v1": 0, "v2": 100] }
        #expect(try fixture.kinds().filter { $0 == "rolloutStarted" }.count == 1)
        #expect(fixture.logged.withLockedValue { $0 }.contains { $0.hasPrefix("info: fraud: promoted: ") })
    }

    @Test("triggers waiting for the same pass merge into the one that reads the most")
    func triggerMerge() {
        let commit = CommitID(hex: String(repeating: "a", count: 40))
        #expect(Trigger.rolloutTick.merged(with: .interval) == .interval)
        #expect(Trigger.interval.merged(with: .rolloutTick) == .interval)
        #expect(Trigger.command.merged(with: .webhook(forge: "github")) == .webhook(forge: "github"))
        #expect(Trigger.webhook(forge: "gitlab").merged(with: .start) == .start)
        #expect(Trigger.branchMoved(commit).merged(with: .command) == .branchMoved(commit))
        #expect(Trigger.retry.fetchesRemote && !Trigger.retry.rereadsDataPlaneSpec)
        #expect(!Trigger.rolloutTick.fetchesRemote && !Trigger.monitorRollback.rereadsDataPlaneSpec)
    }

    @Test("commands given without a running loop are carried out at once")
    func commandsWithoutLoop() async throws {
        let (fixture, _) = try await CanaryPassTests.canary(Manifests.rollout(["weight: 30", "approval: {}"]))
        await fixture.settle()
        #expect(await fixture.controller.abort("fraud", actor: "carol") == .done("aborted the rollout of fraud"))
        #expect(await fixture.controller.retry("fraud", actor: "carol") == .done("fraud will be tried again"))
        #expect(await fixture.controller.approve(model: "fraud", monitor: "x", by: "carol") == .refused("model fraud has no monitor x"))
        #expect(try fixture.kinds().suffix(2) == ["aborted", "retry"])
    }

    @Test("metrics show every model's sync and health after a pass")
    func metrics() async throws {
        let fixture = try await ManifestPassTests.twoModels()
        let text = await fixture.controller.metricsText()
        #expect(text.contains("sluice_model_info{model=\"fraud\",sync=\"Synced\",health=\"Healthy\""), "\(text)")
        #expect(text.contains("sluice_model_info{model=\"other\",sync=\"Synced\",health=\"Healthy\""), "\(text)")
        #expect(text.contains("sluice_reconcile_duration_seconds_count"))
    }
}
