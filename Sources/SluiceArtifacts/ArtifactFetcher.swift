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
    let tuning: Tuning
    let unpack: ArchiveUnpack
    let coalescer = FetchCoalescer()

    /// Releases the sources' own resources (the HTTPS source's client).
    public func shutdown() async {
        await sources.shutdown()
    }

    /// A fetcher over `sources`, caching in `cacheDirectory` (created 0700 when missing).
    public convenience init(config: ArtifactsConfig, cacheDirectory: String, sources: ArtifactSources, logger: Logger) throws {
        try self.init(config: config, cacheDirectory: cacheDirectory, sources: sources, logger: logger, tuning: Tuning(), unpack: .standard)
    }

    init(config: ArtifactsConfig, cacheDirectory: String, sources: ArtifactSources, logger: Logger, tuning: Tuning, unpack: ArchiveUnpack) throws {
        self.config = config
        self.cache = try ArtifactCache(directory: cacheDirectory, maxBytes: config.maxCacheBytes)
        self.sources = sources
        self.logger = logger
        self.tuning = tuning
        self.unpack = unpack
    }

    /// The local copy of `reference`, fetched unless the cache holds it. With `digest`, the
    /// content must have it (a cached copy with that digest is used without any request);
    /// without, an unchanged fingerprint at the source reuses the earlier copy.
    public func materialize(_ reference: ArtifactReference, digest: SluiceCore.Digest?) async throws -> MaterializedArtifact {
        if let digest, let found = try await cached(digest) { return found }
        return try await coalescer.run("\(reference.cacheText)\n\(digest?.description ?? "")") {
            try await self.fetch(reference, digest: digest)
        }
    }

    /// Marks the digests that running versions and active rollouts use: never evicted.
    public func pin(_ digests: Set<SluiceCore.Digest>) async {
        await cache.pin(digests)
    }

    /// The cache entry with `digest` after checking its content: re-hashed the first time in
    /// this process and whenever a file's size, inode or modification time changed since. A
    /// tampered entry is removed (and then fetched again by the caller); nil when absent.
    func cached(_ digest: SluiceCore.Digest) async throws -> MaterializedArtifact? {
        guard let candidate = await cache.checkout(digest) else { return nil }
        do {
            let signature = try await CacheFiles.offload { try ArtifactCache.signature(of: candidate.path) }
            if signature != candidate.verifiedSignature {
                let actual = try await CacheFiles.offload { () throws -> String in
                    if candidate.isDirectory { return try CacheFiles.directoryDigest(of: candidate.path).digest.hex }
                    return try CacheFiles.sha256(of: candidate.path).hex
                }
                guard actual == candidate.hex else {
                    logger.warning("cached artifact \(candidate.hex) was changed on disk (its content now has sha256:\(actual)); it is removed and fetched again")
                    await cache.release(candidate.hex)
                    await cache.discard(candidate.hex)
                    return nil
                }
            }
            await cache.confirm(candidate.hex, signature: signature)
            await cache.release(candidate.hex)
        } catch {
            // Unreadable or altered into something that is not an artifact (a link): fetch again.
            logger.warning("cached artifact \(candidate.hex) cannot be checked (\(error)); it is removed and fetched again")
            await cache.release(candidate.hex)
            await cache.discard(candidate.hex)
            return nil
        }
        return MaterializedArtifact(
            path: candidate.path, digest: SluiceCore.Digest.computed(.sha256, candidate.hex), isDirectory: candidate.isDirectory,
            bytes: candidate.bytes)
    }

    /// Knobs tests turn down (backoff, progress thresholds); the defaults are the product's.
    struct Tuning: Sendable {
        /// First retry delay; doubled per attempt up to ``maxBackoff``, each with ±25% jitter.
        var backoff: Swift.Duration = .milliseconds(500)
        var maxBackoff: Swift.Duration = .seconds(30)
        /// Downloads at least this large log their progress.
        var progressThreshold: Int64 = 64 << 20
        var progressInterval: Swift.Duration = .seconds(5)
        /// Files of a directory downloaded at once.
        var parallelFiles = 8
    }
}
