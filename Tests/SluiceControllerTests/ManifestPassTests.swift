import SluiceConfig
import SluiceCore
import SluiceTestSupport
import Testing
@testable import SluiceController

/// What git says that cannot be trusted: invalid manifests, missing artifacts, removed
/// models, an empty or unreadable manifest set.
@Suite("controller passes: manifests and pruning", .timeLimit(.minutes(10)))
struct ManifestPassTests {
    static func other(_ versions: [(String, String)] = [("a", "a1")], traffic: [String: Int] = ["a": 100]) -> String {
        Manifests.fraud(versions, traffic: traffic, name: "other")
    }

    /// fraud and other, both deployed and healthy.
    static func twoModels(configure: (inout ControllerConfig) -> Void = { _ in }) async throws -> ControllerFixture {
        let fixture = try await ControllerFixture(
            files: ["manifests/fraud.yaml": Manifests.fraud(), "manifests/other.yaml": other()].merging(Manifests.artifacts("a1", "a2")) { $1 },
            configure: configure)
        await fixture.settle(.start)
        return fixture
    }

    @Test("an invalid manifest keeps its model at the last good state, naming file:line:column, while the other model proceeds")
    func invalidManifestKeepsLastGood() async throws {
        let fixture = try await Self.twoModels()
        try fixture.commit("break fraud, move other", [
            "fraud": Manifests.fraud(traffic: ["v1": 90]),
            "other": Self.other([("a", "a1"), ("b", "a2")], traffic: ["a": 50, "b": 50]),
        ])
        await fixture.settle()
        let fraud = try #require(await fixture.state("fraud"))
        #expect(fraud.reason.rawValue == "InvalidManifest")
        #expect(fraud.message.hasPrefix("the manifest is invalid at "))
        #expect(fraud.message.hasSuffix("; keeping the last good state"))
        let error = try #require(fraud.manifestError)
        // The error points into the file: path, line and column, then the problem.
        let location = try #require(try Regex(#"^manifests/fraud\.yaml:(\d+):(\d+): "#).firstMatch(in: error), "\(error)")
        #expect(Int(location.output[1].substring ?? "") ?? 0 > 1)
        #expect(error.contains("100"), "\(error)")
        #expect(fixture.weights("fraud") == ["v1": 100])
        #expect(fixture.weights("other") == ["a": 50, "b": 50])
        #expect(!fraud.isSynced)
        // Fixing it clears the error.
        try fixture.commit("fix fraud", ["fraud": Manifests.fraud()])
        await fixture.settle()
        #expect(await fixture.state("fraud")?.manifestError == nil)
        #expect(await fixture.state("fraud")?.isSynced == true)
    }

    @Test("a manifest that is not YAML names the file, line and column; nothing is pruned")
    func yamlSyntaxError() async throws {
        let fixture = try await Self.twoModels()
        try fixture.commit("garbage", ["fraud": "apiVersion: sluice/v1\nkind: [unclosed\n"])
        await fixture.settle()
        #expect(fixture.weights("fraud") == ["v1": 100])
        let fraud = try #require(await fixture.state("fraud"))
        #expect(fraud.reason.rawValue == "Kept", "a file whose model cannot be read is not a removal")
        #expect(fraud.message.contains("a manifest file cannot be read at"), "\(fraud.message)")
        #expect(fraud.message.hasSuffix("so removals are not trusted"))
        #expect(try fixture.kinds("fraud").last == "kept")
    }

