import SluiceConfig
import SluiceCore
import SluiceTestSupport
import Testing
@testable import SluiceController

/// First deployments, plain updates, readiness and fast rollbacks, in-process.
@Suite("controller passes: deploys", .timeLimit(.minutes(10)))
struct DeployPassTests {
    static let v1 = Manifests.fraud()
    static let v1Files = ["manifests/fraud.yaml": v1].merging(Manifests.artifacts("a1")) { $1 }

    @Test("first deploy: the spec names the version at 100%, the model is Healthy once it is ready, and one event says so")
    func firstDeploy() async throws {
        let fixture = try await ControllerFixture(files: Self.v1Files)
        let result = await fixture.pass(.start)
        #expect(result.succeeded)
        #expect(result.appliedSpec)
        #expect(fixture.weights() == ["v1": 100])
        let spec = try #require(fixture.backend.spec?.model("fraud"))
        #expect(spec.versions.map(\.name) == ["v1"])
        #expect(spec.versions.first?.runtime == "python-v2")
        // The artifact was written from git into the state directory, under its blob id.
        let artifact = try #require(spec.versions.first?.artifact)
        #expect(artifact.hasPrefix(fixture.config.artifactDirectory))
        #expect(fixture.backend.spec?.revision == (try fixture.repo.git(["rev-parse", "HEAD"])))
        await fixture.pass()
        let state = try #require(await fixture.state())
        #expect(state.health == .healthy)
        #expect(state.reason.rawValue == "Deployed")
        #expect(state.isSynced)
        #expect(try fixture.kinds() == ["deployed"])
        #expect(try fixture.events(kind: "deployed").first?.message == "first deployment of fraud: v1 100%")
    }

    @Test("a version that takes a while to start leaves the model Progressing until it is ready, then Synced")
    func waitsForReadiness() async throws {
        let fixture = try await ControllerFixture(files: Self.v1Files)
        fixture.backend.script("fraud", "v1", .init(readyAfter: 45))
        await fixture.pass(.start)
        await fixture.pass()
        var state = try #require(await fixture.state())
        #expect(state.health == .progressing)
        #expect(state.reason.rawValue == "WaitingForReadiness")
        #expect(state.message == "waiting for v1 to become ready")
        fixture.advance(45)
        await fixture.pass()
        state = try #require(await fixture.state())
        #expect(state.health == .healthy)
        #expect(state.reason.rawValue == "Synced")
    }

    @Test("a version that fails to start (Failed, CrashLoopBackOff) is never reported Healthy")
    func failedToStart() async throws {
        for phase in [VersionPhase.failed, .crashLoop] {
            let fixture = try await ControllerFixture(files: Self.v1Files)
            fixture.backend.script("fraud", "v1", .init(failure: (phase, "exec: python3: not found")))
            await fixture.pass(.start)
            fixture.advance(600)
            await fixture.pass()
            let state = try #require(await fixture.state())
            #expect(state.health == .progressing, "\(phase)")
            #expect(state.reason.rawValue == "WaitingForReadiness", "\(phase)")
        }
    }

    @Test("a second pass with nothing new applies nothing and records nothing")
    func idempotent() async throws {
        let fixture = try await ControllerFixture(files: Self.v1Files)
        await fixture.pass(.start)
        await fixture.pass()
        let applied = fixture.backend.appliedSpecs.count
        let events = try fixture.kinds().count
        for trigger in [Trigger.interval, .rolloutTick, .command, .interval] {
            let result = await fixture.pass(trigger)
            #expect(!result.appliedSpec)
            #expect(result.events.isEmpty)
        }
        #expect(fixture.backend.appliedSpecs.count == applied)
        #expect(try fixture.kinds().count == events)
    }

