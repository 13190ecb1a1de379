/// Reads an `artifact:` text into an ``ArtifactReference``. Kept apart from the enum so the
/// rules (which schemes, which characters) are in one place and the enum stays a value.
enum ArtifactReferenceParser {
    /// Schemes a cluster runtime fetches itself (KServe's storage initializer): passed on by
    /// the Kubernetes backend, not fetched by Sluice.
    static let clusterOnlySchemes: Set<String> = ["pvc", "gs", "hf"]

    static func parse(_ text: String) -> ArtifactReference {
        if text.hasPrefix("models:") { return mlflow(text) }
        guard let scheme = PathRules.remoteScheme(of: text)?.lowercased() else {
            if let problem = PathRules.artifactProblem(text) { return .unsupported(text: text, reason: problem) }
            if text.hasSuffix("/") { return .repositoryDirectory(path: String(text.dropLast())) }
            return .repositoryFile(path: text)
        }
        if let problem = PathRules.artifactProblem(text) { return .unsupported(text: text, reason: problem) }
        let rest = String(text.dropFirst(scheme.count + 3))
        switch scheme {
        case "s3": return s3(text, rest)
        case "https":
            guard let host = rest.split(separator: "/", omittingEmptySubsequences: false).first, !host.isEmpty else {
                return .unsupported(text: text, reason: "'\(text)' names no host; write https://HOST/PATH")
            }
            return .https(url: text)
        case "http":
            return .unsupported(text: text, reason: "'\(text)' is plain http, which lets anything on the path swap the model; use https://")
        case let other where clusterOnlySchemes.contains(other):
            return .clusterOnly(scheme: other, uri: text)
        default:
            return .unsupported(text: text, reason: "the scheme '\(scheme)' is not supported; use a path in the repository, s3://, https:// or models:/")
        }
    }

    /// `s3://bucket/key`: the bucket follows S3's naming rules (3-63 lowercase letters, digits,
    /// dots and hyphens); the key has no empty, `.` or `..` segment.
    static func s3(_ text: String, _ rest: String) -> ArtifactReference {
        let bucket = rest.prefix { $0 != "/" }
        let key = rest.dropFirst(bucket.count).drop { $0 == "/" }
        guard (3...63).contains(bucket.count),
            bucket.unicodeScalars.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "." || $0 == "-" })
        else {
            return .unsupported(text: text, reason: "'\(bucket)' is not an S3 bucket name: 3 to 63 lowercase letters, digits, '.' and '-'")
        }
        let segments = key.split(separator: "/", omittingEmptySubsequences: false)
        if segments.dropLast().contains(where: { $0.isEmpty || $0 == "." || $0 == ".." }) || segments.last == "." || segments.last == ".." {
            return .unsupported(text: text, reason: "the S3 key '\(key)' has an empty, '.' or '..' segment")
        }
        return .s3(bucket: String(bucket), key: String(key))
    }

    /// `models:/NAME/VERSION` or `models:/NAME@ALIAS` (MLflow's model URI forms).
    static func mlflow(_ text: String) -> ArtifactReference {
        let usage = "write models:/NAME/VERSION (a version number) or models:/NAME@ALIAS"
        guard text.hasPrefix("models:/"), !text.hasPrefix("models://") else {
            return .unsupported(text: text, reason: "'\(text)' is not an MLflow model URI; \(usage)")
        }
        let body = text.dropFirst("models:/".count)
        let isNameCharacter: (Character) -> Bool = { $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) }
        if let at = body.firstIndex(of: "@") {
            let name = body[..<at], alias = body[body.index(after: at)...]
            guard !name.isEmpty, name.allSatisfy(isNameCharacter), !alias.isEmpty, alias.allSatisfy(isNameCharacter) else {
                return .unsupported(text: text, reason: "'\(text)': names and aliases hold letters, digits, '.', '_' and '-'; \(usage)")
            }
            return .mlflow(name: String(name), selector: .alias(String(alias)))
        }
        let parts = body.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[0].allSatisfy(isNameCharacter) else {
            return .unsupported(text: text, reason: "'\(text)' \(usage)")
        }
        guard let version = Int(parts[1]), version > 0, parts[1].allSatisfy(\.isASCII) else {
            return .unsupported(text: text, reason: "'\(parts[1])' is not a model version number; \(usage)")
        }
        return .mlflow(name: String(parts[0]), selector: .version(version))
    }
}
