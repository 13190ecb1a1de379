/// What a version's `artifact:` names, parsed once: a file or a directory in the git
/// repository, or a place outside it that Sluice (or a cluster runtime) fetches from.
///
/// The text in the manifest stays the identity reviewers see; this is its typed reading.
/// Parsing never fails: text that is neither a safe path nor a supported URI is
/// `.unsupported`, with the reason `validate` reports (``problem``).
public enum ArtifactReference: Sendable, Hashable {
    /// A file in the repository (`models/iris.joblib`).
    case repositoryFile(path: String)
    /// A directory in the repository (`models/iris-v2/`, written with a trailing slash).
    case repositoryDirectory(path: String)
    /// An S3 object (`s3://bucket/key`), or every object under a prefix when `key` ends in `/`.
    case s3(bucket: String, key: String)
    /// A file over HTTPS; an archive (`.tar.gz`, `.tgz`, `.zip`) is unpacked into a directory.
    case https(url: String)
    /// A model version in an MLflow registry: `models:/NAME/VERSION` or `models:/NAME@ALIAS`.
    case mlflow(name: String, selector: MLflowSelector)
    /// A URI only a cluster runtime reads (`pvc://`, `gs://`, `hf://`): passed on by the
    /// Kubernetes backend, refused by the local one.
    case clusterOnly(scheme: String, uri: String)
    /// Text that names nothing Sluice can fetch; `reason` says why.
    case unsupported(text: String, reason: String)

    /// How an MLflow reference picks a version.
    public enum MLflowSelector: Sendable, Hashable {
        /// A version number: immutable once registered.
        case version(Int)
        /// An alias (`@champion`): moves when someone re-points it, so it must be pinned.
        case alias(String)
    }

    /// Reads `text` as written in a manifest.
    public static func parse(_ text: String) -> ArtifactReference {
        ArtifactReferenceParser.parse(text)
    }

    /// The problem `validate` reports for this reference, or nil when Sluice can use it.
    public var problem: String? {
        if case .unsupported(_, let reason) = self { return reason }
        return nil
    }

    /// True when the same text can name different bytes tomorrow (an S3 key, an https URL, an
    /// MLflow alias): GitOps wants such a reference pinned by `digest:`. A path in git is
    /// pinned by the commit; an MLflow version number by the registry.
    public var isMutable: Bool {
        switch self {
        case .repositoryFile, .repositoryDirectory, .unsupported: return false
        case .mlflow(_, .version): return false
        case .s3, .https, .mlflow(_, .alias), .clusterOnly: return true
        }
    }

    /// True when the artifact is materialized as a directory: a git tree, an S3 prefix, an
    /// unpacked archive or an MLflow model (always a directory, MLmodel and its files).
    public var isDirectory: Bool {
        switch self {
        case .repositoryDirectory, .mlflow: return true
        case .s3(_, let key): return key.isEmpty || key.hasSuffix("/")
        case .https(let url): return ArchiveFormat(url: url) != nil
        case .repositoryFile, .clusterOnly, .unsupported: return false
        }
    }

    /// True for a path in the repository (read from the commit), false for anything fetched.
    public var isInRepository: Bool {
        switch self {
        case .repositoryFile, .repositoryDirectory: return true
        default: return false
        }
    }
}

extension ArtifactReference: CustomStringConvertible {
    /// The reference written as a manifest would write it (a directory with its trailing `/`).
    public var text: String {
        switch self {
        case .repositoryFile(let path): return path
        case .repositoryDirectory(let path): return path + "/"
        case .s3(let bucket, let key): return "s3://\(bucket)/\(key)"
        case .https(let url): return url
        case .mlflow(let name, .version(let version)): return "models:/\(name)/\(version)"
        case .mlflow(let name, .alias(let alias)): return "models:/\(name)@\(alias)"
        case .clusterOnly(_, let uri): return uri
        case .unsupported(let text, _): return text
        }
    }

    /// ``text`` as it may be shown in logs and errors (``ArtifactRedaction``).
    public var description: String { ArtifactRedaction.display(text) }
}

/// The archive formats an `https://` artifact may be, named by the URL path's suffix.
public enum ArchiveFormat: String, Sendable, Hashable, Codable {
    case tarGzip = "tar.gz"
    case zip

    /// The format a URL's path ends with (`.tar.gz`, `.tgz`, `.zip`; the query is ignored), or nil.
    public init?(url: String) {
        var path = Substring(url)
        if let query = path.firstIndex(where: { $0 == "?" || $0 == "#" }) { path = path[..<query] }
        let lower = path.lowercased()
        if lower.hasSuffix(".tar.gz") || lower.hasSuffix(".tgz") {
            self = .tarGzip
        } else if lower.hasSuffix(".zip") {
            self = .zip
        } else {
            return nil
        }
    }
}