    @Test("a change that gives no new version traffic is applied at once as an update, without a canary")
    func plainUpdate() async throws {
        let fixture = try await ControllerFixture(files: [
            "manifests/fraud.yaml": Manifests.fraud([("v1", "a1"), ("v2", "a2")], traffic: ["v1": 100, "v2": 0]),
        ].merging(Manifests.artifacts("a1", "a2")) { $1 })
        await fixture.settle(.start)
        // v2 runs at 0%, so moving traffic back and forth among running versions needs no canary.
        try fixture.commit("sticky header", ["fraud": Manifests.fraud([("v1", "a1"), ("v2", "a2")], traffic: ["v1": 100, "v2": 0]) + "  routing:\n    stickyHeader: x-user\n"])
        await fixture.settle()
        let state = try #require(await fixture.state())
        #expect(state.reason.rawValue == "Updated" || state.reason.rawValue == "Synced")
        #expect(try fixture.kinds().contains("updated"))
        #expect(!(try fixture.kinds()).contains("rolloutStarted"))
        #expect(fixture.backend.spec?.model("fraud")?.route.stickyHeader == "x-user")
    }

    @Test("a new version without rollout steps switches once it is ready: rolloutStarted, step, promoted")
    func switchWithoutSteps() async throws {
        let fixture = try await ControllerFixture(files: Self.v1Files)
        await fixture.settle(.start)
        fixture.backend.script("fraud", "v2", .init(readyAfter: 20))
        try fixture.commit("v2", ["fraud": Manifests.fraud([("v1", "a1"), ("v2", "a2")], traffic: ["v1": 0, "v2": 100])], artifacts: Manifests.artifacts("a2"))
        await fixture.pass(.rolloutTick)
        // v2 starts at 0% beside v1; traffic moves only once it is ready.
        #expect(fixture.weights() == ["v1": 100, "v2": 0])
        #expect(await fixture.state()?.reason.rawValue == "WaitingForReadiness")
        await fixture.pass(.rolloutTick)
        #expect(fixture.weights() == ["v1": 100, "v2": 0])
        fixture.advance(20)
        await fixture.pass(.rolloutTick)
        #expect(fixture.weights() == ["v1": 0, "v2": 100])
        let state = try #require(await fixture.state())
        #expect(state.stable?.primary == "v2")
        #expect(state.health == .healthy)
        #expect(try fixture.kinds() == ["deployed", "rolloutStarted", "step", "promoted"])
    }

    @Test("a candidate that never becomes ready is aborted at the progress deadline and stays on stable")
    func progressDeadline() async throws {
        let fixture = try await ControllerFixture(files: Self.v1Files)
        await fixture.settle(.start)
        fixture.backend.script("fraud", "v2", .init(failure: (.crashLoop, "exit 1")))
        try fixture.commit("v2", ["fraud": Manifests.fraud([("v1", "a1"), ("v2", "a2")], traffic: ["v1": 0, "v2": 100], extra: "  rollout:\n    steps:\n      - weight: 50\n    progressDeadline: 2m\n")], artifacts: Manifests.artifacts("a2"))
        await fixture.pass(.rolloutTick)
        fixture.advance(119)
        await fixture.pass(.rolloutTick)
        #expect(await fixture.state()?.reason.rawValue == "WaitingForReadiness")
        fixture.advance(2)
        await fixture.pass(.rolloutTick)
        let state = try #require(await fixture.state())
        #expect(state.health == .degraded)
        #expect(state.reason.rawValue == "ProgressDeadlineExceeded")
        #expect(state.message.contains("v2 not ready within 2m"), "\(state.message)")
        #expect(fixture.weights() == ["v1": 100])
        #expect(try fixture.kinds().last == "aborted")
    }

    @Test("git revert of a promoted version is a fast rollback: 100% at once, no steps, no analysis")
    func fastRollbackAfterGitRevert() async throws {
        let fixture = try await ControllerFixture(files: Self.v1Files)
        await fixture.settle(.start)
        let canary = Manifests.rollout(["weight: 50", "pause: 1m"])
        try fixture.commit("v2", ["fraud": Manifests.fraud([("v1", "a1"), ("v2", "a2")], traffic: ["v1": 0, "v2": 100], extra: canary)], artifacts: Manifests.artifacts("a2"))
        await fixture.settle()
        fixture.advance(60)
        await fixture.settle()
        #expect(await fixture.state()?.stable?.primary == "v2")
        let appliedBefore = fixture.backend.appliedSpecs.count
        try fixture.repo.git(["revert", "--no-edit", "HEAD"])
        await fixture.pass(.rolloutTick)
        let state = try #require(await fixture.state())
        #expect(state.reason.rawValue == "FastRollback")
        #expect(state.candidate == nil)
        #expect(fixture.weights() == ["v1": 100])
        #expect(fixture.backend.appliedSpecs.count == appliedBefore + 1, "one spec, straight to v1")
        #expect(try fixture.kinds().last == "fastRollback")
        #expect(try fixture.events(kind: "fastRollback").first?.message == "fast rollback of fraud to v1 100%")
    }

