import SluiceConfig
import SluiceCore
import SluiceTestSupport
import Testing
@testable import SluiceController

/// A manifest naming a runtime the operator did not define. The data plane refuses a whole
/// spec that names one, so the controller leaves that model out of the spec (keeping what
/// runs, saying why) and every other model goes on reconciling.
@Suite("controller passes: a runtime the operator did not define", .timeLimit(.minutes(10)))
struct RuntimePassTests {
    static let runtimes: [String: RuntimeDefinition] = ["python-v2": RuntimeDefinition(command: ["python3", "server.py", "--port", "{port}"])]

    /// `text` with its runtime replaced.
    static func onRuntime(_ runtime: String, _ text: String) -> String {
        text.replacingOccurrences(of: "runtime: python-v2", with: "runtime: \(runtime)")
    }

    /// fraud and other deployed and healthy; the controller knows the operator's runtimes
    /// (`knowsRuntimes`), the data plane refuses any spec naming another.
    static func twoModels(knowsRuntimes: Bool = true) async throws -> ControllerFixture {
        let fixture = try await ControllerFixture(
            files: ["manifests/fraud.yaml": Manifests.fraud(), "manifests/other.yaml": ManifestPassTests.other()]
                .merging(Manifests.artifacts("a1", "a2")) { $1 },
            dataPlaneRuntimes: ["python-v2"]) { config in
                if knowsRuntimes { config.runtimes = Self.runtimes }
            }
        await fixture.settle(.start)
        #expect(await fixture.controller.status().map(\.health) == [.healthy, .healthy])
        return fixture
    }

    @Test("that model keeps what runs and says RuntimeUndefined, naming the runtime, in status and one event; the other models go on; a fix deploys")
    func undefinedRuntimeKeepsTheModel() async throws {
        let fixture = try await Self.twoModels()
        let running = try #require(fixture.backend.spec?.model("fraud"))
        let commit = try fixture.commit("fraud on gpu-triton, other gets b, new model", [
            "fraud": Self.onRuntime("gpu-triton", Manifests.fraud([("v1", "a1"), ("v2", "a2")], traffic: ["v1": 0, "v2": 100])),
            "other": ManifestPassTests.other([("a", "a1"), ("b", "a2")], traffic: ["a": 50, "b": 50]),
            "fresh": Self.onRuntime("gpu-triton", Manifests.fraud(name: "fresh")),
        ])
        let result = await fixture.pass(.rolloutTick)
        #expect(result.succeeded, "\(String(describing: result.failure))")
        await fixture.settle()
        #expect(await fixture.controller.lastError() == nil)
        // The other model reconciled.
        #expect(fixture.weights("other") == ["a": 50, "b": 50])
        #expect(await fixture.state("other")?.isSynced == true)
        // fraud runs exactly what it ran, and says why it does not move.
        #expect(fixture.backend.spec?.model("fraud") == running)
        let fraud = try #require(await fixture.state("fraud"))
        #expect(fraud.reason == .runtimeUndefined)
        #expect(fraud.health == .degraded)
        #expect(fraud.candidate == nil)
        #expect(fraud.stable?.versions.map(\.runtime) == ["python-v2"])
        #expect(fraud.message.hasPrefix("manifests/fraud.yaml: runtime 'gpu-triton' is not defined in the operator's config (runtimes: python-v2)"), "\(fraud.message)")
        #expect(!fraud.isSynced)
        // A model never deployed is not sent at all, and says the same.
        #expect(fixture.backend.spec?.models.map(\.name) == ["fraud", "other"])
        let fresh = try #require(await fixture.state("fresh"))
        #expect(fresh.reason == .runtimeUndefined)
        #expect(fresh.stable == nil)
        // One event each, with the commit, however many passes see it.
        for _ in 0..<3 { await fixture.pass(.interval) }
        for model in ["fraud", "fresh"] {
            let events = try fixture.events(model, kind: "runtimeUndefined")
            let kinds = try fixture.kinds(model)
            #expect(events.count == 1, "\(model): \(kinds)")
            #expect(events.first?.revision == commit)
            #expect(events.first?.message.contains("runtime 'gpu-triton' is not defined") == true)
        }
        #expect(!(try fixture.kinds("fraud")).contains("rolloutStarted"))
        // Back on a defined runtime, the change rolls out.
        try fixture.commit("fraud back on python-v2", ["fraud": Manifests.fraud([("v1", "a1"), ("v2", "a2")], traffic: ["v1": 0, "v2": 100])])
        await fixture.settle()
        #expect(fixture.weights("fraud") == ["v1": 0, "v2": 100])
        let fixed = try #require(await fixture.state("fraud"))
        #expect(fixed.reason != .runtimeUndefined)
        #expect(fixed.manifestError == nil)
        #expect(fixed.health == .healthy)
    }

    @Test("a rollout in progress is not disturbed when the next commit names an undefined runtime")
    func rolloutInProgressUndisturbed() async throws {
        let fixture = try await Self.twoModels()
        let steps = Manifests.rollout(["weight: 30", "pause: 1h"])
        try fixture.commit("fraud v2", ["fraud": Manifests.fraud([("v1", "a1"), ("v2", "a2")], traffic: ["v1": 0, "v2": 100], extra: steps)])
        await fixture.settle()
        #expect(fixture.weights("fraud") == ["v1": 70, "v2": 30])
        try fixture.commit("fraud v2 on gpu-triton", ["fraud": Self.onRuntime("gpu-triton", Manifests.fraud([("v1", "a1"), ("v2", "a2")], traffic: ["v1": 0, "v2": 100], extra: steps))])
        let result = await fixture.settle()
        #expect(result.succeeded)
        #expect(fixture.weights("fraud") == ["v1": 70, "v2": 30])
        #expect(fixture.backend.spec?.model("fraud")?.versions.compactMap(\.runtime) == ["python-v2", "python-v2"])
        #expect(await fixture.state("fraud")?.reason == .runtimeUndefined)
        #expect(try fixture.kinds("fraud").last == "runtimeUndefined")
    }

    @Test("a controller whose config does not list the runtimes leaves the check to the data plane, which refuses the whole spec")
    func withoutRuntimesTheDataPlaneRefuses() async throws {
        let fixture = try await Self.twoModels(knowsRuntimes: false)
        try fixture.commit("fraud on gpu-triton, other gets b", [
            "fraud": Self.onRuntime("gpu-triton", Manifests.fraud()),
            "other": ManifestPassTests.other([("a", "a1"), ("b", "a2")], traffic: ["a": 50, "b": 50]),
        ])
        let result = await fixture.pass(.rolloutTick)
        #expect(result.failure?.step == .apply)
        #expect(result.failure?.message.contains("runtime 'gpu-triton' is not defined in the data plane's config") == true)
        #expect(fixture.weights("other") == ["a": 100], "nothing of the refused spec runs")
    }
}
