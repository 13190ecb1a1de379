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

/// The change set an incremental plan works from.
@Suite struct ManifestChangeSetTests {
    @Test func onlyChangedFilesAndTheirRelativesAreIncluded() async throws {
        let repo = try GitFixture()
        var files: [String: String] = [:]
        for index in 0..<20 { files["manifests/m\(index).yaml"] = manifest("m\(index)") }
        files["manifests/broken.yaml"] = "apiVersion: sluice/v1\nkind: ModelDeployment\nmetadata: {name: broken}\n"
        let base = try repo.commit("base", files: files)
        // A new file declares m3 again: the unchanged m3.yaml must be seen to report the duplicate.
        let target = try repo.commit("dup", files: ["manifests/z-new.yaml": manifest("m3", versions: ["v1", "v2"])], remove: ["manifests/m7.yaml"])
        let reader = ManifestReader(source: try GitSource.open(path: repo.path), directory: "manifests")
        let set = try await reader.changedManifests(from: CommitID(hex: base), to: CommitID(hex: target))
        #expect(set.before.map(\.path) == ["manifests/broken.yaml", "manifests/m3.yaml", "manifests/m7.yaml"])
        #expect(set.after.map(\.path) == ["manifests/broken.yaml", "manifests/m3.yaml", "manifests/z-new.yaml"])
        #expect(set.unchangedBefore == 18)
        #expect(set.unchangedAfter == 18)
        var to = DesiredState(revision: "t", files: set.after)
        to.unchangedElsewhere = set.unchangedAfter
        var from = DesiredState(revision: "b", files: set.before)
        from.unchangedElsewhere = set.unchangedBefore
        let plan = Planner().plan(from: from, to: to)
        #expect(plan.change(named: "m3")?.kind == .invalid, "declared twice at the target")
        #expect(plan.change(named: "m7")?.action.kind == .prune, "one deletion among many is a prune, not an empty repository")
        #expect(plan.refusal == nil)
        #expect(plan.count(.noChange) == 18)
        #expect(plan.toDiagnostics.contains { $0.file == "manifests/broken.yaml" }, "unchanged invalid files are still reported")
    }
}
