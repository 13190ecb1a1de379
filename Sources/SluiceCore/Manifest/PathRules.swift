/// Rules that keep paths named in manifests inside the repository.
///
/// Manifests are pure data reviewed in pull requests; a path that could leave the repository
/// (`../../etc/passwd`, `/root/.ssh/id_rsa`, `file:///`) would let a manifest read the host.
public enum PathRules {
    /// The problem with an artifact reference, or nil: a repository-relative path or a remote URI.
    ///
    /// Artifact names are also kept to characters no shell gives a meaning to: a runtime's
    /// command may run through `sh -c`, and a name such as `b$(touch x).json` must never get
    /// near one (the controller names materialized files by content anyway; this makes the
    /// refusal visible in review, at the line that wrote it).
    public static func artifactProblem(_ text: String) -> String? {
        if let scheme = uriScheme(text) {
            if scheme.lowercased() == "file" {
                return "file:// URIs can point outside the repository; use a path relative to the repository root"
            }
            if let bad = text.unicodeScalars.first(where: { !isURICharacter($0) }) {
                return "the URI contains \(describe(bad)); artifact URIs may hold only \(uriCharacters)"
            }
            return nil
        }
        if let problem = relativePathProblem(text) { return problem }
        if let bad = text.unicodeScalars.first(where: { !isPathCharacter($0) }) {
            return "'\(text)' contains \(describe(bad)); artifact paths may hold only \(pathCharacters)"
        }
        if text.split(separator: "/").contains(where: { $0.hasPrefix("-") }) {
            return "'\(text)' has a segment starting with '-', which a command would take for an option"
        }
        return nil
    }

    /// The characters an artifact path may hold, as the messages and the schema say it.
    public static let pathCharacters = "ASCII letters, digits, '.', '_', '-', '+' and '/' (no spaces, quotes or shell characters such as $ ` ; & | ( ) * ?)"
    /// The characters an artifact URI may hold.
    public static let uriCharacters = "ASCII letters, digits and - . _ ~ : / @ % + = , (no spaces, quotes or shell characters)"

    static func isPathCharacter(_ scalar: Unicode.Scalar) -> Bool {
        scalar.isASCIIAlphanumeric || scalar == "." || scalar == "_" || scalar == "-" || scalar == "+" || scalar == "/"
    }

    static func isURICharacter(_ scalar: Unicode.Scalar) -> Bool {
        isPathCharacter(scalar) || "~:@%=,".unicodeScalars.contains(scalar)
    }

    /// A character named so that an invisible one is still seen: `'$'`, `a space`, `U+00A0`.
    static func describe(_ scalar: Unicode.Scalar) -> String {
        if scalar == " " { return "a space" }
        if scalar.value < 0x21 || scalar.value >= 0x7F { return "U+" + String(scalar.value, radix: 16, uppercase: true).leftPadded(to: 4) }
        return "'\(scalar)'"
    }

    /// The problem with a repository-relative file path, or nil.
    public static func repositoryPathProblem(_ text: String) -> String? {
        if uriScheme(text, requireSlashes: false) != nil {
            return "'\(text)' is a URI, not a file in the repository"
        }
        return relativePathProblem(text)
    }

    /// The path's segments after dropping `.` and empty ones, when it is a safe relative path.
    public static func normalizedSegments(_ text: String) -> [Substring]? {
        guard relativePathProblem(text) == nil else { return nil }
        return text.split(separator: "/").filter { $0 != "." }
    }

    static func relativePathProblem(_ text: String) -> String? {
        if text.isEmpty { return "the path is empty" }
        if text.hasPrefix("/") { return "'\(text)' is an absolute path; paths are relative to the repository root" }
        if text.hasPrefix("~") { return "'\(text)' refers to a home directory; paths are relative to the repository root" }
        if text.contains("\\") { return "'\(text)' contains a backslash; use '/' between path segments" }
        if text.unicodeScalars.contains(where: { $0.value < 0x20 }) { return "the path contains a control character" }
        if text.split(separator: "/", omittingEmptySubsequences: false).contains("..") {
            return "'\(text)' contains '..'; paths may not leave the repository"
        }
        if text.split(separator: "/").allSatisfy({ $0 == "." }) { return "'\(text)' names no file" }
        return nil
    }

    /// The scheme of a remote artifact URI (`s3` for `s3://bucket/model`), nil for a path in the repository.
    public static func remoteScheme(of artifact: String) -> String? {
        uriScheme(artifact)
    }

    /// `s3` for `s3://bucket/x`; nil when the text does not start with `scheme://` (or `file:`;
    /// any `scheme:` when `requireSlashes` is false).
    static func uriScheme(_ text: String, requireSlashes: Bool = true) -> String? {
        guard let colon = text.firstIndex(of: ":") else { return nil }
        let scheme = text[..<colon]
        guard let first = scheme.unicodeScalars.first, first.properties.isAlphabetic, first.isASCII,
            scheme.unicodeScalars.allSatisfy({ $0.isASCIIAlphanumeric || $0 == "+" || $0 == "-" || $0 == "." })
        else { return nil }
        let rest = text[colon...]
        if !requireSlashes || rest.hasPrefix("://") || scheme.lowercased() == "file" { return String(scheme) }
        return nil
    }
}

extension String {
    /// The string with leading zeros up to `width` characters.
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
