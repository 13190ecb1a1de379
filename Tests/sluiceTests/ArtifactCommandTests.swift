import Foundation
import SluiceTestSupport
import Testing

/// `sluice artifact digest|fetch` and `sluice validate`'s artifact rules (warnings,
/// `--strict`, `--check-artifacts`), through the real binary.
@Suite("sluice artifact and validate's artifact rules", .timeLimit(.minutes(10)))
struct ArtifactCommandTests {
    /// A model directory: MLflow-like files, nested, one empty.
    static func modelTree(in tree: ManifestTree) throws {
        try tree.write("models/iris/MLmodel", "artifact_path: model\nflavors:\n  sklearn: {}\n")
        try tree.write("models/iris/model.pkl", String(repeating: "weights ", count: 50_000))
        try tree.write("models/iris/data/empty.txt", "")
        try tree.write("models/iris.json", "{\"weights\": [1, 2, 3]}\n")
    }

    @Test func digestOfAFileIsItsSha256() async throws {
        let tree = try ManifestTree()
        try Self.modelTree(in: tree)
        let result = try await SluiceBinary.run(["artifact", "digest", "models/iris.json"], in: tree.url)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == (try await PythonDirectoryDigest.digest(of: tree.url.appendingPathComponent("models/iris.json").path)) + "\n")
    }

    @Test func digestOfADirectoryFollowsTheDefinition() async throws {
        let tree = try ManifestTree()
        try Self.modelTree(in: tree)
        let result = try await SluiceBinary.run(["artifact", "digest", "models/iris"], in: tree.url)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == (try await PythonDirectoryDigest.digest(of: tree.url.appendingPathComponent("models/iris").path)) + "\n")
        #expect(result.stderr.isEmpty)
    }

    @Test func digestRefusesLinksAndMissingPaths() async throws {
        let tree = try ManifestTree()
        try Self.modelTree(in: tree)
        try FileManager.default.createSymbolicLink(
            atPath: tree.url.appendingPathComponent("models/iris/secret").path, withDestinationPath: "/etc/passwd")
        let linked = try await SluiceBinary.run(["artifact", "digest", "models/iris"], in: tree.url)
        #expect(linked.status == 1)
        #expect(linked.stdout.isEmpty)
        #expect(linked.stderr.contains("'secret' is a symbolic link"), "\(linked.stderr)")
        let missing = try await SluiceBinary.run(["artifact", "digest", "models/nowhere.bin"], in: tree.url)
        #expect(missing.status == 1 && missing.stderr.hasPrefix("sluice artifact digest: "), "\(missing.stderr)")
    }

    @Test func usageErrorsExit2() async throws {
        let tree = try ManifestTree()
        let cases: [([String], String)] = [
            (["artifact", "fetch", "s3://bucket/x.bin"], "-o DIR is required"),
            (["artifact", "fetch", "s3://bucket/x.bin", "-o", "out", "--digest", "md5:abc"], "--digest: the digest algorithm 'md5' is not supported"),
            (["artifact", "fetch", "models/iris.json", "-o", "out"], "is not a URI"),
            (["artifact", "fetch", "http://h.example/x.bin", "-o", "out"], "plain http"),
            (["artifact", "digest", "s3://Bucket_Bad/x"], "'Bucket_Bad' is not an S3 bucket name"),
            (["artifact", "digest", "https://user:secret@h.example/x.bin"], "carries user info"),
            (["artifact", "digest", "models:/iris/0"], "'0' is not a model version number"),
            (["validate", "--config", "sluice.yaml", "m.yaml"], "--config is read only with --check-artifacts"),
        ]
        for (arguments, message) in cases {
            let result = try await SluiceBinary.run(arguments, in: tree.url)
            #expect(result.status == 2, "\(arguments): \(result.status) \(result.stderr)")
            #expect(result.stderr.contains(message), "\(arguments): \(result.stderr)")
            #expect(!result.stderr.contains("secret"), "\(arguments): \(result.stderr)")
        }
        let clusterOnly = try await SluiceBinary.run(["artifact", "digest", "gs://bucket/model.bst"], in: tree.url)
        #expect(clusterOnly.status == 1 && clusterOnly.stderr.contains("only by a cluster runtime"), "\(clusterOnly.stderr)")
    }

    static func manifest(_ artifact: String, digest: String? = nil) -> String {
        """
        apiVersion: sluice/v1
        kind: ModelDeployment
        metadata:
          name: iris
        spec:
          runtime: mlserver
          versions:
            - name: v1
              artifact: \(artifact)

        """ + (digest.map { "      digest: \($0)\n" } ?? "")
    }

    @Test func validateWarnsAndStrictFails() async throws {
        let tree = try ManifestTree()
        try tree.write("m.yaml", Self.manifest("s3://models/iris.bin"))
        try tree.write("g.yaml", Self.manifest("gs://bucket/iris.bst").replacingOccurrences(of: "name: iris", with: "name: iris-gs"))
        let lenient = try await SluiceBinary.run(["validate", "m.yaml", "g.yaml"], in: tree.url)
        #expect(lenient.status == 0, "\(lenient.stdout)\(lenient.stderr)")
        #expect(lenient.stdout.hasSuffix("2 files, 2 models: valid, 2 warnings\n"), "\(lenient.stdout)")
        #expect(lenient.stdout.contains(
            "m.yaml:9:17: warning: 's3://models/iris.bin' is an S3 key, which anyone with write access can overwrite; pin it with digest: (sluice artifact digest URI prints it) [unpinned-artifact]"),
            "\(lenient.stdout)")
        #expect(lenient.stdout.contains("g.yaml:9:17: warning: gs:// artifacts are fetched only by a cluster runtime (the kubernetes backend); the local backend cannot fetch them [cluster-only-artifact]"), "\(lenient.stdout)")
        let strict = try await SluiceBinary.run(["validate", "--strict", "m.yaml", "g.yaml"], in: tree.url)
        #expect(strict.status == 1, "\(strict.stdout)")
        #expect(strict.stdout.contains("m.yaml:9:17: error: 's3://models/iris.bin' is an S3 key"), "\(strict.stdout)")
        let github = try await SluiceBinary.run(["validate", "--format", "github", "m.yaml"], in: tree.url)
        #expect(github.status == 0)
        #expect(github.stdout.contains("::warning file=m.yaml,line=9,col=17"), "\(github.stdout)")

        try tree.write("p.yaml", Self.manifest("s3://models/iris.bin", digest: "sha256:" + String(repeating: "a", count: 64)))
        let pinned = try await SluiceBinary.run(["validate", "--strict", "p.yaml"], in: tree.url)
        #expect(pinned.status == 0, "\(pinned.stdout)")
        try tree.write("mlflow.yaml", Self.manifest("models:/iris/3"))
        let mlflow = try await SluiceBinary.run(["validate", "--strict", "mlflow.yaml"], in: tree.url)
        #expect(mlflow.status == 0, "models:/ is accepted: \(mlflow.stdout)")
        try tree.write("bad.yaml", Self.manifest("'http://h.example/iris.bin'"))
        let bad = try await SluiceBinary.run(["validate", "bad.yaml"], in: tree.url)
        #expect(bad.status == 1)
        #expect(bad.stdout.contains("bad.yaml:9:17: error: 'http://h.example/iris.bin' is plain http"), "\(bad.stdout)")
    }

    @Test func checkArtifactsReadsTheWorkingTreeAndComparesDigests() async throws {
        let tree = try ManifestTree()
        try Self.modelTree(in: tree)
        let fileDigest = try await PythonDirectoryDigest.digest(of: tree.url.appendingPathComponent("models/iris.json").path)
        let directoryDigest = try await PythonDirectoryDigest.digest(of: tree.url.appendingPathComponent("models/iris").path)
        try tree.write("good.yaml", Self.manifest("models/iris.json", digest: fileDigest))
        try tree.write("dir.yaml", Self.manifest("models/iris/", digest: directoryDigest).replacingOccurrences(of: "name: iris", with: "name: iris-dir"))
        let good = try await SluiceBinary.run(["validate", "--check-artifacts", "good.yaml", "dir.yaml"], in: tree.url)
        #expect(good.status == 0, "\(good.stdout)\(good.stderr)")
        #expect(good.stderr.contains("checked 2 artifacts (0 fetched)"), "\(good.stderr)")

        let wrong = "sha256:" + String(repeating: "0", count: 64)
        try tree.write("wrong.yaml", Self.manifest("models/iris.json", digest: wrong))
        let mismatch = try await SluiceBinary.run(["validate", "--check-artifacts", "wrong.yaml"], in: tree.url)
        #expect(mismatch.status == 1)
        #expect(mismatch.stdout.contains("wrong.yaml:9:17: error: 'models/iris.json' has the digest \(fileDigest), not the pinned \(wrong) [digest-mismatch]"), "\(mismatch.stdout)")

        try tree.write("missing.yaml", Self.manifest("models/gone.json"))
        let missing = try await SluiceBinary.run(["validate", "--check-artifacts", "missing.yaml"], in: tree.url)
        #expect(missing.status == 1)
        #expect(missing.stdout.contains("missing.yaml:9:17: error: 'models/gone.json' is not in the working tree"), "\(missing.stdout)")
        try tree.write("kind.yaml", Self.manifest("models/iris"))
        let kind = try await SluiceBinary.run(["validate", "--check-artifacts", "kind.yaml"], in: tree.url)
        #expect(kind.status == 1 && kind.stdout.contains("write 'models/iris/' for a directory artifact"), "\(kind.stdout)")
        // Without the flag nothing is read: the same files are valid.
        #expect(try await SluiceBinary.run(["validate", "missing.yaml"], in: tree.url).status == 0)
        #expect(try await SluiceBinary.run(["validate", "wrong.yaml"], in: tree.url).status == 0)
    }
}
