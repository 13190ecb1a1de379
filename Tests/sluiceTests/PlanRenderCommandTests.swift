import Foundation
import SluiceTestSupport
import Testing

/// `sluice plan --backend kubernetes --render` end to end: the real binary on a real git
/// repository and an operator config outside it.
@Suite("sluice plan --render: the Kubernetes objects a change would apply, for review", .timeLimit(.minutes(10)))
struct PlanRenderCommandTests {
    static func fraud(_ versions: [String], traffic: [String: Int], steps: Bool = false, artifactPrefix: String = "s3://models/fraud/") -> String {
        var text = "apiVersion: sluice/v1\nkind: ModelDeployment\nmetadata:\n  name: fraud\nspec:\n  runtime: mlserver\n  versions:\n"
        for version in versions { text += "    - name: \(version)\n      artifact: \(artifactPrefix)\(version)/model.joblib\n" }
        text += "  traffic: {" + traffic.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ") + "}\n"
        if steps { text += "  rollout:\n    steps:\n      - weight: 10\n      - pause: 5m\n" }
        return text
    }

    /// An operator config with a gateway-api cluster backend, outside the repository.
    static func config(driver: String = "gateway-api", extra: String = "") throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-plan-render-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let gateway = driver == "gateway-api" ? "  gateway: {name: inference, namespace: gateways}\n" : ""
        let text = """
            backend:
              kind: kubernetes
              namespace: models
              driver: \(driver)
            \(gateway)\(extra)runtimes:
              mlserver:
                kubernetes:
                  image: seldonio/mlserver:1.7.1
                  args: ["--model-uri", "{artifactUri}", "--http-port", "{port}"]
                  port: 8080
                kserve: {modelFormat: sklearn, runtime: kserve-mlserver, protocolVersion: v2}

            """
        let file = directory.appendingPathComponent("sluice.yaml")
        try text.write(to: file, atomically: true, encoding: .utf8)
        return file
    }

    /// `plan --render` of a commit that starts a canary of v2 (first step 10%).
    static func canaryPlan(driver: String) async throws -> SluiceBinary.Result {
        let repo = try GitFixture()
        let config = try Self.config(driver: driver)
        defer { try? FileManager.default.removeItem(at: config.deletingLastPathComponent()) }
        try repo.commit("v1", files: ["manifests/fraud.yaml": Self.fraud(["v1"], traffic: ["v1": 100])])
        try repo.commit("ship v2", files: ["manifests/fraud.yaml": Self.fraud(["v1", "v2"], traffic: ["v1": 0, "v2": 100], steps: true)])
        return try await SluiceBinary.run(["plan", "--path", "manifests", "--backend", "kubernetes", "--render", "--config", config.path], in: repo.url)
    }

    @Test("a canary prints its Services, Deployments and HTTPRoute at the first step's weights")
    func canaryFirstStep() async throws {
        let result = try await Self.canaryPlan(driver: "gateway-api")
        #expect(result.status == 1, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("at each changed model's first rollout step"))
        #expect(result.stdout.contains("# fraud: canary, weights v1=90 v2=10"), "\(result.stdout)")
        let documents = result.stdout.components(separatedBy: "---\n").dropFirst()
        #expect(documents.map { $0.contains("kind: \"Service\"") }.filter { $0 }.count == 2)
        #expect(documents.map { $0.contains("kind: \"Deployment\"") }.filter { $0 }.count == 2)
        #expect(documents.last?.contains("kind: \"HTTPRoute\"") == true)
        #expect(result.stdout.contains("weight: 90") && result.stdout.contains("weight: 10"))
        #expect(result.stdout.contains("\"s3://models/fraud/v2/model.joblib\""))
    }

    @Test("with spec.scaling, each version's replica bounds at the first step are in the header: the canary's share, stable whole")
    func replicaBounds() async throws {
        let repo = try GitFixture()
        let config = try Self.config()
        defer { try? FileManager.default.removeItem(at: config.deletingLastPathComponent()) }
        let scaling = "  scaling: {minReplicas: 4, maxReplicas: 8}\n"
        try repo.commit("v1", files: ["manifests/fraud.yaml": Self.fraud(["v1"], traffic: ["v1": 100]) + scaling])
        try repo.commit("ship v2", files: ["manifests/fraud.yaml": Self.fraud(["v1", "v2"], traffic: ["v1": 0, "v2": 100], steps: true) + scaling])
        let result = try await SluiceBinary.run(
            ["plan", "--path", "manifests", "--backend", "kubernetes", "--render", "--config", config.path], in: repo.url)
        #expect(result.status == 1, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("# fraud: canary, weights v1=90 v2=10, replicas v1=4–8 v2=1–1"), "\(result.stdout)")
    }

    @Test("the kserve driver prints one InferenceService with canaryTrafficPercent")
    func kserve() async throws {
        let result = try await Self.canaryPlan(driver: "kserve")
        #expect(result.status == 1, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("kind: \"InferenceService\""))
        #expect(result.stdout.contains("canaryTrafficPercent: 10"), "\(result.stdout)")
    }

    @Test("a repository-path artifact is refused with the model and the field; exit 2")
    func repositoryPath() async throws {
        let repo = try GitFixture()
        let config = try Self.config()
        defer { try? FileManager.default.removeItem(at: config.deletingLastPathComponent()) }
        try repo.commit("v1", files: ["manifests/fraud.yaml": Self.fraud(["v1"], traffic: ["v1": 100], artifactPrefix: "models/fraud/")])
        let result = try await SluiceBinary.run(["plan", "--path", "manifests", "--backend", "kubernetes", "--render", "--config", config.path], in: repo.url)
        #expect(result.status == 2)
        #expect(result.stderr.contains("model fraud, version v1: artifact: \"models/fraud/v1/model.joblib\" is a repository path"), "\(result.stderr)")
    }

    @Test("a bad config is the usual config error; --render without --backend is refused")
    func badConfig() async throws {
        let repo = try GitFixture()
        let config = try Self.config(extra: "  bogus: 1\n")
        defer { try? FileManager.default.removeItem(at: config.deletingLastPathComponent()) }
        try repo.commit("v1", files: ["manifests/fraud.yaml": Self.fraud(["v1"], traffic: ["v1": 100])])
        let result = try await SluiceBinary.run(["plan", "--path", "manifests", "--backend", "kubernetes", "--render", "--config", config.path], in: repo.url)
        #expect(result.status == 2)
        #expect(result.stderr.contains("sluice plan: invalid config"), "\(result.stderr)")
        #expect(result.stderr.contains("bogus"))
        let missing = try await SluiceBinary.run(["plan", "--path", "manifests", "--render"], in: repo.url)
        #expect(missing.status != 0 && missing.stderr.contains("--render needs --backend kubernetes"))
    }
}
