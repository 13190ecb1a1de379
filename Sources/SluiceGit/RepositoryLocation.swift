import Foundation

/// Where the manifest repository is, parsed once from the configured string
/// (`controller.repository`, `--repo`): a path opened in place, or a URL fetched into a cache
/// clone. Every "is it remote?" and "which credentials by default?" question asks this.
public enum RepositoryLocation: Sendable, Hashable, CustomStringConvertible {
    /// A local repository, working copy or bare, opened in place.
    case local(path: String)
    /// A `file://` URL: a repository on this machine, cloned and fetched like a remote.
    case file(url: String)
    /// An `https://` URL (or `http://`, for a server on loopback).
    case https(url: String)
    /// An `ssh://` URL or the scp form `user@host:path`.
    case ssh(url: String)

    /// A configured string that names no repository, with what is wrong in it.
    public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        /// What is wrong and what is expected; free of any password in the string.
        public var message: String
        /// The message.
        public var description: String { message }

        /// Creates an error saying `message`.
        public init(message: String) { self.message = message }
    }

    /// The forms accepted, for error messages.
    static let expected = "expected a local path, an https:// or ssh:// URL, user@host:path, or a file:// URL"

    /// Parses `text`. An existing path is local even when it contains `@` or `:`; otherwise
    /// `[user@]host:path` with no `/` before the first `:` is SSH, as git reads it.
    /// - Parameter fileExists: whether a path exists (relative paths as the caller resolves them).
    public init(
        parsing text: String, fileExists: (String) -> Bool = { FileManager.default.fileExists(atPath: $0) }
    ) throws(ParseError) {
        let shown = Redaction.redactURLs(text)
        guard !text.allSatisfy(\.isWhitespace) else {
            throw ParseError(message: "the repository is empty; \(Self.expected)")
        }
        guard text.unicodeScalars.allSatisfy({ $0.properties.generalCategory != .control }) else {
            throw ParseError(message: "'\(shown.debugEscaped)' contains a control character; \(Self.expected)")
        }
        guard text.first?.isWhitespace != true, text.last?.isWhitespace != true else {
            throw ParseError(message: "'\(shown)' starts or ends with whitespace; remove it")
        }
        if let separator = text.range(of: "://"), Self.isScheme(text[..<separator.lowerBound]) {
            self = try Self.url(text, scheme: text[..<separator.lowerBound].lowercased(), rest: text[separator.upperBound...])
            return
        }
        if fileExists(text) {
            self = .local(path: text)
            return
        }
        if let colon = text.firstIndex(of: ":"), !text[..<colon].contains("/") {
            // The scp form: [user@]host:path.
            let authority = text[..<colon]
            let user = authority.lastIndex(of: "@").map { authority[..<$0] }
            let host = authority.lastIndex(of: "@").map { authority[authority.index(after: $0)...] } ?? authority
            guard user?.isEmpty != true, !host.isEmpty else {
                throw ParseError(message: "'\(shown)' has no user or host before ':'; \(Self.expected)")
            }
            guard text.index(after: colon) < text.endIndex else {
                throw ParseError(message: "'\(shown)' has no repository path after ':'; \(Self.expected)")
            }
            self = .ssh(url: text)
            return
        }
        self = .local(path: text)
    }

    /// An RFC 3986 scheme: a letter, then letters, digits, `+`, `-` or `.`.
    private static func isScheme(_ text: Substring) -> Bool {
        guard let first = text.unicodeScalars.first, first.isASCIILetter else { return false }
        return text.unicodeScalars.allSatisfy { $0.isASCIILetter || ("0"..."9").contains($0) || "+-.".unicodeScalars.contains($0) }
    }

    private static func url(_ text: String, scheme: String, rest: Substring) throws(ParseError) -> RepositoryLocation {
        let shown = Redaction.redactURLs(text)
        if scheme == "file" {
            guard !rest.isEmpty else { throw ParseError(message: "'\(shown)' has no path after file://") }
            return .file(url: text)
        }
        if scheme == "git" {
            // The git daemon protocol has no authentication and no encryption: anyone on the
            // path could choose what runs.
            throw ParseError(message: "'\(shown)' uses git://, which neither authenticates the server nor encrypts; use https:// or ssh://")
        }
        guard ["https", "http", "ssh", "git+ssh", "ssh+git"].contains(scheme) else {
            throw ParseError(message: "'\(shown)' uses the scheme \(scheme)://, which is not supported; \(Self.expected)")
        }
        // The host: after any user@ and before any :port or /path.
        let authority = rest.prefix { $0 != "/" }
        let hostAndPort = authority.lastIndex(of: "@").map { authority[authority.index(after: $0)...] } ?? authority
        let host = hostAndPort.hasPrefix("[") ? hostAndPort.prefix { $0 != "]" }.dropFirst() : hostAndPort.prefix { $0 != ":" }
        guard !host.isEmpty else { throw ParseError(message: "'\(shown)' has no host after \(scheme)://") }
        return scheme.hasPrefix("http") ? .https(url: text) : .ssh(url: text)
    }

    /// Whether the repository is fetched into a cache clone (every URL, `file://` included)
    /// rather than opened in place.
    public var isRemote: Bool {
        if case .local = self { return false }
        return true
    }

    /// The path or URL as configured: what libgit2 opens or clones.
    public var address: String {
        switch self {
        case .local(let text), .file(let text), .https(let text), .ssh(let text): text
        }
    }

    /// The credentials used when none are configured: the ssh-agent for SSH, none otherwise.
    public var defaultCredentials: GitCredentials {
        if case .ssh = self { return .sshAgent }
        return .none
    }

    /// The address with any password in a URL replaced by `***`.
    public var description: String { Redaction.redactURLs(address) }
}

extension Unicode.Scalar {
    fileprivate var isASCIILetter: Bool { ("a"..."z").contains(self) || ("A"..."Z").contains(self) }
}

extension String {
    /// Control characters shown as escapes, so an error message stays on one line.
    fileprivate var debugEscaped: String { String(debugDescription.dropFirst().dropLast()) }
}
