import Foundation

/// Links a revision to its commit on the repository's web host, built only from a remote
/// that parses as a known host's repository: `https://host/owner/repo(.git)` (http too),
/// `ssh://user@host/owner/repo(.git)` and `user@host:owner/repo(.git)`, on github.com,
/// gitlab.com, or a self-hosted host whose name says `github` or `gitlab`. The link is
/// assembled from the checked host and path segments alone: user-info, ports of ssh
/// remotes, queries and fragments never reach it, and anything else (a local path, an
/// unknown host, a `javascript:` remote) gets no link, only the short SHA.
struct DashboardCommitLink: Sendable, Hashable {
    enum Host: Sendable, Hashable {
        case github, gitlab
    }

    /// `https://host[:port]/owner/repo`, without `.git`.
    let base: String
    let host: Host

    init?(remote: String) {
        guard !remote.isEmpty, remote.utf8.count <= 2048, remote.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) else { return nil }
        var scheme = "https", authority: Substring, path: Substring
        if let range = remote.range(of: "://") {
            let given = remote[..<range.lowerBound].lowercased()
            guard ["https", "http", "ssh"].contains(given) else { return nil }
            let rest = remote[range.upperBound...]
            let slash = rest.firstIndex(of: "/") ?? rest.endIndex
            authority = rest[..<slash]
            path = rest[slash...].dropFirst()
            if given == "http" { scheme = "http" }
            // user-info is dropped; for ssh the port is ssh's, not the web server's.
            if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
            if given == "ssh", let colon = authority.firstIndex(of: ":") { authority = authority[..<colon] }
        } else if let at = remote.firstIndex(of: "@"), let colon = remote[at...].firstIndex(of: ":"), !remote[..<at].contains("/") {
            // scp-like: git@host:owner/repo.git
            authority = remote[remote.index(after: at)..<colon]
            path = remote[remote.index(after: colon)...]
        } else {
            return nil
        }
        guard let (hostName, port) = Self.hostAndPort(authority) else { return nil }
        if hostName == "github.com" || hostName.split(separator: ".").contains(where: { $0.hasPrefix("github") }) {
            host = .github
        } else if hostName == "gitlab.com" || hostName.split(separator: ".").contains(where: { $0.hasPrefix("gitlab") }) {
            host = .gitlab
        } else {
            return nil
        }
        var segments = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        if segments.last == "" { segments.removeLast() }
        if let last = segments.last, last.hasSuffix(".git") { segments[segments.count - 1] = String(last.dropLast(4)) }
        guard segments.count >= 2, segments.count <= (host == .gitlab ? 20 : 2), segments.allSatisfy(Self.isSafeSegment) else { return nil }
        base = "\(scheme)://\(hostName)\(port.map { ":\($0)" } ?? "")/" + segments.joined(separator: "/")
    }

    /// The commit's page, or nil when `revision` is not a hex object id.
    func url(for revision: String) -> String? {
        guard (7...64).contains(revision.count), revision.unicodeScalars.allSatisfy({ ("0"..."9").contains($0) || ("a"..."f").contains($0) }) else { return nil }
        switch host {
        case .github: return "\(base)/commit/\(revision)"
        case .gitlab: return "\(base)/-/commit/\(revision)"
        }
    }

    /// The revision as HTML: its short SHA in `<code>`, inside a link to the commit when
    /// `link` builds one.
    static func html(_ revision: String?, link: DashboardCommitLink?) -> String {
        guard let revision, !revision.isEmpty else { return "" }
        let code = "<code title=\"\(DashboardHTML.escape(revision))\">\(DashboardHTML.escape(String(revision.prefix(12))))</code>"
        guard let url = link?.url(for: revision) else { return code }
        return "<a href=\"\(DashboardHTML.escape(url))\" rel=\"noopener noreferrer\">\(code)</a>"
    }

    /// A lowercase DNS name (letters, digits, `-`, `.`) and an optional numeric port.
    private static func hostAndPort(_ authority: Substring) -> (String, Int?)? {
        let parts = authority.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        let name = parts[0].lowercased()
        guard !name.isEmpty, name.count <= 253, !name.hasPrefix("."), !name.hasPrefix("-"), name.contains("."),
              name.unicodeScalars.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" || $0 == "." }) else { return nil }
        guard parts.count == 2 else { return (name, nil) }
        guard let port = Int(parts[1]), (1...65535).contains(port), parts[1].allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return (name, port)
    }

    /// An owner, group or repository name: letters, digits, `-`, `_`, `.`, not `.` or `..`.
    private static func isSafeSegment(_ segment: String) -> Bool {
        !segment.isEmpty && segment != "." && segment != ".." && segment.count <= 100
            && segment.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "-" || $0 == "_" || $0 == "." }
    }
}
