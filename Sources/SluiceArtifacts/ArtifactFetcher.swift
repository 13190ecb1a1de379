import Logging
import SluiceConfig
import SluiceCore

/// A fetched artifact on local disk.
public struct MaterializedArtifact: Sendable, Hashable {
    /// The file, or the directory, a runtime's `{artifact}` receives (inside the cache).
    public var path: String
    /// Its content digest: sha256 of the file, or ``DirectoryDigest`` of the directory.
    public var digest: SluiceCore.Digest
    /// True for a directory.
    public var isDirectory: Bool
    /// Total bytes.
    public var bytes: Int64

    public init(path: String, digest: SluiceCore.Digest, isDirectory: Bool, bytes: Int64) {
        self.path = path
        self.digest = digest
        self.isDirectory = isDirectory
        self.bytes = bytes
    }
}

/// Fetches artifacts from their sources into the content-addressed ``ArtifactCache``:
/// concurrent requests for one artifact share one download; retryable failures are retried
/// with backoff (resuming where the source supports ranges); a `digest:` pin is checked
/// before anything is returned; large downloads log their progress.
public final class ArtifactFetcher: Sendable {
    let config: ArtifactsConfig
    let cache: ArtifactCache
    let sources: ArtifactSources
    let logger: Logger

    /// A fetcher over `sources`, caching in `cacheDirectory` (created 0700 when missing).
    public init(config: ArtifactsConfig, cacheDirectory: String, sources: ArtifactSources, logger: Logger) throws {
        self.config = config
        self.cache = try ArtifactCache(directory: cacheDirectory, maxBytes: config.maxCacheBytes)
        self.sources = sources
        self.logger = logger
    }

    /// The local copy of `reference`, fetched unless the cache holds it. With `digest`, the
    /// content must have it (a cached copy with that digest is used without any request);
    /// without, an unchanged fingerprint at the source reuses the earlier copy.
    public func materialize(_ reference: ArtifactReference, digest: SluiceCore.Digest?) async throws -> MaterializedArtifact {
        throw ArtifactFetchError(.unsupported, "fetching \(reference) is not built yet")
    }

    /// Marks the digests that running versions and active rollouts use: never evicted.
    public func pin(_ digests: Set<SluiceCore.Digest>) async {
        await cache.pin(digests)
    }
}
