import SluiceCore
import Testing
@testable import SluiceController

/// Revisions linked to their commits: only for remotes that parse as a known host's
/// repository, built from the checked host and path alone.
@Suite("dashboard commit links", .timeLimit(.minutes(10)))
struct DashboardCommitLinkTests {
    static let sha = "0123456789abcdef0123456789abcdef01234567"

    @Test("GitHub and GitLab remotes, https, ssh and scp-like, self-hosted too, link to the commit")
    func knownHosts() throws {
        let cases: [(String, String)] = [
            ("https://github.com/acme/models.git", "https://github.com/acme/models/commit/\(Self.sha)"),
            ("https://github.com/acme/models", "https://github.com/acme/models/commit/\(Self.sha)"),
            ("https://github.com/acme/models/", "https://github.com/acme/models/commit/\(Self.sha)"),
            ("git@github.com:acme/models.git", "https://github.com/acme/models/commit/\(Self.sha)"),
            ("ssh://git@github.com:22/acme/models.git", "https://github.com/acme/models/commit/\(Self.sha)"),
            ("https://gitlab.com/acme/ml/models.git", "https://gitlab.com/acme/ml/models/-/commit/\(Self.sha)"),
            ("git@gitlab.example.org:acme/models.git", "https://gitlab.example.org/acme/models/-/commit/\(Self.sha)"),
            ("https://gitlab.internal:8443/acme/models", "https://gitlab.internal:8443/acme/models/-/commit/\(Self.sha)"),
            ("https://github.example.com/acme/models.git", "https://github.example.com/acme/models/commit/\(Self.sha)"),
            ("http://gitlab.lan/acme/models", "http://gitlab.lan/acme/models/-/commit/\(Self.sha)"),
        ]
        for (remote, expected) in cases {
            let link = try #require(DashboardCommitLink(remote: remote), "\(remote)")
            #expect(link.url(for: Self.sha) == expected, "\(remote)")
        }
        let html = DashboardCommitLink.html(Self.sha, link: DashboardCommitLink(remote: "https://github.com/acme/models.git"))
        #expect(html == "<a href=\"https://github.com/acme/models/commit/\(Self.sha)\" rel=\"noopener noreferrer\"><code title=\"\(Self.sha)\">0123456789ab</code></a>")
    }

    @Test("user-info never reaches the link")
    func userInfoDropped() throws {
        for remote in ["https://x-access-token:s3cret@github.com/acme/models.git", "https://s3cret@gitlab.com/acme/models", "ssh://s3cret@github.com/acme/models"] {
            let url = try #require(DashboardCommitLink(remote: remote)?.url(for: Self.sha), "\(remote)")
            #expect(!url.contains("s3cret"), "\(url)")
            #expect(!url.contains("@"))
        }
    }

    @Test("local paths, unknown hosts and hostile remotes get no link, only the escaped short SHA")
    func hostileRemotes() {
        let remotes = [
            "/srv/git/models", "./models", "file:///srv/git/models", "https://example.com/acme/models", "git@bitbucket.org:acme/models.git",
            "javascript:alert(1)//github.com/a/b", "javascript://github.com/a/b%0aalert(1)", "https://github.com/acme", "https://github.com/a/b/c",
            "https://github.com/acme/\"><script>alert(1)</script>", "https://github.com/../../evil", "https://github.com/acme/models?x=1",
            "https://github.com/acme/models#frag", "https://github.com/acme/ models", "https://github.com:99999/acme/models",
            "https://git hub.com/acme/models", "https://github.com\u{0}/acme/models", "https://gitlab.com/acme/%2e%2e/models", "",
            "data:text/html,github.com/a/b", "git@:acme/models", "https://.github.com/acme/models",
        ]
        for remote in remotes {
            #expect(DashboardCommitLink(remote: remote) == nil, "\(remote)")
        }
        let link = DashboardCommitLink(remote: "https://github.com/acme/models")
        #expect(link?.url(for: "\"><script>") == nil, "a revision that is not hex is never put in a link")
        #expect(link?.url(for: "main") == nil)
        let html = DashboardCommitLink.html("\"><script>alert(1)</script>", link: link)
        #expect(!html.contains("<a") && !html.contains("<script>"))
        #expect(DashboardCommitLink.html(Self.sha, link: nil) == "<code title=\"\(Self.sha)\">0123456789ab</code>")
    }

    @Test("the models page links a model's revision when the remote is on a known host")
    func modelsPageLinks() {
        var state = RolloutState(name: "fraud", now: 0)
        state.appliedRevision = Self.sha
        let page = DashboardPages.models([state], error: nil, csrf: nil, link: DashboardCommitLink(remote: "git@github.com:acme/models.git"))
        #expect(page.contains("<a href=\"https://github.com/acme/models/commit/\(Self.sha)\""))
        let plain = DashboardPages.models([state], error: nil, csrf: nil, link: DashboardCommitLink(remote: "/srv/git/models"))
        #expect(!plain.contains("<a href=\"http"))
        #expect(plain.contains("0123456789ab"))
    }
}
