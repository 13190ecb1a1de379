import Crypto
import Foundation
import SluiceCore
import SluiceTestSupport
import Testing
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Versions kept outside single files in git, through the real binaries: a model folder kept
/// as a directory in git, and one kept under an S3 prefix on a real `moto_server`, fetched by
/// the controller, verified against its pin and served by the data plane as a directory.
@Suite("artifacts end to end: a git directory and an S3 prefix, canaried on real processes", .timeLimit(.minutes(10)))
struct ArtifactEndToEndTests {
    /// A runtime that reads its model from a folder, as MLServer and Triton do.
    static let folderRuntime = """
          python-folder:
            command: [python3, \(ServeHarness.server), --model-file, "{artifact}/model.json", --port, "{port}", --name, "{model}", --version, "{version}"]
            startTimeout: 20s

        """

    static func manifest(_ versions: [(name: String, artifact: String, digest: String)], traffic: [String: Int], rollout: String = "") -> String {
        var text = "apiVersion: sluice/v1\nkind: ModelDeployment\nmetadata:\n  name: fraud\nspec:\n  runtime: python-folder\n  versions:\n"
        for version in versions {
            text += "    - name: \(version.name)\n      artifact: \(version.artifact)\n      digest: \(version.digest)\n"
        }
        text += "  traffic: {" + traffic.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ") + "}\n"
        return text + rollout
    }

    /// The documented directory digest of one file `model.json` holding `text`.
    static func folderDigest(_ text: String) -> String {
        let bytes = Array(text.utf8)
        let entry = DirectoryDigest.Entry(path: "model.json", size: Int64(bytes.count), sha256: SHA256.hexDigest(of: bytes))
        return DirectoryDigest.digest([entry]).description
    }

    static func put(_ moto: MotoServer, _ path: String, _ body: String? = nil) async throws {
        var request = URLRequest(url: try #require(URL(string: "\(moto.baseURL)/\(path)")))
        request.httpMethod = "PUT"
        request.httpBody = body.map { Data($0.utf8) }
        let (_, response) = try await ServeHarness.data(for: request)
        #expect((response as? HTTPURLResponse)?.statusCode == 200, "PUT \(path)")
    }

    @Test("v1 from a git directory, a canary to v2 under an S3 prefix; a wrong pin keeps v2 serving with the reason")
    func gitDirectoryThenS3Prefix() async throws {
        let moto = try await MotoServer()
        defer { moto.stop() }
        let models = SluiceBinary.packageRoot.appendingPathComponent("examples/models")
        let v1 = try String(contentsOf: models.appendingPathComponent("fraud-v2.1.json"), encoding: .utf8)
        let v2 = try String(contentsOf: models.appendingPathComponent("fraud-v2.2.json"), encoding: .utf8)
        try await Self.put(moto, "models")
        try await Self.put(moto, "models/fraud/v2/model.json", v2)

        let harness = try ControllerHarness(
            interval: "1s", controllerExtra: "  artifacts:\n    s3:\n      endpoint: \(moto.baseURL)\n      region: us-east-1",
            runtimesExtra: Self.folderRuntime)
        try harness.repo.write("models/fraud-v1/model.json", v1)
        try harness.repo.commit("v1 as a folder", files: [
            "manifests/fraud.yaml": Self.manifest([("v1", "models/fraud-v1/", Self.folderDigest(v1))], traffic: ["v1": 100])
        ])
        // Any key pair: moto checks none until told to; the controller must sign with it.
        let secret = "not-a-real-secret-\(UInt32.random(in: 0 ... .max))"
        let credentials = ["AWS_ACCESS_KEY_ID": "AKIAEXAMPLE", "AWS_SECRET_ACCESS_KEY": secret]
        try harness.start("serve")
        try harness.start("controller", environment: credentials)
        defer { harness.forceStop("controller"); harness.forceStop("serve") }
        try await harness.waitFor(health: "Healthy")
        #expect(try await harness.infer().1 == "v1")

        let traffic = harness.traffic()
        try harness.repo.commit("v2 from S3", files: [
            "manifests/fraud.yaml": Self.manifest(
                [("v1", "models/fraud-v1/", Self.folderDigest(v1)), ("v2", "s3://models/fraud/v2/", Self.folderDigest(v2))],
                traffic: ["v1": 0, "v2": 100], rollout: ControllerHarness.quickCanary)
        ])
        try await harness.waitUntil("v2 promoted", seconds: 120) {
            let state = try await harness.model()
            return state["weights"] as? [String: Int] == ["v1": 0, "v2": 100] && state["health"] as? String == "Healthy"
        }
        traffic.cancel()
        let answers = await traffic.value
        #expect(answers.allSatisfy { $0.0 == 200 }, "no request failed during the canary")
        #expect(Set(answers.compactMap(\.1)).isSuperset(of: ["v1", "v2"]))
        #expect(harness.log("controller").contains("artifact s3://models/fraud/v2/ is ready: \(Self.folderDigest(v2))"))
        #expect(!harness.log("controller").contains(secret), "the secret never reaches the log")

        let wrong = "sha256:" + String(repeating: "0", count: 64)
        try harness.repo.commit("v3 with a wrong pin", files: [
            "manifests/fraud.yaml": Self.manifest(
                [("v2", "s3://models/fraud/v2/", Self.folderDigest(v2)), ("v3", "s3://models/fraud/v2/", wrong)],
                traffic: ["v2": 0, "v3": 100], rollout: ControllerHarness.quickCanary)
        ])
        try await harness.waitFor(health: "Degraded", reason: "ArtifactUnavailable", seconds: 90)
        let state = try await harness.model()
        let message = state["message"] as? String ?? ""
        #expect(message.contains(wrong) && message.contains(Self.folderDigest(v2)), "\(message)")
        #expect(state["weights"] as? [String: Int] == ["v1": 0, "v2": 100], "what ran keeps running")
        #expect(try await harness.infer().1 == "v2")
    }
}
