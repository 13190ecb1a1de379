import Foundation
import SluiceCore
import SluiceGit
import SluiceTestSupport
import Testing

/// The working tree is read with a commit's rules: the same size cap and validation, links
/// never followed, only manifests whose content differs from HEAD's.
@Suite(.timeLimit(.minutes(10))) struct WorkingTreeReaderTests {
    @Test func onlyContentThatDiffersFromHeadIsAChange() async throws {
        let repo = try GitFixture()
        let head = CommitID(hex: try repo.commit("models", files: ["manifests/a.yaml": manifest("a"), "manifests/b.yaml": manifest("b")]))
        // Staged, then changed back: git's status lists it, but nothing differs from HEAD.
        try repo.write("manifests/a.yaml", manifest("a", versions: ["v1", "v2"]))
        try repo.git(["add", "manifests/a.yaml"])
        try repo.write("manifests/a.yaml", manifest("a"))
        try repo.write("manifests/.hidden/x.yaml", manifest("x"))
        try repo.write("manifests/notes.txt", "not a manifest")
        try repo.write("other/c.yaml", manifest("c"))
        let reader = ManifestReader(source: try GitSource.open(path: repo.path), directory: "manifests")
        #expect(try await reader.uncommittedManifestPaths(comparedWith: head) == [])
        try repo.write("manifests/b.yaml", manifest("b", versions: ["v1", "v2"]))
        #expect(try await reader.uncommittedManifestPaths(comparedWith: head) == ["manifests/b.yaml"])
        let changes = try await reader.workingTreeManifests(against: head)
        #expect(changes.before.map(\.path) == ["manifests/b.yaml"])
        #expect(changes.after.map(\.path) == ["manifests/b.yaml"])
        #expect(changes.after.first?.entries.first?.deployment?.versions.count == 2)
        #expect(changes.unchangedAfter == 1)
    }

    @Test func anOversizedFileIsMeasuredNotReadAndReportedAsInACommit() async throws {
        let repo = try GitFixture()
        let head = CommitID(hex: try repo.commit("models", files: ["manifests/a.yaml": manifest("a")]))
        try repo.write("manifests/big.yaml", String(repeating: "# padding\n", count: 200_000))
        let reader = ManifestReader(source: try GitSource.open(path: repo.path, maxBlobBytes: 1 << 20), directory: "manifests")
        let changes = try await reader.workingTreeManifests(against: head)
        let report = ValidationReport(files: changes.after)
        #expect(report.diagnostics.map { "\($0.file):\($0.location.line):\($0.code)" } == ["manifests/big.yaml:1:limit-exceeded"])
    }

    @Test func linksAreNoManifestsAndABareRepositoryHasNoWorkingTree() async throws {
        let repo = try GitFixture()
        let head = CommitID(hex: try repo.commit("models", files: ["manifests/a.yaml": manifest("a")]))
        let outside = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-outside-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: outside, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: outside) }
        try Data(manifest("leak").utf8).write(to: outside.appendingPathComponent("a.yaml"))
        // A committed file replaced by a link to a file outside: as in a commit, it is gone.
        try FileManager.default.removeItem(at: repo.url.appendingPathComponent("manifests/a.yaml"))
        try FileManager.default.createSymbolicLink(
            atPath: repo.url.appendingPathComponent("manifests/a.yaml").path, withDestinationPath: outside.appendingPathComponent("a.yaml").path)
        let reader = ManifestReader(source: try GitSource.open(path: repo.path), directory: "manifests")
        let changes = try await reader.workingTreeManifests(against: head)
        #expect(changes.before.map(\.path) == ["manifests/a.yaml"])
        #expect(changes.after.isEmpty, "the link's target is never read")

        let bare = try GitFixture(bare: true)
        try repo.git(["push", "-q", bare.path, "main"])
        let source = try GitSource.open(path: bare.path)
        #expect(await source.hasWorkingTree == false)
        await #expect(throws: GitError.self) { try await source.workingTreeChanges(under: "manifests") }
        #expect(try await ManifestReader(source: source, directory: "manifests").uncommittedManifestPaths(comparedWith: head) == [])
    }
}
