import Foundation
import SluiceGit
import SluiceTestSupport
import Testing

/// `sluice plan` and `sluice rollback` end to end: the real binary on real repositories.
@Suite(.timeLimit(.minutes(10))) struct PlanCommandTests {
    @Test func noChangeExitsZeroAndChangesExitOne() async throws {
        let repo = try GitFixture()
        try repo.commit("one", files: ["manifests/a.yaml": manifest("a")])
        try repo.commit("docs only", files: ["README.md": "# models"])
        let unchanged = try await SluiceBinary.run(["plan", "--path", "manifests"], in: repo.url)
        #expect(unchanged.status == 0, "\(unchanged.stdout)\(unchanged.stderr)")
        #expect(unchanged.stdout.contains("Plan: no changes"))
        try repo.commit("add b", files: ["manifests/b.yaml": manifest("b")])
        let changed = try await SluiceBinary.run(["plan", "--path", "manifests"], in: repo.url)
        #expect(changed.status == 1)
        #expect(changed.stdout.contains("+ b"))
        #expect(changed.stdout.contains("Plan: 1 to deploy (1 unchanged)."))
    }

    @Test func jsonAndMarkdownDescribeACanary() async throws {
        let repo = try GitFixture()
        let canary = manifest("fraud", versions: ["v1", "v2"], traffic: ["v1": 0, "v2": 100])
            + "  rollout:\n    steps:\n      - weight: 10\n      - pause: 5m\n"
        let base = try repo.commit("v1", files: ["manifests/fraud.yaml": manifest("fraud", versions: ["v1", "v2"], traffic: ["v1": 100, "v2": 0])])
        try repo.commit("ship v2", files: ["manifests/fraud.yaml": canary])
        let json = try await SluiceBinary.run(["plan", "--path", "manifests", "--from", base, "--format", "json"], in: repo.url)
        #expect(json.status == 1)
        let document = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let models = try #require(document["models"] as? [[String: Any]] ?? document["changes"] as? [[String: Any]])
        let fraud = try #require(models.first { $0["name"] as? String == "fraud" })
        #expect(fraud["action"] as? String == "canary")
        let markdown = try await SluiceBinary.run(["plan", "--path", "manifests", "--format", "markdown"], in: repo.url)
        #expect(markdown.status == 1)
        #expect(markdown.stdout.contains("<details>"))
        #expect(markdown.stdout.contains("canary"))
    }

    @Test func aRevertIsAFastRollback() async throws {
        let repo = try GitFixture()
        try repo.commit("v1", files: ["manifests/fraud.yaml": manifest("fraud", versions: ["v1", "v2"], traffic: ["v1": 100, "v2": 0])])
        try repo.commit("v2", files: ["manifests/fraud.yaml": manifest("fraud", versions: ["v1", "v2"], traffic: ["v1": 0, "v2": 100])])
        try repo.git(["revert", "--no-edit", "HEAD"])
        let result = try await SluiceBinary.run(["plan", "--path", "manifests"], in: repo.url)
        #expect(result.status == 1)
        #expect(result.stdout.contains("fast rollback to v1"), "\(result.stdout)")
    }

    @Test func invalidManifestsAtTheTargetExitTwoWithTheirPosition() async throws {
        let repo = try GitFixture()
        try repo.commit("ok", files: ["manifests/a.yaml": manifest("a"), "manifests/b.yaml": manifest("b")])
        let broken = manifest("a").replacingOccurrences(of: "runtime:", with: "runtme:")
        let head = try repo.commit("typo", files: ["manifests/a.yaml": broken, "manifests/b.yaml": manifest("b", versions: ["v1", "v2"])])
        let result = try await SluiceBinary.run(["plan", "--path", "manifests"], in: repo.url)
        #expect(result.status == 2)
        #expect(result.stdout.contains("manifests/a.yaml:6:3"), "\(result.stdout)")
        #expect(result.stdout.contains(String(head.prefix(7))))
        #expect(result.stdout.contains("keeps its last good state") || result.stdout.contains("last good"))
        #expect(result.stdout.contains("~ b"), "the other model still plans")
    }

    @Test func aMissingRevisionOrRepositoryIsAnError() async throws {
        let repo = try GitFixture()
        try repo.commit("one", files: ["manifests/a.yaml": manifest("a")])
        let missing = try await SluiceBinary.run(["plan", "--to", "nope"], in: repo.url)
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("no branch, tag or commit is named 'nope'"))
        let noRepo = try await SluiceBinary.run(["plan", "--repo", "/nonexistent"], in: repo.url)
        #expect(noRepo.status == 2)
    }

    /// `--repo` is parsed before anything is opened: nonsense exits 2 saying what is expected,
    /// and a directory whose name reads like `user@host:path` is opened in place.
    @Test func repoNamesALocationOrSaysWhatItExpects() async throws {
        let repo = try GitFixture()
        try repo.commit("one", files: ["manifests/a.yaml": manifest("a")])
        for (text, problem) in [("", "the repository is empty"), ("ftp://example.com/m.git", "uses the scheme ftp://")] {
            let result = try await SluiceBinary.run(["plan", "--repo", text], in: repo.url)
            #expect(result.status == 2)
            #expect(result.stderr.contains("sluice plan: --repo: "), "\(result.stderr)")
            #expect(result.stderr.contains(problem), "\(result.stderr)")
        }
        let parent = repo.url.deletingLastPathComponent()
        let odd = parent.appendingPathComponent("me@host:models-\(UUID().uuidString)")
        try FileManager.default.moveItem(at: repo.url, to: odd)
        defer { try? FileManager.default.removeItem(at: odd) }
        let local = try await SluiceBinary.run(["plan", "--repo", odd.lastPathComponent, "--path", "manifests"], in: parent)
        #expect(local.status == 1, "the root commit deploys a: \(local.stderr)")
        #expect(local.stdout.contains("+ a"))
    }

    @Test func rollbackCommitsARevertAndExitsZero() async throws {
        let repo = try GitFixture()
        try repo.commit("v1", files: ["manifests/fraud.yaml": manifest("fraud")])
        let bad = try repo.commit("v2", files: ["manifests/fraud.yaml": manifest("fraud", versions: ["v1", "v2"])])
        let result = try await SluiceBinary.run(["rollback", "fraud", "--path", "manifests", "--committer-name", "CI", "--committer-email", "ci@example.com"], in: repo.url)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.hasPrefix("Reverted \(bad.prefix(7)) for fraud (manifests/fraud.yaml): committed "))
        #expect(try repo.git(["log", "-1", "--format=%an %s"]) == "CI Revert \"v2\" for fraud")
        let refused = try await SluiceBinary.run(["rollback", "ghost", "--path", "manifests"], in: repo.url)
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("model 'ghost' is not declared on main"))
        let usage = try await SluiceBinary.run(["rollback", "fraud", "--to", "HEAD~1", "--commit", "HEAD"], in: repo.url)
        #expect(usage.status == 64)
    }

    /// `--commit` writes a revert by Sluice's own identity, not the repository's git identity;
    /// `--author` names another; a malformed one is a usage error naming the option.
    @Test func rollbackCommitIsBySluiceOrTheGivenAuthor() async throws {
        let repo = try GitFixture()
        try repo.git(["config", "user.name", "Repo Person"])
        try repo.git(["config", "user.email", "person@repo.example"])
        try repo.commit("v1", files: ["manifests/fraud.yaml": manifest("fraud")])
        let bad = try repo.commit("v2", files: ["manifests/fraud.yaml": manifest("fraud", versions: ["v1", "v2"])])
        try repo.commit("docs", files: ["README.md": "# models"])
        let result = try await SluiceBinary.run(["rollback", "fraud", "--path", "manifests", "--commit", bad], in: repo.url)
        #expect(result.status == 0, "\(result.stderr)")
        let sluice = "Sluice <sluice@\(GitIdentity.hostName())>"
        #expect(try repo.git(["log", "-1", "--format=%an <%ae>|%cn <%ce>|%s"]) == "\(sluice)|\(sluice)|Revert \"v2\" for fraud")
        #expect(try repo.read("manifests/fraud.yaml") == manifest("fraud"))

        let again = try repo.commit("v2 again", files: ["manifests/fraud.yaml": manifest("fraud", versions: ["v1", "v2"])])
        let authored = try await SluiceBinary.run(
            ["rollback", "fraud", "--path", "manifests", "--commit", again, "--author", "Dana Ops <dana@example.com>"], in: repo.url)
        #expect(authored.status == 0, "\(authored.stderr)")
        #expect(try repo.git(["log", "-1", "--format=%an <%ae>|%cn <%ce>"]) == "Dana Ops <dana@example.com>|Dana Ops <dana@example.com>")

        for (author, message) in [
            ("Dana Ops", "--author: expected 'Name <email>', found 'Dana Ops'"),
            ("<dana@example.com>", "--author: expected a name, found an empty value"),
            ("Dana <dana@exa<mple.com>", "--author: expected an email address without '<' or '>', found 'dana@exa<mple.com'"),
        ] {
            let refused = try await SluiceBinary.run(["rollback", "fraud", "--path", "manifests", "--author", author], in: repo.url)
            #expect(refused.status == 64, "\(author): \(refused.stderr)")
            #expect(refused.stderr.contains(message), "\(refused.stderr)")
        }
        #expect(try repo.git(["log", "-1", "--format=%s"]) == "Revert \"v2 again\" for fraud", "nothing more was committed")
    }
}
