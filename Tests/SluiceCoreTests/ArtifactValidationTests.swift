import SluiceCore
import Testing

/// The manifest validator's reading of `artifact:` and `digest:`: refusals are errors at the
/// field, advice (unpinned, cluster-only) is a warning at the field, with line and column.
@Suite("artifact validation", .timeLimit(.minutes(10)))
struct ArtifactValidationTests {
    static let pin = "sha256:" + String(repeating: "a", count: 64)

    /// A manifest whose only version has `artifact` (quoted as written) and maybe `digest`;
    /// the artifact's value is on line 9, column 17.
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

    static func validate(_ text: String, warnings: Bool = true) -> ManifestFile {
        ManifestValidator(artifactWarnings: warnings).validate(bytes: Array(text.utf8), path: "manifests/iris.yaml")
    }

    @Test(arguments: [
        "models/iris.joblib", "models/iris/", "models:/iris/3", "s3://models/iris/v1/", "https://models.example/iris.tar.gz",
        "models:/iris@champion", "s3://models/iris.bin",
    ])
    func goodReferencesPinnedAreClean(artifact: String) {
        let file = Self.validate(Self.manifest(artifact, digest: Self.pin))
        #expect(file.diagnostics.isEmpty, "\(artifact): \(file.diagnostics)")
        #expect(file.entries.first?.deployment?.versions.first?.digest?.description == Self.pin)
    }

    @Test func mlflowVersionsNeedNoPin() {
        let file = Self.validate(Self.manifest("models:/iris/3"))
        #expect(file.diagnostics.isEmpty, "\(file.diagnostics)")
    }

    @Test(arguments: [
        ("s3://models/iris.bin", "is an S3 key"), ("https://models.example/iris.bin", "is an https URL"),
        ("models:/iris@champion", "follows the alias @champion"),
    ])
    func unpinnedMutableReferencesWarnAtTheField(artifact: String, why: String) throws {
        let file = Self.validate(Self.manifest(artifact))
        let diagnostic = try #require(file.diagnostics.first)
        #expect(file.diagnostics.count == 1)
        #expect(diagnostic.severity == .warning)
        #expect(diagnostic.code == .unpinnedArtifact)
        #expect(diagnostic.location == SourceLocation(line: 9, column: 17))
        #expect(diagnostic.fieldPath == "spec.versions[0].artifact")
        #expect(diagnostic.message.contains(why))
        #expect(diagnostic.message.hasSuffix("pin it with digest: (sluice artifact digest URI prints it)"))
        // A warning leaves the model valid: it is decoded and would be deployed.
        #expect(file.isValid)
        #expect(file.entries.first?.deployment?.versions.first?.artifact == artifact)
    }

    @Test(arguments: ["gs://bucket/iris.bst", "hf://org/iris@main", "pvc://claim/iris/"])
    func clusterOnlyReferencesWarnThatTheLocalBackendCannotFetchThem(artifact: String) throws {
        let file = Self.validate(Self.manifest(artifact))
        let diagnostic = try #require(file.diagnostics.first)
        #expect(file.diagnostics.count == 1)
        #expect(diagnostic.severity == .warning && diagnostic.code == .clusterOnlyArtifact)
        #expect(diagnostic.location == SourceLocation(line: 9, column: 17))
        #expect(diagnostic.message.contains("only by a cluster runtime (the kubernetes backend); the local backend cannot fetch them"))
    }

    @Test func adviceIsOffUnlessAskedFor() {
        #expect(Self.validate(Self.manifest("s3://models/iris.bin"), warnings: false).diagnostics.isEmpty)
        #expect(Self.validate(Self.manifest("gs://bucket/iris.bst"), warnings: false).diagnostics.isEmpty)
    }

    @Test(arguments: [
        ("http://models.example/iris.bin", "plain http"), ("ftp://models.example/iris.bin", "the scheme 'ftp' is not supported"),
        ("'s3://Bucket_Bad/x'", "'Bucket_Bad' is not an S3 bucket name"), ("models:/iris/0", "'0' is not a model version number"),
        ("models:/../x", "a model name holds"), ("https:///x", "names no host"), ("\"models/a\\u001B[2Jb\"", "U+001B"),
        ("\"models/a\\tb\"", "U+0009"),
    ])
    func badReferencesAreErrorsAtTheField(artifact: String, reason: String) throws {
        let file = Self.validate(Self.manifest(artifact, digest: Self.pin))
        let diagnostic = try #require(file.diagnostics.first)
        #expect(file.diagnostics.count == 1, "\(file.diagnostics)")
        #expect(diagnostic.severity == .error)
        #expect(diagnostic.location == SourceLocation(line: 9, column: 17))
        #expect(diagnostic.fieldPath == "spec.versions[0].artifact")
        #expect(diagnostic.message.contains(reason), "\(diagnostic.message)")
        #expect(!diagnostic.message.unicodeScalars.contains { $0.value < 0x20 })
        #expect(!file.isValid)
    }

    @Test func veryLongTextIsRefusedWithoutBeingQuoted() throws {
        let long = "s3://bucket/" + String(repeating: "k/", count: 60_000)
        let file = Self.validate(Self.manifest(long))
        let diagnostic = try #require(file.diagnostics.first)
        #expect(diagnostic.severity == .error)
        #expect(diagnostic.message.utf8.count < 200, "\(diagnostic.message.prefix(200))")
        #expect(diagnostic.location == SourceLocation(line: 9, column: 17))
    }

    @Test func aDirectoryCannotBePinnedBySha512() throws {
        let file = Self.validate(Self.manifest("s3://models/iris/", digest: "sha512:" + String(repeating: "b", count: 128)))
        let diagnostic = try #require(file.diagnostics.first)
        #expect(file.diagnostics.count == 1)
        #expect(diagnostic.severity == .error && diagnostic.code == .inconsistent)
        #expect(diagnostic.location == SourceLocation(line: 10, column: 15))
        #expect(diagnostic.fieldPath == "spec.versions[0].digest")
        #expect(Self.validate(Self.manifest("s3://models/iris.bin", digest: "sha512:" + String(repeating: "b", count: 128))).diagnostics.isEmpty)
    }

    @Test func aPresignedURLIsRefusedAndNeverQuoted() throws {
        let file = Self.validate(Self.manifest("\"https://h.example/m.bin?X-Amz-Credential=AKIDEXAMPLE&X-Amz-Signature=deadbeef\"", digest: Self.pin))
        let diagnostic = try #require(file.diagnostics.first)
        #expect(diagnostic.severity == .error)
        #expect(!diagnostic.message.contains("AKIDEXAMPLE") && !diagnostic.message.contains("deadbeef"))
    }

    @Test func warningsLeaveAReportValid() {
        let report = ValidationReport(files: [Self.validate(Self.manifest("s3://models/iris.bin"))])
        #expect(report.isValid)
        #expect(report.diagnostics.count == 1)
    }
}
