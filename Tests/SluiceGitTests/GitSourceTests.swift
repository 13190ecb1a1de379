import Foundation
import SluiceGit
import SluiceTestSupport
import Testing

/// The git source against real repositories made by git in temporary directories.
@Suite(.timeLimit(.minutes(10))) struct GitSourceTests {
    @Test func readsManifestsAtACommitWithoutAWorkingDirectory() async throws {
        let repo = try GitFixture()
        let first = try repo.commit("one", files: ["manifests/a.yaml": manifest("a"), "README.md": "# hi"])
        try repo.commit("two", files: ["manifests/a.yaml": manifest("a", versions: ["v1", "v2"]), "manifests/b.yml": manifest("b")])
        // The working tree is changed but not committed: reads at commits must not see it.
        try repo.write("manifests/c.yaml", manifest("c"))
        let source = try GitSource.open(path: repo.path)
        let commit = try await source.resolve(first)
        let snapshot = try await source.snapshot(at: commit, under: "manifests")
        #expect(Array(snapshot.files.keys) == ["manifests/a.yaml"])
        let head = try await source.snapshot(at: try await source.resolve("HEAD"), under: "manifests")
        #expect(head.files.keys.sorted() == ["manifests/a.yaml", "manifests/b.yml"])
        let blobs = try await source.readBlobs(Array(snapshot.files.values))
        #expect(blobs.values.first?.bytes.map { String(decoding: $0, as: UTF8.self) } == manifest("a"))
    }

    @Test func resolvesBranchesTagsIdsAndAncestry() async throws {
        let repo = try GitFixture()
        let one = try repo.commit("one", files: ["m.yaml": manifest("a")])
        let two = try repo.commit("two", files: ["m.yaml": manifest("b")])
        let three = try repo.commit("three", files: ["m.yaml": manifest("c")])
        try repo.git(["tag", "v1", one])
        let source = try GitSource.open(path: repo.path)
        #expect(try await source.resolve("main").hex == three)
        #expect(try await source.resolve("HEAD~2").hex == one)
        #expect(try await source.resolve("v1").hex == one)
        #expect(try await source.resolve(String(two.prefix(10))).hex == two)
        #expect(try await source.firstParent(of: CommitID(hex: one)) == nil)
        #expect(try await source.summary(of: CommitID(hex: two)) == "two")
    }

    @Test func aMissingRefIsAClearError() async throws {
        let repo = try GitFixture()
        try repo.commit("one", files: ["m.yaml": manifest("a")])
        let source = try GitSource.open(path: repo.path)
        await #expect(throws: GitError.self) { try await source.resolve("no-such-branch") }
        do {
            _ = try await source.resolve("no-such-branch")
        } catch {
            #expect(error.code == .notFound)
            #expect(error.message == "no branch, tag or commit is named 'no-such-branch'")
        }
        #expect(throws: GitError.self) { try GitSource.open(path: "/nonexistent/repo") }
    }

    @Test func detectsAddedDeletedModifiedAndRenamedManifests() async throws {
        let repo = try GitFixture()
        let before = try repo.commit("base", files: [
            "manifests/a.yaml": manifest("a"), "manifests/b.yaml": manifest("b"),
            "manifests/old-name.yaml": manifest("renamed-model"), "docs/x.md": "x",
        ])
        try FileManager.default.createDirectory(at: repo.url.appendingPathComponent("manifests/team"), withIntermediateDirectories: true)
        try repo.git(["mv", "manifests/old-name.yaml", "manifests/team/new-name.yaml"])
        let after = try repo.commit("change", files: [
            "manifests/a.yaml": manifest("a", versions: ["v1", "v2"]), "manifests/c.yaml": String(repeating: "# an unrelated, different model\n", count: 20) + manifest("c"), "docs/x.md": "y",
        ], remove: ["manifests/b.yaml"])
        let source = try GitSource.open(path: repo.path)
        let changes = try await source.changes(from: CommitID(hex: before), to: CommitID(hex: after), under: "manifests")
        #expect(Set(changes.map(\.description)) == [
            "M manifests/a.yaml", "D manifests/b.yaml", "A manifests/c.yaml",
            "R manifests/old-name.yaml -> manifests/team/new-name.yaml",
        ])
        let everything = try await source.changes(from: CommitID(hex: before), to: CommitID(hex: after))
        #expect(everything.count == 4, "docs/x.md is not a manifest")
    }

    @Test func symbolicLinksAreNeverFollowedOrRead() async throws {
        let repo = try GitFixture()
        let base = try repo.commit("base", files: ["manifests/a.yaml": manifest("a")])
        try FileManager.default.createSymbolicLink(
            atPath: repo.url.appendingPathComponent("manifests/link.yaml").path, withDestinationPath: "/etc/passwd")
        let head = try repo.commit("link")
        let source = try GitSource.open(path: repo.path)
        #expect(try await source.snapshot(at: CommitID(hex: head), under: "manifests").files.keys.sorted() == ["manifests/a.yaml"])
        #expect(try await source.changes(from: CommitID(hex: base), to: CommitID(hex: head)).isEmpty)
    }

    @Test func aLargeUnrelatedBinaryIsNeverRead() async throws {
        let repo = try GitFixture()
        let big = String(repeating: "0123456789abcdef", count: 256 * 1024)  // 4 MiB
        try repo.commit("data", files: ["data/weights.bin": big, "manifests/a.yaml": manifest("a"), "manifests/huge.yaml": big])
        let source = try GitSource.open(path: repo.path, maxBlobBytes: 1 << 20)
        let snapshot = try await source.snapshot(at: try await source.resolve("HEAD"))
        #expect(snapshot.files.keys.sorted() == ["manifests/a.yaml", "manifests/huge.yaml"])
        let blobs = try await source.readBlobs(Array(snapshot.files.values))
        let huge = try #require(blobs[snapshot.files["manifests/huge.yaml"]!])
        #expect(huge.bytes == nil, "over the cap: only the header is read")
        #expect(huge.size == big.utf8.count)
    }

    @Test func historyListsTheCommitsThatChangedAPath() async throws {
        let repo = try GitFixture()
        let one = try repo.commit("one", files: ["m/a.yaml": manifest("a")])
        try repo.commit("unrelated", files: ["m/b.yaml": manifest("b")])
        let three = try repo.commit("three", files: ["m/a.yaml": manifest("a", versions: ["v1", "v2"])])
        let source = try GitSource.open(path: repo.path)
        let history = try await source.history(of: "m/a.yaml", from: CommitID(hex: three), limit: 10)
        #expect(history.map(\.commit.hex) == [three, one])
    }
}
