/// Reads an `artifact:` text into an ``ArtifactReference``. Kept apart from the enum so the
/// rules (which schemes, which characters) are in one place and the enum stays a value.
///
/// The text is untrusted (anyone can open a pull request), so every reason quotes it only
/// after it is known to be short printable ASCII, and an https URL only in its redacted form.
enum ArtifactReferenceParser {
    /// Schemes a cluster runtime fetches itself (KServe's storage initializer): passed on by
    /// the Kubernetes backend, not fetched by Sluice.
    static let clusterOnlySchemes: Set<String> = ["pvc", "gs", "hf", "oci"]
    /// The longest artifact text read; S3 keys stop at 1024 bytes and URLs rarely pass 2000.
    static let maxLength = 2048
    /// What the messages offer instead of an unknown scheme.
    static let supportedForms = "a path in the repository, s3://BUCKET/KEY, https://HOST/PATH, models:/NAME/VERSION, or (kubernetes backend only) gs://, hf://, pvc://"

    static func parse(_ text: String) -> ArtifactReference {
        if let problem = textProblem(text) { return .unsupported(text: text, reason: problem) }
        if text.hasPrefix("models:") { return mlflow(text) }
        guard let scheme = PathRules.remoteScheme(of: text) else { return path(text) }
        if let problem = PathRules.artifactProblem(text) { return .unsupported(text: text, reason: problem) }
        guard scheme == scheme.lowercased() else {
            return .unsupported(text: text, reason: "write the scheme '\(scheme)' in lowercase: \(scheme.lowercased())://")
        }
        let rest = text.dropFirst(scheme.count + 3)
        switch scheme {
        case "s3": return s3(text, rest)
        case "https": return https(text, rest)
        case "http":
            return .unsupported(
                text: text,
                reason: "'\(ArtifactRedaction.display(text))' is plain http, which lets anything on the path swap the model; use https://")
        case let other where clusterOnlySchemes.contains(other):
            let authority = rest.prefix { $0 != "/" }
            if authority.isEmpty {
                return .unsupported(text: text, reason: "'\(text)' names nothing after \(other)://; write \(other)://\(other == "pvc" ? "CLAIM" : other == "hf" ? "ORG" : "BUCKET")/PATH")
            }
            if authority.contains("@") {
                return .unsupported(text: text, reason: "'\(ArtifactRedaction.display(text))' carries user info before the host; credentials never go in a manifest")
            }
            return .clusterOnly(scheme: other, uri: text)
        default:
            return .unsupported(text: text, reason: "the scheme '\(scheme)' is not supported; use \(supportedForms)")
        }
    }

    /// Checks made before any rule quotes the text: its length, and characters that are not
    /// printable ASCII (control characters, bidirectional overrides, look-alike letters).
    static func textProblem(_ text: String) -> String? {
        if text.isEmpty { return "the artifact is empty; use \(supportedForms)" }
        if text.utf8.count > maxLength { return "the artifact is \(text.utf8.count) bytes long; at most \(maxLength) are read" }
        if let bad = text.unicodeScalars.first(where: { $0.value < 0x20 || $0.value >= 0x7F }) {
            return "the artifact contains \(PathRules.describe(bad)); artifact paths and URIs hold only printable ASCII"
        }
        return nil
    }

    /// A path in the repository: a file, or a directory when written with a trailing `/`.
    static func path(_ text: String) -> ArtifactReference {
        if let problem = PathRules.artifactProblem(text) {
            // `s3:bucket/x` or `MODELS:/x`: a URI written wrong, not a path with a colon.
            if let scheme = PathRules.uriScheme(text, requireSlashes: false), !scheme.isEmpty {
                return .unsupported(text: text, reason: "'\(text)' is neither a path (':' is not allowed) nor a URI (write \(scheme.lowercased())://…); use \(supportedForms)")
            }
            return .unsupported(text: text, reason: problem)
        }
        if text.hasSuffix("/") { return .repositoryDirectory(path: String(text.dropLast())) }
        return .repositoryFile(path: text)
    }