    @Test("beyond rollbackWindow, returning to an old spec is a normal rollout again")
    func rollbackWindowLimit() async throws {
        let fixture = try await ControllerFixture(files: ["manifests/fraud.yaml": Manifests.fraud(extra: "  rollout:\n    steps:\n      - weight: 100\n    rollbackWindow: 1\n")].merging(Manifests.artifacts("a1", "a2", "a3")) { $1 })
        await fixture.settle(.start)
        let window = "  rollout:\n    steps:\n      - weight: 100\n    rollbackWindow: 1\n"
        try fixture.commit("v2", ["fraud": Manifests.fraud([("v2", "a2")], traffic: ["v2": 100], extra: window)])
        await fixture.settle()
        try fixture.commit("v3", ["fraud": Manifests.fraud([("v3", "a3")], traffic: ["v3": 100], extra: window)])
        await fixture.settle()
        try fixture.commit("back to v1", ["fraud": Manifests.fraud(extra: window)])
        await fixture.settle()
        #expect(!(try fixture.kinds()).contains("fastRollback"))
        #expect(try fixture.kinds().filter { $0 == "promoted" }.count == 3)
        #expect(fixture.weights() == ["v1": 100])
    }

    @Test("a retrained artifact under the same name canaries as NAME~canary beside the stable process")
    func inPlaceCanary() async throws {
        let fixture = try await ControllerFixture(files: Self.v1Files)
        await fixture.settle(.start)
        let approval = Manifests.rollout(["weight: 50", "approval: {}"])
        try fixture.commit("retrain v1", ["fraud": Manifests.fraud([("v1", "a1-retrained")], extra: approval)], artifacts: Manifests.artifacts("a1-retrained"))
        await fixture.settle()
        #expect(fixture.weights() == ["v1": 50, "v1~canary": 50])
        let versions = try #require(fixture.backend.spec?.model("fraud")?.versions)
        #expect(versions.map(\.name) == ["v1", "v1~canary"])
        #expect(versions[0].artifact != versions[1].artifact)
        #expect(await fixture.state()?.reason.rawValue == "AwaitingApproval")
        #expect(await fixture.execute(.promote(model: "fraud", full: false, actor: "alice")) == .done("passed the current step of fraud"))
        await fixture.settle()
        #expect(fixture.weights() == ["v1": 100])
        #expect(fixture.backend.spec?.model("fraud")?.versions.first?.artifact == versions[1].artifact)
    }

    @Test("20 models are deployed in one pass and one spec")
    func manyModels() async throws {
        var files = Manifests.artifacts("a1")
        for index in 0..<20 { files["manifests/m\(index).yaml"] = Manifests.fraud(name: "m\(index)") }
        let fixture = try await ControllerFixture(files: files)
        await fixture.pass(.start)
        #expect(fixture.backend.appliedSpecs.count == 1)
        #expect(fixture.backend.spec?.models.count == 20)
        await fixture.pass()
        #expect(await fixture.controller.status().allSatisfy { $0.health == .healthy })
    }

    @Test("routing from the manifest reaches the data plane: a sticky header and a mirror")
    func routing() async throws {
        let routing = "  routing:\n    stickyHeader: x-user\n    mirror:\n      version: v2\n      percent: 10\n"
        let fixture = try await ControllerFixture(files: [
            "manifests/fraud.yaml": Manifests.fraud([("v1", "a1"), ("v2", "a2")], traffic: ["v1": 100, "v2": 0], extra: routing),
        ].merging(Manifests.artifacts("a1", "a2")) { $1 })
        await fixture.pass(.start)
        let route = try #require(fixture.backend.spec?.model("fraud")?.route)
        #expect(route.stickyHeader == "x-user")
        #expect(route.mirror?.version == "v2")
        #expect(route.mirror?.percent == 10)
        #expect(route.weights == ["v1": 100, "v2": 0])
    }
}
