import Foundation
import SluiceCore
import SluiceGit
import SluiceTestSupport
import Testing

/// Reading a commit after its parent reads only what changed.
@Suite struct ManifestReaderTests {
    @Test func aChildCommitReadsOnlyTheChangedFiles() async throws {
        let repo = try GitFixture()
        var files: [String: String] = [:]
        for index in 0..<50 { files["manifests/team-\(index % 5)/m\(index).yaml"] = manifest("m\(index)") }
        let parent = try repo.commit("fifty", files: files)
        let child = try repo.commit("one change", files: ["manifests/team-1/m1.yaml": manifest("m1", versions: ["v1", "v2"])])
        let reader = ManifestReader(source: try GitSource.open(path: repo.path), directory: "manifests")
        let cold = try await reader.read(at: CommitID(hex: parent))
        #expect(cold.filesRead == 50)
        #expect(cold.files.count == 50)
        #expect(cold.files.allSatisfy { $0.isValid })
        let warm = try await reader.read(at: CommitID(hex: child))
        #expect(warm.filesRead == 1)
        #expect(warm.files.count == 50)
        let changed = try #require(warm.files.first { $0.path == "manifests/team-1/m1.yaml" })
        #expect(changed.entries.first?.deployment?.versions.count == 2)
        // Going back costs nothing: both snapshots and every file are cached.
        let back = try await reader.read(at: CommitID(hex: parent))
        #expect(back.filesRead == 0)
    }

    @Test func invalidAndOversizedFilesAreReportedAtTheirRepositoryPath() async throws {
        let repo = try GitFixture()
        let head = try repo.commit("mixed", files: [
            "manifests/ok.yaml": manifest("ok"),
            "manifests/bad.yaml": manifest("bad").replacingOccurrences(of: "runtime:", with: "runtme:"),
            "manifests/big.yaml": String(repeating: "# padding\n", count: 200_000),
        ])
        let reader = ManifestReader(source: try GitSource.open(path: repo.path, maxBlobBytes: 1 << 20), directory: "manifests")
        let set = try await reader.read(at: CommitID(hex: head))
        let report = ValidationReport(files: set.files)
        #expect(report.diagnostics.map { "\($0.file):\($0.location.line):\($0.code)" } == [
            "manifests/bad.yaml:6:unknown-field", "manifests/big.yaml:1:limit-exceeded",
        ])
    }
}
