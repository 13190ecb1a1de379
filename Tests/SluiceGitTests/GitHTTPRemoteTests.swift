import Foundation
import SluiceCore
import SluiceGit
import SluiceTestSupport
import Testing

/// Token authentication against a real smart-HTTP git server (`git http-backend` behind Basic
/// auth on loopback): a right token clones, fetches and pushes; a wrong one is refused by the
/// server and reported naming the remote, never the token.
@Suite(.timeLimit(.minutes(10))) struct GitHTTPRemoteTests {
    static let username = "deploy"

    /// A server accepting `token`, its bare repository with one commit on `main`, and the
    /// working clone that fed it (pushed to by path, so the server's auth is only ever tested
    /// through Sluice).
    struct Remote {
        let server: GitHTTPServer
        let repository: GitFixture
        let work: GitFixture
        let first: String
    }

    static func remote(token: String) async throws -> Remote {
        let server = try await GitHTTPServer(username: username, token: token)
        let repository = try server.createRepository()
        let work = try GitFixture()
        try work.git(["remote", "add", "origin", repository.path])
        let first = try work.commit("fraud v1", files: ["manifests/fraud.yaml": manifest("fraud")])
        try work.git(["push", "-q", "origin", "main"])
        return Remote(server: server, repository: repository, work: work, first: first)
    }

    static func token() -> String { "tok-\(UUID().uuidString)" }

    /// A token file (mode 0600) holding `token`.
    static func tokenFile(_ token: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-git-token-\(UUID().uuidString)").path
        try token.write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o600)
        return path
    }

    static func cacheDirectory() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("sluice-cache-\(UUID().uuidString)").path
    }

    /// A clone of `remote` into a fresh cache, authenticated by a token file holding `token`.
    struct Clone {
        let source: GitSource
        let tokenFile: String
        let cache: String

        func remove() {
            for path in [tokenFile, cache] { try? FileManager.default.removeItem(atPath: path) }
        }
    }

    static func clone(_ remote: Remote, token: String) throws -> Clone {
        let tokenFile = try Self.tokenFile(token)
        let cache = Self.cacheDirectory()
        do {
            let source = try GitSource.remote(
                url: remote.server.url(), cacheDirectory: cache, credentials: .tokenFromFile(path: tokenFile, username: username))
            return Clone(source: source, tokenFile: tokenFile, cache: cache)
        } catch {
            for path in [tokenFile, cache] { try? FileManager.default.removeItem(atPath: path) }
            throw error
        }
    }

    @Test func aRightTokenClonesAndFetches() async throws {
        let token = Self.token()
        let remote = try await Self.remote(token: token)
        let clone = try Self.clone(remote, token: token)
        defer { clone.remove() }
        let source = clone.source
        #expect(try await source.resolve("main").hex == remote.first)
        let second = try remote.work.commit("fraud v2", files: ["manifests/fraud.yaml": manifest("fraud", versions: ["v1", "v2"])])
        try remote.work.git(["push", "-q", "origin", "main"])
        try await source.fetch()
        #expect(try await source.resolve("main").hex == second)
        let requests = try remote.server.requests()
        #expect(requests.contains { $0.authorization == .ok && $0.method == "POST" && $0.path.hasSuffix("/git-upload-pack") && $0.status == 200 })
        #expect(!requests.contains { $0.authorization == .wrong }, "\(requests)")
        // The server answers nothing without credentials: the token is what opened it.
        #expect(requests.filter { $0.authorization != .ok }.allSatisfy { $0.status == 401 })
    }

    @Test func aWrongTokenIsAClearErrorNamingTheRemoteWithoutTheToken() async throws {
        let token = Self.token()
        let remote = try await Self.remote(token: token)
        let wrong = Self.token()
        let tokenFile = try Self.tokenFile(wrong)
        defer { try? FileManager.default.removeItem(atPath: tokenFile) }
        let cache = Self.cacheDirectory()
        let error = await gitError {
            _ = try GitSource.remote(
                url: remote.server.url(), cacheDirectory: cache, credentials: .tokenFromFile(path: tokenFile, username: Self.username))
        }
        let failure = try #require(error)
        #expect(failure.code == .authentication, "\(failure)")
        #expect(failure.message.contains(remote.server.url()), "names the remote: \(failure)")
        #expect(failure.message == "cannot clone \(remote.server.url()): the remote refused the token in \(tokenFile) (wrong, expired, or without access to this repository)")
        for secret in [wrong, token] {
            #expect(!failure.description.contains(secret))
            #expect(!String(reflecting: failure).contains(secret))
        }
        #expect(!FileManager.default.fileExists(atPath: cache), "a failed clone leaves no cache behind")
        // One credentialed attempt per operation: a wrong token is not replayed at the server.
        let requests = try remote.server.requests()
        #expect(requests.filter { $0.authorization == .wrong }.count == 1, "\(requests)")
        #expect(requests.allSatisfy { $0.status == 401 })
    }

    @Test func aTokenThatCannotBeReadIsNamedAndNothingIsSent() async throws {
        let remote = try await Self.remote(token: Self.token())
        let variable = "SLUICE_TEST_UNSET_\(UUID().uuidString.prefix(8))"
        let missingFile = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-no-token-\(UUID().uuidString)").path
        let cases: [(GitCredentials, String)] = [
            (.tokenFromEnvironment(variable: variable), "the environment variable \(variable) that should hold the git token is not set"),
            (.tokenFromFile(path: missingFile), "cannot read the git token file \(missingFile)"),
        ]
        for (credentials, reason) in cases {
            let error = await gitError {
                _ = try GitSource.remote(url: remote.server.url(), cacheDirectory: Self.cacheDirectory(), credentials: credentials)
            }
            let failure = try #require(error)
            #expect(failure.code == .authentication)
            #expect(failure.message == "cannot clone \(remote.server.url()): \(reason)")
        }
        #expect(try remote.server.requests().allSatisfy { $0.authorization == .none }, "no credentials were made up")
    }

    @Test func aTokenInTheURLIsNeverShownWhenItIsRefused() async throws {
        let remote = try await Self.remote(token: Self.token())
        let wrong = Self.token(), wrongInFile = Self.token()
        let tokenFile = try Self.tokenFile(wrongInFile)
        defer { try? FileManager.default.removeItem(atPath: tokenFile) }
        let url = "http://\(Self.username):\(wrong)@127.0.0.1:\(remote.server.port)/models.git"
        let shown = "cannot clone http://***@127.0.0.1:\(remote.server.port)/models.git: "
        // The URL's own credentials alone, then with a token file tried after them.
        let cases: [(GitCredentials, String)] = [
            (.none, shown + "the remote requires authentication: no credentials are configured, or those in the URL were refused"),
            (.tokenFromFile(path: tokenFile), shown + "the remote refused the token in \(tokenFile) (wrong, expired, or without access to this repository)"),
        ]
        for (credentials, expected) in cases {
            let error = await gitError {
                _ = try GitSource.remote(url: url, cacheDirectory: Self.cacheDirectory(), credentials: credentials)
            }
            let failure = try #require(error)
            #expect(failure.code == .authentication)
            #expect(failure.message == expected)
            #expect(!failure.description.contains(wrong), "\(failure)")
            #expect(!failure.description.contains(wrongInFile), "\(failure)")
        }
        #expect(try remote.server.requests().filter { $0.authorization == .wrong }.count == 3, "the URL's credentials were sent, then the file's")
    }

    @Test func aRotatedTokenFileTakesEffectAtTheNextFetch() async throws {
        let token = Self.token()
        let remote = try await Self.remote(token: token)
        let clone = try Self.clone(remote, token: token)
        defer { clone.remove() }
        let (source, tokenFile) = (clone.source, clone.tokenFile)
        let second = try remote.work.commit("fraud v2", files: ["manifests/fraud.yaml": manifest("fraud", versions: ["v1", "v2"])])
        try remote.work.git(["push", "-q", "origin", "main"])

        // Revoked: the fetch fails clearly and the last fetched refs stay readable.
        let wrong = Self.token()
        try wrong.write(toFile: tokenFile, atomically: true, encoding: .utf8)
        let error = await gitError { try await source.fetch() }
        let failure = try #require(error)
        #expect(failure.code == .authentication, "\(failure)")
        #expect(failure.message == "cannot fetch \(remote.server.url()): the remote refused the token in \(tokenFile) (wrong, expired, or without access to this repository)")
        #expect(!failure.description.contains(wrong))
        #expect(try await source.resolve("main").hex == remote.first)

        // A new token in the same file: read at the next operation, no restart.
        try token.write(toFile: tokenFile, atomically: true, encoding: .utf8)
        try await source.fetch()
        #expect(try await source.resolve("main").hex == second)
    }

    @Test func pushesARevertCommitWithTheToken() async throws {
        let token = Self.token()
        let remote = try await Self.remote(token: token)
        let bad = try remote.work.commit("fraud: ship v2", files: ["manifests/fraud.yaml": manifest("fraud", versions: ["v1", "v2"])])
        try remote.work.git(["push", "-q", "origin", "main"])
        let clone = try Self.clone(remote, token: token)
        defer { clone.remove() }
        let source = clone.source
        let outcome = try await ManifestRollback(
            model: "fraud", branch: "main", commitToRevert: bad, identity: GitIdentity(name: "Sluice", email: "sluice@example.com"),
            push: true
        ).run(reader: ManifestReader(source: source, directory: "manifests"))
        #expect(outcome.pushed)
        // Read back from the server's own repository with git.
        #expect(try remote.repository.git(["rev-parse", "main"]) == outcome.commit.hex)
        #expect(try remote.repository.git(["rev-parse", "main^"]) == bad)
        #expect(try remote.repository.git(["log", "-1", "--format=%s"]) == "Revert \"fraud: ship v2\" for fraud")
        #expect(try remote.repository.git(["show", "main:manifests/fraud.yaml"]) + "\n" == manifest("fraud"))
        let requests = try remote.server.requests()
        #expect(requests.contains { $0.method == "POST" && $0.path.hasSuffix("/git-receive-pack") && $0.authorization == .ok && $0.status == 200 })
        // The cache sees its own push as the remote's state.
        #expect(try await source.resolve("main") == outcome.commit)
    }

    @Test func aPushWithARevokedTokenFailsNamingTheRemoteAndMovesNothing() async throws {
        let token = Self.token()
        let remote = try await Self.remote(token: token)
        let clone = try Self.clone(remote, token: token)
        defer { clone.remove() }
        let (source, tokenFile) = (clone.source, clone.tokenFile)
        let base = CommitID(hex: remote.first)
        let tree = try await source.restoredTree(path: "manifests/other.yaml", from: base, onto: base)
        _ = try await source.commit(
            tree: tree, parent: base, branch: "main", message: "x", identity: GitIdentity(name: "S", email: "s@example.com"),
            touching: "manifests/other.yaml")
        let wrong = Self.token()
        try wrong.write(toFile: tokenFile, atomically: true, encoding: .utf8)
        let error = await gitError { try await source.push(branch: "main") }
        let failure = try #require(error)
        #expect(failure.code == .authentication, "\(failure)")
        #expect(failure.message.hasPrefix("cannot push main to \(remote.server.url()): the remote refused the token in \(tokenFile)"), "\(failure)")
        #expect(!failure.description.contains(wrong))
        #expect(!failure.description.contains(token))
        #expect(try remote.repository.git(["rev-parse", "main"]) == remote.first, "nothing was pushed")
        #expect(try remote.server.requests().contains { $0.path.contains("git-receive-pack") && $0.authorization == .wrong })
    }
}