    @Test("a model whose artifact is not in the repository keeps its last good state with the path in the error")
    func missingArtifact() async throws {
        let fixture = try await Self.twoModels()
        try fixture.commit("v2 without its file", ["fraud": Manifests.fraud([("v1", "a1"), ("v2", "missing")], traffic: ["v1": 0, "v2": 100])])
        await fixture.settle()
        let fraud = try #require(await fixture.state("fraud"))
        #expect(fraud.reason.rawValue == "ArtifactUnavailable")
        #expect(fraud.health == .degraded, "the desired spec cannot run")
        #expect(fraud.message.contains("artifact 'models/missing.json' is not in the repository at"), "\(fraud.message)")
        #expect(fraud.manifestError?.contains("artifact 'models/missing.json' is not in the repository at") == true, "\(fraud.manifestError ?? "")")
        #expect(fixture.weights("fraud") == ["v1": 100])
        #expect(fixture.backend.spec?.model("fraud")?.versions.map(\.name) == ["v1"])
    }

    @Test("a model removed from git is pruned from the data plane and the status, with an event")
    func pruning() async throws {
        let fixture = try await Self.twoModels()
        let commit = try fixture.commit("drop other", [:], remove: ["manifests/other.yaml"])
        await fixture.settle()
        #expect(fixture.backend.spec?.models.map(\.name) == ["fraud"])
        #expect(await fixture.state("other") == nil)
        #expect(try fixture.store.states().keys.sorted() == ["fraud"])
        let pruned = try #require(try fixture.events("other", kind: "pruned").first)
        #expect(pruned.message == "other is no longer in git; removed from the data plane")
        #expect(pruned.revision == commit)
        #expect(await fixture.state("fraud")?.health == .healthy)
    }

    @Test("an empty manifest set prunes nothing: every model is Kept and told about allowEmpty")
    func emptySetGuard() async throws {
        let fixture = try await Self.twoModels()
        try fixture.commit("empty the folder", [:], remove: ["manifests/fraud.yaml", "manifests/other.yaml"])
        await fixture.settle()
        #expect(fixture.backend.spec?.models.map(\.name) == ["fraud", "other"])
        for model in ["fraud", "other"] {
            let state = try #require(await fixture.state(model))
            #expect(state.reason.rawValue == "Kept")
            #expect(state.message.hasPrefix("the manifest set is empty at "))
            #expect(state.message.hasSuffix("; set controller.allowEmpty to prune every model"))
            #expect(try fixture.kinds(model).filter { $0 == "kept" }.count == 1, "recorded once, not on every pass")
        }
        // Models come back when their manifests do.
        try fixture.commit("restore", ["fraud": Manifests.fraud(), "other": Self.other()])
        await fixture.settle(.interval)
        #expect(await fixture.state("fraud")?.isSynced == true)
    }

    @Test("with allowEmpty an empty manifest set prunes every model")
    func allowEmpty() async throws {
        let fixture = try await Self.twoModels { $0.allowEmpty = true }
        try fixture.commit("empty the folder", [:], remove: ["manifests/fraud.yaml", "manifests/other.yaml"])
        await fixture.settle()
        #expect(fixture.backend.spec?.models.isEmpty == true)
        #expect(await fixture.controller.status().isEmpty)
        #expect(try fixture.kinds("fraud").last == "pruned")
    }

    @Test("manifests outside controller.path are not read")
    func manifestsPath() async throws {
        let fixture = try await Self.twoModels()
        try fixture.repo.commit("elsewhere", files: ["other-dir/third.yaml": Manifests.fraud(name: "third")])
        await fixture.settle()
        #expect(fixture.backend.spec?.models.map(\.name) == ["fraud", "other"])
    }

    @Test("an invalid manifest for a model never deployed leaves nothing in the data plane")
    func invalidNewModel() async throws {
        let fixture = try await ControllerFixture(files: ["manifests/fraud.yaml": Manifests.fraud(traffic: ["v1": 50])].merging(Manifests.artifacts("a1")) { $1 })
        let result = await fixture.pass(.start)
        #expect(result.succeeded)
        #expect(fixture.backend.spec?.models.isEmpty ?? true)
        let state = try #require(await fixture.state())
        #expect(state.stable == nil)
        #expect(state.manifestError?.hasPrefix("manifests/fraud.yaml:") == true)
    }

