import Foundation
import SluiceTestSupport
import Testing

/// `sluice plan` says what it plans (a commit, or the working tree), notes uncommitted
/// manifest changes a plan of HEAD leaves out, and `--working-tree` plans them: the real
/// binary on real repositories.
@Suite(.timeLimit(.minutes(10))) struct PlanWorkingTreeTests {
    @Test func theHeaderNamesTheCommitAndANoteTellsOfUncommittedChanges() async throws {
        let repo = try GitFixture()
        let base = try repo.commit("one", files: ["manifests/a.yaml": manifest("a")])
        let head = try repo.commit("two", files: ["manifests/b.yaml": manifest("b")])
        let clean = try await SluiceBinary.run(["plan", "--path", "manifests"], in: repo.url)
        #expect(clean.status == 1, "\(clean.stderr)")
        let lines = clean.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.first == "Sluice plan: commit \(head.prefix(7)) (HEAD) against its first parent \(base.prefix(7))")
        #expect(!clean.stdout.contains("note:"), "\(clean.stdout)")

        // Edited and untracked manifests are left out of the plan of HEAD, and a note says so.
        try repo.write("manifests/a.yaml", manifest("a", versions: ["v1", "v2"]))
        try repo.write("manifests/new/c.yaml", manifest("c"))
        try repo.write("README.md", "not a manifest")
        let dirty = try await SluiceBinary.run(["plan", "--path", "manifests"], in: repo.url)
        #expect(dirty.status == 1)
        let dirtyLines = dirty.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(dirtyLines.first == lines.first)
        #expect(dirtyLines.dropFirst().first == "note: the working tree has uncommitted changes to 2 manifests (manifests/a.yaml, manifests/new/c.yaml) that this plan of the last commit leaves out; `sluice plan --working-tree` plans them")
        #expect(dirty.stdout.contains("+ b"))
        #expect(!dirty.stdout.contains("+ c"), "the plan is still the commit's")
        // Revisions named (a pull request's plan in CI): no working-tree scan, no note.
        let named = try await SluiceBinary.run(["plan", "--path", "manifests", "--from", base], in: repo.url)
        #expect(named.status == 1)
        #expect(!named.stdout.contains("note:"), "\(named.stdout)")
        #expect(dirty.stdout.contains("Plan: 1 to deploy (1 unchanged)."))

        let json = try await SluiceBinary.run(["plan", "--path", "manifests", "--format", "json"], in: repo.url)
        let document = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(document["to"] as? String == String(head.prefix(7)), "the existing keys keep their meaning")
        let subject = try #require(document["subject"] as? [String: Any])
        #expect(subject["target"] as? String == "commit")
        #expect(subject["targetReference"] as? String == "HEAD")
        #expect(subject["base"] as? String == "firstParent")
        #expect((document["notes"] as? [String])?.count == 1)

        // An explicit --to is planned as asked, without the note; a root commit against nothing.
        let root = try await SluiceBinary.run(["plan", "--path", "manifests", "--to", "HEAD~1"], in: repo.url)
        #expect(root.stdout.hasPrefix("Sluice plan: commit \(base.prefix(7)) (HEAD~1) against nothing deployed (a root commit)\n"), "\(root.stdout)")
        #expect(!root.stdout.contains("note:"))
    }

    @Test func workingTreePlansEditedAddedAndDeletedManifestsAgainstHead() async throws {
        let repo = try GitFixture()
        let head = try repo.commit("models", files: [
            "manifests/a.yaml": manifest("a"), "manifests/b.yaml": manifest("b"), "manifests/c.yaml": manifest("c"),
        ])
        try repo.write("manifests/a.yaml", manifest("a", versions: ["v1", "v2"]))
        try repo.write("manifests/team/d.yaml", manifest("d"))
        try FileManager.default.removeItem(at: repo.url.appendingPathComponent("manifests/c.yaml"))
        let result = try await SluiceBinary.run(["plan", "--path", "manifests", "--working-tree"], in: repo.url)
        #expect(result.status == 1, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.hasPrefix("Sluice plan: working tree (manifests/) against HEAD \(head.prefix(7))\n"), "\(result.stdout)")
        #expect(!result.stdout.contains("note:"))
        #expect(result.stdout.contains("~ a"), "\(result.stdout)")
        #expect(result.stdout.contains("+ d  (manifests/team/d.yaml)"), "\(result.stdout)")
        #expect(result.stdout.contains("- c"), "\(result.stdout)")
        #expect(!result.stdout.contains("~ b"), "b is unchanged")
        let summary = try #require(result.stdout.split(separator: "\n").last)
        #expect(summary.contains("1 to deploy") && summary.contains("1 to prune") && summary.hasSuffix("(1 unchanged)."), "\(summary)")

        let json = try await SluiceBinary.run(["plan", "--path", "manifests", "--working-tree", "--format", "json"], in: repo.url)
        let document = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(document["from"] as? String == String(head.prefix(7)))
        #expect(document["to"] as? String == "working tree")
        #expect((document["subject"] as? [String: Any])?["target"] as? String == "workingTree")

        // Committed as they are, the same changes plan the same way.
        try repo.git(["add", "-A"])
        try repo.git(["commit", "-q", "-m", "as planned"])
        let committed = try await SluiceBinary.run(["plan", "--path", "manifests"], in: repo.url)
        #expect(committed.stdout.split(separator: "\n").last == summary)
        let nothingLeft = try await SluiceBinary.run(["plan", "--path", "manifests", "--working-tree"], in: repo.url)
        #expect(nothingLeft.status == 0, "\(nothingLeft.stdout)")
        #expect(nothingLeft.stdout.contains("Plan: no changes (3 unchanged)."), "\(nothingLeft.stdout)")
    }

    /// A working tree is read as a commit is: a symbolic link (to a file or a directory
    /// outside the repository) is not followed, so nothing it points at reaches the plan.
    @Test func workingTreeLinksAreNotFollowedOutOfTheRepository() async throws {
        let repo = try GitFixture()
        try repo.commit("models", files: ["manifests/a.yaml": manifest("a")])
        let outside = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-outside-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: outside, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: outside) }
        try Data(manifest("leaked-file").utf8).write(to: outside.appendingPathComponent("secret.yaml"))
        let fileManager = FileManager.default
        try fileManager.createSymbolicLink(
            atPath: repo.url.appendingPathComponent("manifests/link.yaml").path, withDestinationPath: outside.appendingPathComponent("secret.yaml").path)
        try fileManager.createSymbolicLink(atPath: repo.url.appendingPathComponent("manifests/linked").path, withDestinationPath: outside.path)
        let result = try await SluiceBinary.run(["plan", "--path", "manifests", "--working-tree", "--all"], in: repo.url)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(!result.stdout.contains("leaked-file"), "\(result.stdout)")
        #expect(result.stdout.contains("Plan: no changes (1 unchanged)."), "\(result.stdout)")
    }

    @Test func anInvalidWorkingTreeFileIsAnErrorAtItsPosition() async throws {
        let repo = try GitFixture()
        try repo.commit("models", files: ["manifests/a.yaml": manifest("a"), "manifests/b.yaml": manifest("b")])
        try repo.write("manifests/a.yaml", "apiVersion: sluice/v1\nkind: ModelDeployment\nmetadata:\n  name: [a\n")
        let result = try await SluiceBinary.run(["plan", "--path", "manifests", "--working-tree"], in: repo.url)
        #expect(result.status == 2, "\(result.stdout)\(result.stderr)")
        let error = try #require(result.stdout.split(separator: "\n").first { $0.contains("manifests/a.yaml:") && $0.contains(": error: ") })
        #expect(error.contains("manifests/a.yaml:5:1: error: YAML syntax error: "), "\(result.stdout)")
        #expect(result.stdout.contains("! a  (manifests/a.yaml)"), "the model keeps its last good state: \(result.stdout)")
        #expect(!result.stdout.contains("~ b"), "b is unchanged")
    }

    /// A manifests directory created but never committed plans as new models; a repository
    /// without a commit says that it needs one.
    @Test func aManifestsDirectoryNotYetCommittedPlansAsNew() async throws {
        let repo = try GitFixture()
        try repo.write("manifests/a.yaml", manifest("a"))
        let empty = try await SluiceBinary.run(["plan", "--path", "manifests", "--working-tree"], in: repo.url)
        #expect(empty.status == 2)
        #expect(empty.stderr.contains("--working-tree plans against HEAD, which names no commit yet; commit once first"), "\(empty.stderr)")
        try repo.write("README.md", "# models")
        try repo.git(["add", "README.md"])
        try repo.git(["commit", "-q", "-m", "readme only"])
        let result = try await SluiceBinary.run(["plan", "--path", "manifests", "--working-tree"], in: repo.url)
        #expect(result.status == 1, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("+ a  (manifests/a.yaml)"), "\(result.stdout)")
        #expect(result.stdout.contains("Plan: 1 to deploy."), "\(result.stdout)")
    }

    @Test func workingTreeNeedsALocalWorkingTreeAndNoRevisions() async throws {
        let repo = try GitFixture()
        try repo.commit("models", files: ["manifests/a.yaml": manifest("a")])
        let usage = try await SluiceBinary.run(["plan", "--working-tree", "--from", "HEAD"], in: repo.url)
        #expect(usage.status == 64)
        #expect(usage.stderr.contains("--working-tree plans the working tree against HEAD; it cannot be used with --from or --to"))
        let bare = try GitFixture(bare: true)
        try repo.git(["push", "-q", bare.path, "main"])
        let refused = try await SluiceBinary.run(["plan", "--repo", bare.path, "--working-tree"], in: repo.url)
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("--working-tree needs a local repository with a working tree"), "\(refused.stderr)")
    }
}