    /// `s3://bucket/key`: the bucket follows S3's naming rules; the key has no empty, `.` or
    /// `..` segment (a trailing `/` makes it a prefix) and at most 1024 bytes.
    static func s3(_ text: String, _ rest: Substring) -> ArtifactReference {
        let bucket = rest.prefix { $0 != "/" }
        var key = rest.dropFirst(bucket.count)
        if key.first == "/" { key = key.dropFirst() }
        if bucket.contains("@") {
            return .unsupported(text: text, reason: "'\(ArtifactRedaction.display(text))' carries user info before the bucket; credentials never go in a manifest")
        }
        if let problem = bucketProblem(bucket) { return .unsupported(text: text, reason: problem) }
        if key.utf8.count > 1024 { return .unsupported(text: text, reason: "the S3 key is \(key.utf8.count) bytes long; S3 keys hold at most 1024") }
        let segments = key.split(separator: "/", omittingEmptySubsequences: false)
        let inner: ArraySlice<Substring> = key.isEmpty ? [] : (key.hasSuffix("/") ? segments.dropLast() : segments[...])
        if inner.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." }) {
            return .unsupported(text: text, reason: "the S3 key '\(key)' has an empty, '.' or '..' segment")
        }
        return .s3(bucket: String(bucket), key: String(key))
    }

    /// S3's bucket naming rules: 3 to 63 lowercase letters, digits, dots and hyphens, starting
    /// and ending with a letter or digit, no `..`, not an IPv4 address.
    static func bucketProblem(_ bucket: Substring) -> String? {
        let rule = "3 to 63 lowercase letters, digits, '.' and '-', starting and ending with a letter or digit"
        guard (3...63).contains(bucket.count),
            bucket.unicodeScalars.allSatisfy({ $0.isLowercaseAlphanumeric || $0 == "." || $0 == "-" }),
            let first = bucket.unicodeScalars.first, let last = bucket.unicodeScalars.last,
            first.isLowercaseAlphanumeric, last.isLowercaseAlphanumeric
        else { return "'\(bucket)' is not an S3 bucket name: \(rule)" }
        if bucket.contains("..") || bucket.contains(".-") || bucket.contains("-.") {
            return "'\(bucket)' is not an S3 bucket name: no '..', '.-' or '-.'"
        }
        let octets = bucket.split(separator: ".", omittingEmptySubsequences: false)
        if octets.count == 4, octets.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isNumber) }) {
            return "'\(bucket)' is not an S3 bucket name: it is formatted as an IP address"
        }
        return nil
    }

    /// `https://host[:port]/path`: no user info, a DNS host, a port in range, a path naming a
    /// file (not `/`-terminated), well-formed `%` escapes and no `.` or `..` segments.
    static func https(_ text: String, _ rest: Substring) -> ArtifactReference {
        let shown = ArtifactRedaction.display(text)
        let authority = rest.prefix { $0 != "/" }
        let path = rest.dropFirst(authority.count)
        if authority.contains("@") {
            return .unsupported(text: text, reason: "'\(shown)' carries user info before the host; credentials never go in a manifest")
        }
        var host = authority
        if let colon = authority.lastIndex(of: ":") {
            host = authority[..<colon]
            let port = authority[authority.index(after: colon)...]
            guard (1...5).contains(port.count), port.allSatisfy(\.isASCIIDigit), port.first != "0", let number = Int(port), (1...65535).contains(number) else {
                return .unsupported(text: text, reason: "'\(shown)' has the port '\(port)'; a port is a number from 1 to 65535")
            }
        }
        if host.isEmpty { return .unsupported(text: text, reason: "'\(shown)' names no host; write https://HOST/PATH") }
        if let problem = hostProblem(host) { return .unsupported(text: text, reason: "'\(shown)': \(problem)") }
        if path.count <= 1 { return .unsupported(text: text, reason: "'\(shown)' names no file; write https://HOST/PATH") }
        if path.hasSuffix("/") {
            return .unsupported(text: text, reason: "'\(shown)' ends in '/'; an https artifact is one file, or an archive (.tar.gz, .tgz, .zip) unpacked into a directory")
        }
        if !percentEscapesAreWellFormed(path) {
            return .unsupported(text: text, reason: "'\(shown)' has a '%' not followed by two hex digits")
        }
        let segments = path.dropFirst().split(separator: "/", omittingEmptySubsequences: false)
        if segments.contains(where: { [".", "..", "%2e", "%2e%2e", ".%2e", "%2e."].contains($0.lowercased()) }) {
            return .unsupported(text: text, reason: "'\(shown)' has a '.' or '..' segment; write the path as the server should see it")
        }
        return .https(url: text)
    }

    /// A DNS name (labels of letters, digits and inner hyphens) or an IPv4 address.
    static func hostProblem(_ host: Substring) -> String? {
        let labels = host.split(separator: ".", omittingEmptySubsequences: false)
        let isLabel: (Substring) -> Bool = { label in
            guard (1...63).contains(label.count), label.first != "-", label.last != "-" else { return false }
            return label.unicodeScalars.allSatisfy { $0.isASCIIAlphanumeric || $0 == "-" }
        }
        guard host.count <= 253, labels.allSatisfy(isLabel) else {
            return "'\(host)' is not a host name: labels of letters, digits and '-' separated by '.'"
        }
        return nil
    }

    static func percentEscapesAreWellFormed(_ text: Substring) -> Bool {
        var remaining = text[...]
        while let percent = remaining.firstIndex(of: "%") {
            let digits = remaining[remaining.index(after: percent)...].prefix(2)
            guard digits.count == 2, digits.allSatisfy(\.isHexDigit) else { return false }
            remaining = remaining[digits.endIndex...]
        }
        return true
    }

    /// `models:/NAME/VERSION` or `models:/NAME@ALIAS` (MLflow's model URI forms). Names start
    /// with a letter or digit (so `..` is no name); versions are plain positive numbers.
    static func mlflow(_ text: String) -> ArtifactReference {
        let usage = "write models:/NAME/VERSION (a version number) or models:/NAME@ALIAS"
        guard text.hasPrefix("models:/"), !text.hasPrefix("models://") else {
            return .unsupported(text: text, reason: "'\(text)' is not an MLflow model URI; \(usage)")
        }
        let body = text.dropFirst("models:/".count)
        if let at = body.firstIndex(of: "@") {
            let name = body[..<at], alias = body[body.index(after: at)...]
            guard isName(name), isName(alias), !alias.contains(".") else {
                return .unsupported(text: text, reason: "'\(text)': a model name holds letters, digits, '.', '_' and '-' and an alias letters, digits, '_' and '-', each starting with a letter or digit; \(usage)")
            }
            return .mlflow(name: String(name), selector: .alias(String(alias)))
        }
        let parts = body.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, isName(parts[0]) else {
            return .unsupported(text: text, reason: "'\(text)': a model name holds letters, digits, '.', '_' and '-', starting with a letter or digit; \(usage)")
        }
        let version = parts[1]
        guard (1...9).contains(version.count), version.allSatisfy(\.isASCIIDigit), version.first != "0", let number = Int(version) else {
            let moving = ["latest", "production", "staging", "champion"].contains(version.lowercased())
            let hint = moving ? "; stages and 'latest' move: pin a version number, or use an alias with digest:" : ""
            return .unsupported(text: text, reason: "'\(version)' is not a model version number (1, 2, …)\(hint); \(usage)")
        }
        return .mlflow(name: String(parts[0]), selector: .version(number))
    }

    /// An MLflow model name or alias: 1 to 256 of letters, digits, `.`, `_`, `-`, starting
    /// with a letter or digit.
    static func isName(_ text: Substring) -> Bool {
        guard (1...256).contains(text.count), let first = text.unicodeScalars.first, first.isASCIIAlphanumeric else { return false }
        return text.unicodeScalars.allSatisfy { $0.isASCIIAlphanumeric || $0 == "." || $0 == "_" || $0 == "-" }
    }
}

extension Character {
    /// `0`-`9` only (not other scripts' digits, which `isNumber` accepts).
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}