    @Test("a manifest file too large to read: its model is Kept, a model removed in the same commit is not pruned, the others go on")
    func unreadableFileKeepsAndTrustsNoRemoval() async throws {
        let fixture = try await ControllerFixture(
            files: ["manifests/fraud.yaml": Manifests.fraud(), "manifests/other.yaml": Self.other(), "manifests/third.yaml": Manifests.fraud(name: "third")]
                .merging(Manifests.artifacts("a1", "a2")) { $1 })
        await fixture.settle(.start)
        // Over the 1 MiB manifest limit: the file is not read at all, so whatever it declares is unknown.
        let huge = Manifests.fraud() + "# " + String(repeating: "x", count: 1 << 20) + "\n"
        let commit = try fixture.commit("huge fraud, move other, drop third", [
            "fraud": huge, "other": Self.other([("a", "a1"), ("b", "a2")], traffic: ["a": 50, "b": 50]),
        ], remove: ["manifests/third.yaml"])
        let result = await fixture.settle()
        #expect(result.succeeded)
        #expect(fixture.weights("other") == ["a": 50, "b": 50], "a readable model goes on")
        #expect(fixture.backend.spec?.models.map(\.name) == ["fraud", "other", "third"])
        #expect(fixture.weights("fraud") == ["v1": 100])
        for model in ["fraud", "third"] {
            let state = try #require(await fixture.state(model))
            #expect(state.reason == .kept, "\(model)")
            #expect(state.message == "a manifest file cannot be read at \(commit.prefix(7)), so removals are not trusted", "\(model)")
            #expect(try fixture.events(model, kind: "kept").count == 1, "\(model)")
            #expect(try fixture.events(model, kind: "pruned").isEmpty, "\(model)")
        }
        // Once every file reads again, the removal is trusted.
        try fixture.commit("fraud readable again", ["fraud": Manifests.fraud()])
        await fixture.settle()
        #expect(fixture.backend.spec?.models.map(\.name) == ["fraud", "other"])
        #expect(try fixture.events("third", kind: "pruned").count == 1)
        #expect(await fixture.state("fraud")?.isSynced == true)
    }

    @Test("a new artifact committed under the same path is a change: it canaries as v1~canary, each side running its own bytes")
    func newArtifactUnderTheSamePath() async throws {
        let approval = Manifests.rollout(["weight: 50", "approval: {}"])
        let fixture = try await ControllerFixture(files: ["manifests/fraud.yaml": Manifests.fraud(extra: approval)].merging(Manifests.artifacts("a1")) { $1 })
        await fixture.settle(.start)
        let before = try #require(fixture.backend.spec?.model("fraud")?.versions.first?.artifact)
        // Only the model file changes; the manifest is byte for byte the same.
        let retrained = "{\"model\": \"a1\", \"retrained\": true}\n"
        let commit = try fixture.repo.commit("retrain a1 in place", files: ["models/a1.json": retrained])
        await fixture.settle()
        #expect(try fixture.events(kind: "rolloutStarted").first?.revision == commit)
        #expect(fixture.weights() == ["v1": 50, "v1~canary": 50])
        let versions = try #require(fixture.backend.spec?.model("fraud")?.versions)
        try #require(versions.map(\.name) == ["v1", "v1~canary"])
        #expect(versions[0].artifact == before)
        #expect(try String(contentsOfFile: try #require(versions[0].artifact), encoding: .utf8) == "{\"model\": \"a1\"}\n")
        #expect(try String(contentsOfFile: try #require(versions[1].artifact), encoding: .utf8) == retrained)
        #expect(await fixture.execute(.promote(model: "fraud", full: false, actor: "alice")) == .done("passed the current step of fraud"))
        await fixture.settle()
        #expect(fixture.weights() == ["v1": 100])
        #expect(fixture.backend.spec?.model("fraud")?.versions.first?.artifact == versions[1].artifact)
        #expect(await fixture.state()?.isSynced == true)
    }
}
