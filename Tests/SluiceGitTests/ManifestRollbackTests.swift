import Foundation
import SluiceCore
import SluiceGit
import SluiceTestSupport
import Testing

/// `sluice rollback` in git: reverts and restores, validated, never over a moved branch.
@Suite(.timeLimit(.minutes(10))) struct ManifestRollbackTests {
    static let identity = GitIdentity(name: "Sluice Bot", email: "sluice@example.com")

    static func reader(_ repo: GitFixture) throws -> ManifestReader {
        ManifestReader(source: try GitSource.open(path: repo.path), directory: "manifests")
    }

    @Test func revertsTheLastCommitThatChangedTheModel() async throws {
        let repo = try GitFixture()
        try repo.commit("fraud v1", files: ["manifests/fraud.yaml": manifest("fraud"), "manifests/other.yaml": manifest("other")])
        let bad = try repo.commit("fraud: ship v2", files: ["manifests/fraud.yaml": manifest("fraud", versions: ["v1", "v2"])])
        try repo.commit("other: v2", files: ["manifests/other.yaml": manifest("other", versions: ["v1", "v2"])])
        let outcome = try await ManifestRollback(model: "fraud", branch: "main", identity: Self.identity, push: false)
            .run(reader: try Self.reader(repo))
        #expect(outcome.reverted?.hex == bad)
        #expect(outcome.path == "manifests/fraud.yaml")
        #expect(try repo.git(["rev-parse", "main"]) == outcome.commit.hex)
        #expect(try repo.git(["log", "-1", "--format=%s"]) == "Revert \"fraud: ship v2\" for fraud")
        #expect(try repo.git(["log", "-1", "--format=%b"]).contains("This reverts commit \(bad)"))
        #expect(try repo.git(["log", "-1", "--format=%an <%ae>"]) == "Sluice Bot <sluice@example.com>")
        #expect(try repo.git(["show", "main:manifests/fraud.yaml"]) + "\n" == manifest("fraud"))
        #expect(try repo.git(["show", "main:manifests/other.yaml"]) + "\n" == manifest("other", versions: ["v1", "v2"]))
        // The working copy follows the branch: nothing shows as changed.
        #expect(try repo.read("manifests/fraud.yaml") == manifest("fraud"))
        #expect(try repo.git(["status", "--porcelain"]).isEmpty)
    }

    @Test func restoresTheManifestAsItWasAtARevision() async throws {
        let repo = try GitFixture()
        let good = try repo.commit("good", files: ["manifests/fraud.yaml": manifest("fraud")])
        try repo.commit("v2", files: ["manifests/fraud.yaml": manifest("fraud", versions: ["v1", "v2"])])
        try repo.commit("v3", files: ["manifests/fraud.yaml": manifest("fraud", versions: ["v1", "v2", "v3"])])
        let outcome = try await ManifestRollback(model: "fraud", branch: "main", target: good, identity: Self.identity, push: false)
            .run(reader: try Self.reader(repo))
        #expect(outcome.restoredFrom?.hex == good)
        #expect(try repo.git(["show", "main:manifests/fraud.yaml"]) + "\n" == manifest("fraud"))
        #expect(try repo.git(["log", "-1", "--format=%s"]) == "Roll back fraud to its manifest at \(good.prefix(7))")
    }

    @Test func aRevertThatConflictsIsRefused() async throws {
        let repo = try GitFixture()
        try repo.commit("v1", files: ["manifests/fraud.yaml": manifest("fraud")])
        let older = try repo.commit(
            "split 90/10", files: ["manifests/fraud.yaml": manifest("fraud", versions: ["v1", "v2"], traffic: ["v1": 90, "v2": 10])])
        let tip = try repo.commit(
            "split 50/50", files: ["manifests/fraud.yaml": manifest("fraud", versions: ["v1", "v2"], traffic: ["v1": 50, "v2": 50])])
        let reader = try Self.reader(repo)
        let error = await gitError {
            _ = try await ManifestRollback(model: "fraud", branch: "main", commitToRevert: older, identity: Self.identity, push: false)
                .run(reader: reader)
        }
        #expect(error?.code == .refused)
        #expect(error?.message.contains("does not apply cleanly") == true, "\(String(describing: error))")
        #expect(try repo.git(["rev-parse", "main"]) == tip, "nothing was committed")
    }

    @Test func aResultThatWouldBeInvalidIsRefused() async throws {
        let repo = try GitFixture()
        try repo.commit("good", files: ["manifests/fraud.yaml": manifest("fraud")])
        try repo.commit(
            "broken", files: ["manifests/fraud.yaml": manifest("fraud").replacingOccurrences(of: "traffic: {v1: 100}", with: "traffic: {v1: 90}")])
        let tip = try repo.commit("fixed", files: ["manifests/fraud.yaml": manifest("fraud", versions: ["v1", "v2"])])
        let reader = try Self.reader(repo)
        let error = await gitError {
            _ = try await ManifestRollback(model: "fraud", branch: "main", identity: Self.identity, push: false).run(reader: reader)
        }
        #expect(error?.code == .refused)
        let message = error?.message ?? ""
        #expect(message.contains("would be invalid"))
        #expect(message.contains("manifests/fraud.yaml:"))
        #expect(message.contains("sum to 90"))
        #expect(try repo.git(["rev-parse", "main"]) == tip)
    }

    @Test func aBranchThatMovedUnderneathIsNeverOverwritten() async throws {
        let repo = try GitFixture()
        let base = try repo.commit("v1", files: ["manifests/fraud.yaml": manifest("fraud")])
        let source = try GitSource.open(path: repo.path)
        let tree = try await source.restoredTree(path: "manifests/fraud.yaml", from: CommitID(hex: base), onto: CommitID(hex: base))
        let moved = try repo.commit("someone else", files: ["manifests/x.yaml": manifest("x")])
        let error = await gitError {
            _ = try await source.commit(
                tree: tree, parent: CommitID(hex: base), branch: "main", message: "late", identity: Self.identity,
                touching: "manifests/fraud.yaml")
        }
        #expect(error?.code == .refused)
        #expect(error?.message.contains("moved") == true)
        #expect(try repo.git(["rev-parse", "main"]) == moved)
    }

    @Test func unknownModelsAndCreationsAreRefusedWithAReason() async throws {
        let repo = try GitFixture()
        try repo.commit("created", files: ["manifests/fraud.yaml": manifest("fraud")])
        let reader = try Self.reader(repo)
        for (model, expected) in [("nope", "is not declared on main"), ("fraud", "created it")] {
            let error = await gitError {
                _ = try await ManifestRollback(model: model, branch: "main", identity: Self.identity, push: false).run(reader: reader)
            }
            #expect(error?.message.contains(expected) == true, "\(String(describing: error))")
        }
    }

    @Test func aRollbackIsPushedToTheRemote() async throws {
        let server = try GitFixture(bare: true)
        let work = try GitFixture()
        try work.git(["remote", "add", "origin", server.path])
        try work.commit("v1", files: ["manifests/fraud.yaml": manifest("fraud")])
        try work.commit("v2", files: ["manifests/fraud.yaml": manifest("fraud", versions: ["v1", "v2"])])
        try work.git(["push", "-q", "origin", "main"])
        let cache = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-cache-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: cache) }
        let reader = ManifestReader(source: try GitSource.remote(url: "file://" + server.path, cacheDirectory: cache), directory: "manifests")
        let unpushed = await gitError {
            _ = try await ManifestRollback(model: "fraud", branch: "main", identity: Self.identity, push: false).run(reader: reader)
        }
        #expect(unpushed?.message.contains("--push") == true)
        let outcome = try await ManifestRollback(model: "fraud", branch: "main", identity: Self.identity, push: true).run(reader: reader)
        #expect(outcome.pushed)
        #expect(try server.git(["rev-parse", "main"]) == outcome.commit.hex)
        #expect(try server.git(["show", "main:manifests/fraud.yaml"]) + "\n" == manifest("fraud"))
    }
}

/// The GitError a body throws; nil (and a recorded issue) when it throws none.
func gitError(_ body: () async throws -> Void) async -> GitError? {
    do {
        try await body()
        Issue.record("expected a GitError")
        return nil
    } catch {
        guard let gitError = error as? GitError else {
            Issue.record("expected a GitError, got \(error)")
            return nil
        }
        return gitError
    }
}
