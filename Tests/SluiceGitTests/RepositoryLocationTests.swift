import Foundation
import SluiceGit
import Testing

/// `controller.repository` and `--repo` are parsed once into a location; every form, the
/// paths that look like URLs, and what is not a repository at all.
@Suite(.timeLimit(.minutes(10))) struct RepositoryLocationTests {
    /// Parses with no path existing, unless `existing` names it.
    func parse(_ text: String, existing: Set<String> = []) throws(RepositoryLocation.ParseError) -> RepositoryLocation {
        try RepositoryLocation(parsing: text, fileExists: { existing.contains($0) })
    }

    @Test func localPaths() throws {
        for path in [".", "repo", "./repo", "/srv/models", "../up/there", "~/models", "/srv/a:b", "dir/with@at:colon"] {
            let location = try parse(path)
            #expect(location == .local(path: path), "\(path)")
            #expect(!location.isRemote)
            #expect(location.address == path)
            #expect(location.defaultCredentials == .none)
        }
    }

    /// A path on disk stays local even when it reads like `user@host:path`.
    @Test func anExistingPathWithAtAndColonIsLocal() throws {
        #expect(try parse("me@laptop:models", existing: ["me@laptop:models"]) == .local(path: "me@laptop:models"))
        #expect(try parse("models@v2", existing: ["models@v2"]) == .local(path: "models@v2"))
        // Not on disk and with no ':' it is still a path (opening it says there is none).
        #expect(try parse("models@v2") == .local(path: "models@v2"))
    }

    @Test func fileURLs() throws {
        let location = try parse("file:///srv/git/models.git")
        #expect(location == .file(url: "file:///srv/git/models.git"))
        #expect(location.isRemote, "file:// is cloned and fetched like a remote")
        #expect(location.defaultCredentials == .none)
        #expect(try parse("FILE:///srv/x").isRemote, "schemes are case-insensitive")
    }

    @Test func httpsURLs() throws {
        for url in ["https://github.com/org/models.git", "http://127.0.0.1:8080/models.git", "https://[::1]:8443/m.git", "HTTPS://example.com/m"] {
            let location = try parse(url)
            #expect(location == .https(url: url), "\(url)")
            #expect(location.isRemote)
            #expect(location.address == url)
            #expect(location.defaultCredentials == .none, "a token is configured, never guessed")
        }
    }

    @Test func sshURLsAndTheScpForm() throws {
        for url in ["ssh://git@host:22/x", "ssh://host/x.git", "git+ssh://git@host/x", "git@host:org/repo.git", "host:org/repo.git", "deploy@10.0.0.5:/srv/git/m.git"] {
            let location = try parse(url)
            #expect(location == .ssh(url: url), "\(url)")
            #expect(location.isRemote)
            #expect(location.defaultCredentials == .sshAgent)
        }
    }

    /// A password in a URL is kept for libgit2 but never shown.
    @Test func descriptionHidesPasswords() throws {
        let location = try parse("https://bot:hunter2-token@example.com/m.git")
        #expect(location.address == "https://bot:hunter2-token@example.com/m.git")
        #expect(location.description == "https://***@example.com/m.git")
    }

    @Test func emptyAndWhitespaceAreErrors() {
        for text in ["", " ", "\t", "  \n"] {
            #expect(throws: RepositoryLocation.ParseError.self, "\(text.debugDescription)") { try parse(text) }
        }
        #expect(throws: RepositoryLocation.ParseError(
            message: "the repository is empty; expected a local path, an https:// or ssh:// URL, user@host:path, or a file:// URL")) {
            try parse("")
        }
        #expect(throws: RepositoryLocation.ParseError(message: "' repo' starts or ends with whitespace; remove it")) {
            try parse(" repo", existing: [" repo"])
        }
        #expect(throws: RepositoryLocation.ParseError.self) { try parse("https://example.com/m.git\n") }
    }

    @Test func nonsenseIsAClearError() throws {
        let cases: [(String, String)] = [
            ("https://", "'https://' has no host after https://"),
            ("https:///path", "'https:///path' has no host after https://"),
            ("ssh://git@:22/x", "'ssh://***@:22/x' has no host after ssh://"),
            ("file://", "'file://' has no path after file://"),
            ("ftp://example.com/m.git", "'ftp://example.com/m.git' uses the scheme ftp://, which is not supported"),
            ("git://example.com/m.git", "'git://example.com/m.git' uses git://, which neither authenticates the server nor encrypts; use https:// or ssh://"),
            ("git@host:", "'git@host:' has no repository path after ':'"),
            ("@host:repo", "'@host:repo' has no user or host before ':'"),
            ("git@:repo", "'git@:repo' has no user or host before ':'"),
            (":repo", "':repo' has no user or host before ':'"),
            ("repo\u{0}x", "'repo\\0x' contains a control character"),
        ]
        for (text, start) in cases {
            do {
                let location = try parse(text)
                Issue.record("\(text.debugDescription) parsed as \(location)")
            } catch {
                #expect(error.message.hasPrefix(start), "\(text.debugDescription): \(error.message)")
            }
        }
    }

    /// An error about a URL with a password does not repeat the password.
    @Test func errorsHidePasswords() {
        do {
            _ = try parse("ftp://bot:hunter2-token@example.com/m.git")
            Issue.record("ftp:// should be refused")
        } catch {
            #expect(!error.message.contains("hunter2"))
            #expect(error.message.contains("ftp://***@example.com/m.git"))
        }
    }

    /// Without a stand-in, existence is asked of the file system.
    @Test func theDefaultAsksTheFileSystem() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("me@host:repo-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(try RepositoryLocation(parsing: directory.path) == .local(path: directory.path))
        let relative = "me@host:repo-\(UUID().uuidString)"
        #expect(try RepositoryLocation(parsing: relative) == .ssh(url: relative))
    }
}
