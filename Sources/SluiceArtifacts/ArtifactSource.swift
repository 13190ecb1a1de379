import NIOCore
import SluiceCore

/// One place artifacts are fetched from (S3, HTTPS, an MLflow registry). A source only
/// resolves and streams bytes: caching, digests, retries and unpacking belong to
/// ``ArtifactFetcher`` and ``ArtifactCache``, so every source gets them the same way.
///
/// Everything a source receives from its server is hostile: listed paths are checked with
/// ``ResolvedArtifact/File/checkedPath(_:)`` and sizes are bounded by the caller's limits.
public protocol ArtifactSource: Sendable {
    /// What `reference` names now: one file, or every file of a directory, each with the size
    /// the server reports. Throws ``ArtifactFetchError`` (`.notFound` for nothing there).
    func resolve(_ reference: ArtifactReference) async throws -> ResolvedArtifact

    /// Streams `file` into `sink` from byte `offset` (0, or where an interrupted download
    /// stopped). A source that cannot start mid-file answers from 0 and says so by calling
    /// `sink.restart()` first. Returns once the last byte is written.
    func download(_ file: ResolvedArtifact.File, from offset: Int64, into sink: any ArtifactSink) async throws

    /// Releases what the source holds of its own (an HTTP client with its own TLS settings).
    func shutdown() async throws
}

extension ArtifactSource {
    /// Most sources use the client they were given and hold nothing of their own.
    public func shutdown() async throws {}
}

/// Where a download's bytes go: the cache's file, hashed as written.
public protocol ArtifactSink: Sendable {
    /// Appends `bytes`.
    func write(_ bytes: ByteBuffer) async throws
    /// Drops what was written so far: the source answers from the first byte after all.
    func restart() async throws
}

/// What a reference resolved to at one moment.
public struct ResolvedArtifact: Sendable, Hashable {
    /// The reference as the manifest wrote it.
    public var reference: ArtifactReference
    /// The files to download. A single-file artifact has one file with path "".
    public var files: [File]
    /// Set when the one file is an archive that is unpacked into a directory.
    public var archive: ArchiveFormat?
    /// What identifies this content at the source without downloading it (ETags and sizes,
    /// an MLflow run's artifact URI): equal fingerprints let the cache reuse an unpinned
    /// artifact fetched before. Nil when the source offers nothing trustworthy.
    public var fingerprint: String?

    public init(reference: ArtifactReference, files: [File], archive: ArchiveFormat? = nil, fingerprint: String? = nil) {
        self.reference = reference
        self.files = files
        self.archive = archive
        self.fingerprint = fingerprint
    }

    /// True when the result is a directory (several files, a prefix, or an archive).
    public var isDirectory: Bool { archive != nil || reference.isDirectory }

    /// One file to download.
    public struct File: Sendable, Hashable {
        /// Path inside the artifact's directory ("" for a single-file artifact).
        public var path: String
        /// Where the source reads it (an object key, a URL, an MLflow artifact path).
        public var location: String
        /// Size the server reported, when it did.
        public var size: Int64?
        /// ETag or version id, when the server gave one (sent as If-Match on resume).
        public var etag: String?

        public init(path: String, location: String, size: Int64? = nil, etag: String? = nil) {
            self.path = path
            self.location = location
            self.size = size
            self.etag = etag
        }

        /// `path` when it is a safe relative path inside the artifact (no `..`, no leading `/`,
        /// no empty segment, no control character); otherwise throws `.unsafePath`.
        public static func checkedPath(_ path: String) throws -> String {
            if path.isEmpty || path.hasPrefix("/") || path.contains("\\")
                || path.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F })
                || path.split(separator: "/", omittingEmptySubsequences: false).contains(where: { $0.isEmpty || $0 == "." || $0 == ".." })
            {
                throw ArtifactFetchError(.unsafePath, "the source listed '\(ArtifactFetchError.printable(path))', which is not a safe relative path; nothing was written")
            }
            return path
        }
    }
}
