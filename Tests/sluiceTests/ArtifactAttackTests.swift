import Foundation
import SluiceTestSupport
import Testing
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Issue 11, items 2 and 5, end to end: an artifact name from git that a shell would run, and
/// a `digest:` pin the content does not match. Real `sluice` processes, a real git repository,
/// the example model server started through `sh -c`.
@Suite("artifact attacks", .serialized, .timeLimit(.minutes(10)))
struct ArtifactAttackTests {
    /// The file name of the attack: a shell runs `touch PWNED` while expanding it.
    static let hostileName = "models/b$(touch PWNED).json"

    /// A runtime whose command goes through a shell, as operators write for wrappers.
    static let shellRuntime = """
          python-sh:
            command: [sh, -c, "exec python3 \(ServeHarness.server) --model-file {artifact} --port {port} --name {model} --version {version}"]
            startTimeout: 20s

        """

    /// Every file named PWNED under `directories`.
    static func pwned(under directories: [URL]) -> [String] {
        directories.flatMap { directory -> [String] in
            let walker = FileManager.default.enumerator(atPath: directory.path)
            var found: [String] = []
            while let path = walker?.nextObject() as? String {
                if (path as NSString).lastPathComponent == "PWNED" { found.append(directory.appendingPathComponent(path).path) }
            }
            return found
        }
    }

    static func evil(artifact: String) -> String {
        """
        apiVersion: sluice/v1
        kind: ModelDeployment
        metadata:
          name: evil
        spec:
          runtime: python-sh
          versions:
            - name: v1
              artifact: \(artifact)
          traffic: {v1: 100}

        """
    }

    @Test("an artifact named b$(touch PWNED).json runs nothing: validate names the field, the controller reports that model and serves the others")
    func shellArtifactName() async throws {
        let harness = try ControllerHarness(interval: "1s", runtimesExtra: Self.shellRuntime)
        let model = try String(contentsOf: SluiceBinary.packageRoot.appendingPathComponent("examples/models/fraud-v2.1.json"), encoding: .utf8)
        let evil = Self.evil(artifact: "\"\(Self.hostileName)\"")
        try harness.repo.commit("a good model and a hostile one", files: [
            "manifests/fraud.yaml": ControllerHarness.fraud([("v1", "fraud-v2.1.json")], traffic: ["v1": 100]),
            "manifests/evil.yaml": evil,
            Self.hostileName: model,
        ])

        // The pull request check: exit 1, the field named with its position and the allowed set.
        let validate = try await SluiceBinary.run(["validate", "--format", "github", "manifests"], in: harness.repo.url)
        #expect(validate.status == 1, "\(validate.stdout)\(validate.stderr)")
        #expect(validate.stdout.contains("::error file=manifests/evil.yaml,line=9,col=17,"), "\(validate.stdout)")
        #expect(validate.stdout.contains("contains '$'; artifact paths may hold only ASCII letters, digits"), "\(validate.stdout)")

        try harness.start("serve")
        try harness.start("controller")
        defer { harness.forceStop("controller"); harness.forceStop("serve") }
        try await harness.waitFor(health: "Healthy")
        #expect(try await harness.infer().0 == 200)
        try await harness.waitUntil("evil reported") {
            ((try await harness.model("evil")["manifestError"] as? String) ?? "").contains("evil.yaml")
        }
        let state = try await harness.model("evil")
        let message = state["manifestError"] as? String ?? ""
        #expect(message.contains("manifests/evil.yaml:9:17"), "\(state)")
        #expect(message.contains("contains '$'"), "\(state)")
        // A few passes later still nothing ran, and the good model still serves.
        try await Task.sleep(for: .seconds(3))
        #expect(try await harness.infer().0 == 200)
        #expect(Self.pwned(under: [harness.directory, harness.repo.url]).isEmpty)
        for directory in [SluiceBinary.packageRoot.path, FileManager.default.currentDirectoryPath, NSTemporaryDirectory()] {
            #expect(!FileManager.default.fileExists(atPath: (directory as NSString).appendingPathComponent("PWNED")), "\(directory)")
        }
    }

