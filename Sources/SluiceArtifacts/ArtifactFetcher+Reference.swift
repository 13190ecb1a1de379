import Crypto
import SluiceCore

extension ArtifactReference {
    /// The reference as one text: the key of its fingerprint record and of its partial
    /// downloads. It may hold a presigned URL's query: hashed or redacted, never shown.
    var cacheText: String {
        switch self {
        case .repositoryFile(let path), .repositoryDirectory(let path): return path
        case .s3(let bucket, let key): return "s3://\(bucket)/\(key)"
        case .https(let url): return url
        case .mlflow(let name, .version(let version)): return "models:/\(name)/\(version)"
        case .mlflow(let name, .alias(let alias)): return "models:/\(name)@\(alias)"
        case .clusterOnly(_, let uri): return uri
        case .unsupported(let text, _): return text
        }
    }

    /// How messages and logs name the reference (``ArtifactRedaction``).
    var displayText: String { ArtifactRedaction.display(cacheText) }

    /// The sha256 hex of ``cacheText``: a name for files about this reference.
    var cacheKey: String { SHA256.hexDigest(of: Array(cacheText.utf8)) }
}

extension ResolvedArtifact.File {
    /// The name of this file's partial download: the reference, the path and the ETag
    /// together, so a changed object never resumes onto another's bytes.
    func partialKey(reference: String) -> String {
        SHA256.hexDigest(of: Array("\(reference)\n\(path)\n\(etag ?? "")".utf8))
    }
}

extension SluiceCore.Digest {
    /// The digest with lowercase `hex` computed here (always well formed).
    static func computed(_ algorithm: Algorithm, _ hex: String) -> SluiceCore.Digest {
        guard let digest = parse("\(algorithm.rawValue):\(hex)").value else { preconditionFailure("a computed \(algorithm) digest is malformed") }
        return digest
    }
}
