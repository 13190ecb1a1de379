import Foundation
import SluiceGit
import SluiceTestSupport
import Testing

/// Cache clones of remotes: clone, fetch, force-push, unreachable remotes, push. Credentials
/// against a real HTTP git server: GitHTTPRemoteTests.
@Suite(.timeLimit(.minutes(10))) struct GitRemoteTests {
    /// A bare "server" repository fed from a working clone.
    static func remotePair() throws -> (server: GitFixture, work: GitFixture) {
        let server = try GitFixture(bare: true)
        let work = try GitFixture()
        try work.git(["remote", "add", "origin", server.path])
        return (server, work)
    }

    static func cacheDirectory() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("sluice-cache-\(UUID().uuidString)").path
    }

    @Test func clonesBareAndFetchesRefsOnly() async throws {
        let (server, work) = try Self.remotePair()
        let first = try work.commit("one", files: ["manifests/a.yaml": manifest("a")])
        try work.git(["push", "-q", "origin", "main"])
        let cache = Self.cacheDirectory()
        defer { try? FileManager.default.removeItem(atPath: cache) }
        let source = try GitSource.remote(url: "file://" + server.path, cacheDirectory: cache)
        #expect(try await source.resolve("main").hex == first)
        #expect(!FileManager.default.fileExists(atPath: cache + "/manifests"), "no checkout")
        let second = try work.commit("two", files: ["manifests/b.yaml": manifest("b")])
        try work.git(["push", "-q", "origin", "main"])
        #expect(try await source.resolve("main").hex == first, "refs move only on fetch")
        try await source.fetch()
        #expect(try await source.resolve("main").hex == second)
        #expect(try await source.resolve("HEAD").hex == second)
        // Opening the cache again reuses it.
        let again = try GitSource.remote(url: "file://" + server.path, cacheDirectory: cache)
        #expect(try await again.resolve("main").hex == second)
    }

    @Test("fetching one branch moves it (a force-push too) and nothing else: no other branch, no tag; deleted upstream, it is gone")
    func fetchesOneBranch() async throws {
        let (server, work) = try Self.remotePair()
        try work.commit("one", files: ["manifests/a.yaml": manifest("a")])
        try work.git(["push", "-q", "origin", "main"])
        let cache = Self.cacheDirectory()
        defer { try? FileManager.default.removeItem(atPath: cache) }
        let source = try GitSource.remote(url: "file://" + server.path, cacheDirectory: cache)
        let second = try work.commit("two", files: ["manifests/b.yaml": manifest("b")])
        try work.git(["tag", "v2"])
        try work.git(["push", "-q", "origin", "main", "v2", "main:other"])
        try await source.fetch(branch: "main")
        #expect(try await source.resolve("main").hex == second)
        await #expect(throws: GitError.self, "no tag") { try await source.resolve("v2") }
        await #expect(throws: GitError.self, "no other branch") { try await source.resolve("other") }
        try work.git(["reset", "-q", "--hard", "HEAD~1"])
        let rewritten = try work.commit("good", files: ["manifests/c.yaml": manifest("c")])
        try work.git(["push", "-q", "--force", "origin", "main"])
        try await source.fetch(branch: "main")
        #expect(try await source.resolve("main").hex == rewritten)
        // A name git refuses as a branch fetches everything, as without one.
        try await source.fetch(branch: "bad..name")
        #expect(try await source.resolve("v2").hex == second)
        #expect(try await source.resolve("other").hex == second)
        try work.git(["push", "-q", "origin", "--delete", "other"])
        try await source.fetch(branch: "other")
        await #expect(throws: GitError.self, "deleted upstream: pruned") { try await source.resolve("other") }
        #expect(try await source.resolve("main").hex == rewritten)
    }

    @Test func historyRewrittenByAForcePushReplacesTheOldRefs() async throws {
        let (server, work) = try Self.remotePair()
        try work.commit("one", files: ["m.yaml": manifest("a")])
        try work.commit("bad", files: ["m.yaml": manifest("bad")])
        try work.git(["push", "-q", "origin", "main"])
        let cache = Self.cacheDirectory()
        defer { try? FileManager.default.removeItem(atPath: cache) }
        let source = try GitSource.remote(url: "file://" + server.path, cacheDirectory: cache)
        try work.git(["reset", "-q", "--hard", "HEAD~1"])
        let rewritten = try work.commit("good", files: ["m.yaml": manifest("good")])
        try work.git(["push", "-q", "--force", "origin", "main"])
        try await source.fetch()
        #expect(try await source.resolve("main").hex == rewritten)
    }

    @Test func anUnreachableRemoteIsAClearErrorAndKeepsTheLastGoodRefs() async throws {
        let (server, work) = try Self.remotePair()
        let first = try work.commit("one", files: ["m.yaml": manifest("a")])
        try work.git(["push", "-q", "origin", "main"])
        let cache = Self.cacheDirectory()
        defer { try? FileManager.default.removeItem(atPath: cache) }
        let source = try GitSource.remote(url: "file://" + server.path, cacheDirectory: cache)
        try FileManager.default.removeItem(at: server.url)
        await #expect(throws: GitError.self) { try await source.fetch() }
        #expect(try await source.resolve("main").hex == first, "the last fetched state stays readable")
        #expect(throws: GitError.self) {
            try GitSource.remote(url: "http://127.0.0.1:9/nothing.git", cacheDirectory: Self.cacheDirectory())
        }
    }

    @Test func pushesToALocalBareRemote() async throws {
        let (server, work) = try Self.remotePair()
        let first = try work.commit("one", files: ["m.yaml": manifest("a")])
        let second = try work.commit("two", files: ["m.yaml": manifest("a", versions: ["v1", "v2"])])
        try work.git(["push", "-q", "origin", "main"])
        let cache = Self.cacheDirectory()
        defer { try? FileManager.default.removeItem(atPath: cache) }
        let source = try GitSource.remote(url: "file://" + server.path, cacheDirectory: cache)
        let tree = try await source.revertedTree(of: CommitID(hex: second), path: "m.yaml", onto: CommitID(hex: second))
        let reverted = try await source.commit(
            tree: tree, parent: CommitID(hex: second), branch: "main", message: "Revert two",
            identity: GitIdentity(name: "Sluice", email: "sluice@example.com"), touching: "m.yaml")
        try await source.push(branch: "main")
        #expect(try server.git(["rev-parse", "main"]) == reverted.hex)
        #expect(try server.git(["show", "main:m.yaml"]) + "\n" == (try server.git(["show", "\(first):m.yaml"])) + "\n")
    }

    @Test func aPushRejectedBecauseTheRemoteMovedSaysSo() async throws {
        let (server, work) = try Self.remotePair()
        let base = try work.commit("one", files: ["m.yaml": manifest("a"), "n.yaml": manifest("n")])
        try work.git(["push", "-q", "origin", "main"])
        let cache = Self.cacheDirectory()
        defer { try? FileManager.default.removeItem(atPath: cache) }
        let source = try GitSource.remote(url: "file://" + server.path, cacheDirectory: cache)
        try work.commit("meanwhile", files: ["n.yaml": manifest("n", versions: ["v1", "v2"])])
        try work.git(["push", "-q", "origin", "main"])
        let tree = try await source.restoredTree(path: "m.yaml", from: CommitID(hex: base), onto: CommitID(hex: base))
        _ = try await source.commit(
            tree: tree, parent: CommitID(hex: base), branch: "main", message: "x",
            identity: GitIdentity(name: "S", email: "s@example.com"), touching: "m.yaml")
        do {
            try await source.push(branch: "main")
            Issue.record("the push should have been rejected")
        } catch {
            #expect(error.code == .refused)
            #expect(error.message.contains("moved"))
        }
    }

    @Test func redactionRemovesURLCredentials() {
        #expect(Redaction.redactURLs("cannot fetch https://user:tok@host/x.git: 401") == "cannot fetch https://***@host/x.git: 401")
        #expect(Redaction.scrub("token abcd1234 rejected", secrets: ["abcd1234"]) == "token *** rejected")
    }
}
