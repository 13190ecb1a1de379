import Foundation
import SluiceCore
import SluiceGit
import SluiceTestSupport
import Testing

/// Reading a commit after its parent reads only what changed.
@Suite(.timeLimit(.minutes(10))) struct ManifestReaderTests {
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

/// Issue 11, item 8: many files whose aliases each stay under the per-file budget do not add
/// up in one repository read; symbolic links in the tree are never read.
@Suite(.timeLimit(.minutes(10))) struct ManifestReaderHostileTests {
    static func bomb(_ index: Int) -> String {
        let fields = (0..<150).map { "k\($0): 1" }.joined(separator: ", ")
        let aliases = Array(repeating: "*m", count: 30).joined(separator: ", ")
        return "apiVersion: sluice/v1\nkind: ModelDeployment\nmetadata: {name: bomb-\(index)}\nx: &m {\(fields)}\nspec:\n  runtime: r\n  versions: [\(aliases)]\n"
    }

    @Test func aliasBombsAcrossManyFilesSpendOneBudgetPerRead() async throws {
        let repo = try GitFixture()
        var files: [String: String] = ["manifests/ok.yaml": manifest("ok")]
        for index in 0..<40 { files[String(format: "manifests/b%02d.yaml", index)] = Self.bomb(index) }
        let head = try repo.commit("bombs", files: files)
        let reader = ManifestReader(source: try GitSource.open(path: repo.path), directory: "manifests")
        let set = try await reader.read(at: CommitID(hex: head))
        let refused = set.files.filter { file in file.diagnostics.contains { $0.message.contains("one read may hold") } }
        #expect(refused.count == 35)
        #expect(refused.first?.path == "manifests/b05.yaml")
        #expect(refused.first?.diagnostics.first.map { "\($0.location.line):\($0.location.column)" } == "7:14")
        #expect(set.files.first { $0.path == "manifests/ok.yaml" }?.isValid == true)
        #expect(set.files.allSatisfy { $0.diagnostics.count <= YAMLLimits.default.maxDiagnosticsPerFile + 1 })
    }

    @Test func aSymbolicLinkInTheTreeIsNotRead() async throws {
        let repo = try GitFixture()
        let secret = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-secret-\(UUID().uuidString).yaml")
        try Data("ghp_SECRET: token\n".utf8).write(to: secret)
        defer { try? FileManager.default.removeItem(at: secret) }
        try repo.write("manifests/ok.yaml", manifest("ok"))
        try FileManager.default.createSymbolicLink(atPath: repo.url.appendingPathComponent("manifests/t.yaml").path, withDestinationPath: secret.path)
        let head = try repo.commit("a link")
        let reader = ManifestReader(source: try GitSource.open(path: repo.path), directory: "manifests")
        let set = try await reader.read(at: CommitID(hex: head))
        #expect(set.files.map(\.path) == ["manifests/ok.yaml"])
        #expect(!set.files.flatMap(\.diagnostics).contains { $0.message.contains("ghp_") })
    }
}

/// The change set an incremental plan works from.
@Suite(.timeLimit(.minutes(10))) struct ManifestChangeSetTests {
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