    @Test("a runtime spec whose artifact path holds shell syntax never starts that version; the others serve")
    func shellArtifactPathInTheRuntimeSpec() async throws {
        let harness = try ServeHarness()
        // The file exists under the artifact root, so only the name is hostile.
        try FileManager.default.copyItem(
            at: harness.directory.appendingPathComponent("models/fraud-v2.1.json"),
            to: harness.directory.appendingPathComponent(Self.hostileName))
        let config = harness.directory.appendingPathComponent("sluice.yaml")
        try (try String(contentsOf: config, encoding: .utf8) + "\n" + Self.shellRuntime).write(to: config, atomically: true, encoding: .utf8)
        try await harness.start()
        defer { harness.forceStop() }
        let hostile = Self.hostileName.replacingOccurrences(of: "\"", with: "\\\"")
        try await harness.apply(#"""
            {"revision":"r1","models":[
              {"name":"fraud","versions":[{"name":"v1","runtime":"python-sh","artifact":"models/fraud-v2.1.json"}],"route":{"weights":{"v1":100}}},
              {"name":"evil","versions":[{"name":"v1","runtime":"python-sh","artifact":"\#(hostile)"}],"route":{"weights":{"v1":100}}}]}
            """#)
        try await harness.waitReady("fraud", ["v1"])
        let evil = try await harness.version("evil", "v1")
        #expect(evil["state"] as? String == "Failed", "\(evil)")
        #expect((evil["message"] as? String)?.contains("the {artifact} value") == true, "\(evil)")
        #expect(evil["pid"] == nil)
        #expect(try await harness.infer("fraud").status == 200)
        try await Task.sleep(for: .seconds(1))
        #expect(Self.pwned(under: [harness.directory]).isEmpty)
    }

    @Test("digest: an all-zero pin never starts the version and says why; the stable version keeps serving; the right pin starts")
    func digestIsChecked() async throws {
        let harness = try ControllerHarness(interval: "1s")
        try harness.repo.commit("fraud v1", files: ["manifests/fraud.yaml": ControllerHarness.fraud([("v1", "fraud-v2.1.json")], traffic: ["v1": 100])])
        try harness.start("serve")
        try harness.start("controller")
        defer { harness.forceStop("controller"); harness.forceStop("serve") }
        try await harness.waitFor(health: "Healthy")

        let zero = "sha256:" + String(repeating: "0", count: 64)
        func pinned(_ digest: String) -> String {
            ControllerHarness.fraud([("v1", "fraud-v2.1.json"), ("v2", "fraud-v2.2.json")], traffic: ["v1": 0, "v2": 100])
                .replacingOccurrences(of: "artifact: models/fraud-v2.2.json\n", with: "artifact: models/fraud-v2.2.json\n      digest: \(digest)\n")
        }
        try harness.repo.commit("fraud v2, pinned to the wrong digest", files: ["manifests/fraud.yaml": pinned(zero)])
        try await harness.waitUntil("the mismatch reported") {
            ((try await harness.model()["manifestError"] as? String) ?? "").contains("digest")
        }
        let state = try await harness.model()
        let message = state["manifestError"] as? String ?? ""
        #expect(message.contains("but its digest pins \(zero)"), "\(state)")
        #expect((state["stable"] as? [String: Any])?["version"] as? String == "v1")
        for _ in 0..<10 { #expect(try await harness.infer().1 == "v1") }
        // The data plane never started v2.
        let spec = try String(contentsOf: harness.directory.appendingPathComponent("state/serve/runtime-spec.json"), encoding: .utf8)
        #expect(!spec.contains("\"v2\""), "\(spec)")

        let content = try Data(contentsOf: SluiceBinary.packageRoot.appendingPathComponent("examples/models/fraud-v2.2.json"))
        let right = "sha256:" + Self.sha256Hex(content)
        try harness.repo.commit("fraud v2, pinned right", files: ["manifests/fraud.yaml": pinned(right)])
        try await harness.waitUntil("v2 serving") { try await harness.infer().1 == "v2" }
    }

    @Test("sluice serve alone: a spec whose digest the artifact does not match never starts that version; a matching sha512 starts")
    func dataPlaneChecksDigests() async throws {
        let harness = try ServeHarness()
        try await harness.start()
        defer { harness.forceStop() }
        let zero = "sha256:" + String(repeating: "0", count: 64)
        let content = try Data(contentsOf: harness.directory.appendingPathComponent("models/fraud-v2.2.json"))
        let sha512 = "sha512:" + Self.sum("sha512sum", content)
        func spec(_ digest: String, revision: String) -> String {
            #"{"revision":"\#(revision)","models":[{"name":"fraud","versions":["#
                + #"{"name":"v1","runtime":"python-v2","artifact":"models/fraud-v2.1.json"},"#
                + #"{"name":"v2","runtime":"python-v2","artifact":"models/fraud-v2.2.json","digest":"\#(digest)"}],"#
                + #""route":{"weights":{"v1":50,"v2":50}}}]}"#
        }
        try await harness.apply(spec(zero, revision: "r1"))
        try await harness.waitReady("fraud", ["v1"])
        try await harness.waitUntil("v2 refused") { try await harness.version("fraud", "v2")["state"] as? String == "Failed" }
        let refused = try await harness.version("fraud", "v2")
        #expect((refused["message"] as? String)?.contains("but the spec pins \(zero)") == true, "\(refused)")
        #expect(refused["pid"] == nil)
        for _ in 0..<10 { #expect(try await harness.infer("fraud").header("x-sluice-version") == "v1") }
        try await harness.apply(spec(sha512, revision: "r2"))
        try await harness.waitReady("fraud", ["v1", "v2"])
    }

    /// The sha256 of `data`, by the system's sha256sum (an independent implementation).
    static func sha256Hex(_ data: Data) -> String { sum("sha256sum", data) }

    /// The hex digest of `data` by a coreutils tool (`sha256sum`, `sha512sum`).
    static func sum(_ tool: String, _ data: Data) -> String {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-digest-\(UUID().uuidString)")
        try? data.write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let process = SpawnedProcess()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [tool, file.path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try? process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(String(decoding: output, as: UTF8.self).prefix { $0 != " " })
    }
}
