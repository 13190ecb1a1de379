import Crypto

/// The digest of a directory artifact, defined once so users can pin it
/// (`sluice artifact digest PATH|URI` prints it):
///
///     sha256( "sluice-directory-v1\n" + for each regular file, sorted by its path's UTF-8 bytes:
///             "<sha256 hex of the file> <size in bytes> <path relative to the directory>\n" )
///
/// Paths use `/`, never start with `/` or `./`, and hold no `..`; empty directories add
/// nothing; symbolic links and other non-regular files are refused before this is computed.
/// File modes and times are not part of it, so the same files fetched from S3, MLflow, an
/// archive or a git tree have the same digest.
public enum DirectoryDigest {
    /// The first line of the listing: the version of this definition.
    public static let header = "sluice-directory-v1\n"

    /// One regular file of the directory.
    public struct Entry: Sendable, Hashable {
        /// Relative path, `/`-separated.
        public var path: String
        /// Size in bytes.
        public var size: Int64
        /// Lowercase hex sha256 of its content.
        public var sha256: String

        public init(path: String, size: Int64, sha256: String) {
            self.path = path
            self.size = size
            self.sha256 = sha256
        }
    }

    /// The text that is hashed: the header and one line per entry, in path order.
    public static func listing(_ entries: [Entry]) -> String {
        let sorted = entries.sorted { Array($0.path.utf8).lexicographicallyPrecedes(Array($1.path.utf8)) }
        return header + sorted.map { "\($0.sha256) \($0.size) \($0.path)\n" }.joined()
    }

    /// The directory's digest (`sha256:<hex>`).
    public static func digest(_ entries: [Entry]) -> Digest {
        Digest(algorithm: .sha256, hex: SHA256.hexDigest(of: Array(listing(entries).utf8)))
    }
}
