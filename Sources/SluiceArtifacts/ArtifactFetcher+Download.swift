import Foundation
import Logging
import NIOConcurrencyHelpers
import SluiceConfig
import SluiceCore

extension ArtifactFetcher {
    /// One file downloaded into `partial/`.
    struct Downloaded: Sendable {
        var file: ResolvedArtifact.File
        var partial: String
        var result: FileSink.Result
        /// True when bytes of an earlier attempt were kept (a resume, not a fresh download).
        var resumed: Bool
    }

    /// Resolves, downloads, verifies and caches `reference` (the cache holds no copy with `digest`).
    func fetch(_ reference: ArtifactReference, digest: SluiceCore.Digest?) async throws -> MaterializedArtifact {
        // Another reference with the same pinned content may have filled the cache meanwhile.
        if let digest, let found = try await cached(digest) { return found }
        let source = try sources.source(for: reference)
        let name = reference.displayText
        let resolved = try await retrying(name, "resolve") { try await source.resolve(reference) }
        try check(resolved, name: name)
        if digest == nil, let fingerprint = resolved.fingerprint,
            let known = await cache.digest(forReference: reference.cacheKey, fingerprint: fingerprint),
            let found = try await cached(known)
        {
            logger.debug("artifact \(name) is unchanged at its source; using the cached copy \(known)")
            return found
        }
        var fresh = false
        while true {
            let downloaded = try await downloadAll(resolved, from: source, name: name, sha512: digest?.algorithm == .sha512, fresh: fresh)
            do {
                let found = try await assemble(resolved, downloaded, name: name, digest: digest)
                if let fingerprint = resolved.fingerprint {
                    await cache.record(reference: reference.cacheKey, display: name, fingerprint: fingerprint, digest: found.digest)
                }
                return found
            } catch let error as ArtifactFetchError where error.kind == .digestMismatch && !fresh && downloaded.contains(where: \.resumed) {
                // Bytes kept from an interrupted attempt may be what differs: once more from the first byte.
                logger.warning("artifact \(name) did not match its digest after a resumed download; downloading it again from the first byte")
                fresh = true
            }
        }
    }

    /// Refuses a listing that cannot be written safely or is over the size cap before any byte moves.
    func check(_ resolved: ResolvedArtifact, name: String) throws {
        guard !resolved.files.isEmpty else { throw ArtifactFetchError(.notFound, "artifact \(name) has no files at its source") }
        if resolved.isDirectory && resolved.archive == nil {
            var seen = Set<String>()
            for file in resolved.files {
                let path = try ResolvedArtifact.File.checkedPath(file.path)
                guard seen.insert(path).inserted else {
                    throw ArtifactFetchError(.badResponse, "artifact \(name): the source listed '\(ArtifactFetchError.printable(path))' twice")
                }
            }
            // A path that is both a file and a directory ("a" and "a/b") cannot be written.
            for path in seen {
                var prefix = Substring(path)
                while let slash = prefix.lastIndex(of: "/") {
                    prefix = prefix[..<slash]
                    if seen.contains(String(prefix)) {
                        throw ArtifactFetchError(.badResponse, "artifact \(name): the source listed '\(ArtifactFetchError.printable(String(prefix)))' as a file and as a directory")
                    }
                }
            }
        } else if resolved.files.count != 1 {
            throw ArtifactFetchError(.badResponse, "artifact \(name) is a single file, but the source listed \(resolved.files.count) files")
        }
        for file in resolved.files {
            if let size = file.size, size < 0 { throw ArtifactFetchError(.badResponse, "artifact \(name): the source reported a negative size") }
        }
        let sizes = resolved.files.compactMap(\.size)
        let known = sizes.reduce(Int64(0)) { $0.addingReportingOverflow($1).overflow ? .max : $0 + $1 }
        if known > config.maxArtifactBytes {
            throw ArtifactFetchError(
                .tooLarge, "artifact \(name) is \(known) bytes at its source, more than controller.artifacts.maxArtifactBytes (\(config.maxArtifactBytes)); nothing was downloaded")
        }
    }

    /// Downloads every file into `partial/` (several at once for a directory), each with retries.
    func downloadAll(_ resolved: ResolvedArtifact, from source: any ArtifactSource, name: String, sha512: Bool, fresh: Bool) async throws -> [Downloaded] {
        let total: Int64? = resolved.files.allSatisfy { $0.size != nil } ? resolved.files.reduce(0) { $0 + ($1.size ?? 0) } : nil
        let progress = ArtifactProgress(
            name: name, total: total, maxBytes: config.maxArtifactBytes, logger: logger, threshold: tuning.progressThreshold,
            interval: tuning.progressInterval)
        let referenceText = resolved.reference.cacheText
        let files = resolved.files
        do {
            return try await withThrowingTaskGroup(of: Downloaded.self) { group in
                var results: [Downloaded] = []
                var pending = files.makeIterator()
                var running = 0
                while running < max(1, tuning.parallelFiles), let file = pending.next() {
                    group.addTask {
                        try await self.download(file, from: source, name: name, key: file.partialKey(reference: referenceText), sha512: sha512, fresh: fresh, progress: progress)
                    }
                    running += 1
                }
                while let done = try await group.next() {
                    results.append(done)
                    if let file = pending.next() {
                        group.addTask {
                            try await self.download(file, from: source, name: name, key: file.partialKey(reference: referenceText), sha512: sha512, fresh: fresh, progress: progress)
                        }
                    }
                }
                return results
            }
        } catch let error as ArtifactFetchError where error.kind == .tooLarge {
            for file in files { CacheFiles.remove(cache.partialPath(file.partialKey(reference: referenceText))) }
            throw error
        }
    }

    /// Downloads one file into its partial file, resuming after bytes already there; retries
    /// retryable failures with backoff. A non-retryable failure removes the partial file.
    func download(
        _ file: ResolvedArtifact.File, from source: any ArtifactSource, name: String, key: String, sha512: Bool, fresh: Bool, progress: ArtifactProgress
    ) async throws -> Downloaded {
        let partial = cache.partialPath(key)
        if fresh { CacheFiles.remove(partial) }
        var attempt = 0
        while true {
            let sink = try FileSink(path: partial, expectedSize: file.size, sha512: sha512, progress: progress)
            let offset = sink.offset
            do {
                if file.size == nil || offset != file.size || offset == 0 {
                    try await watchingForStalls(sink, name: name) { try await source.download(file, from: offset, into: sink) }
                }
                let result = try sink.finish()
                if let size = file.size, result.size < size {
                    throw ArtifactFetchError(.connection, "artifact \(name): the body ended after \(result.size) of \(size) bytes")
                }
                if let size = file.size, result.size > size {
                    CacheFiles.remove(partial)
                    throw ArtifactFetchError(.badResponse, "artifact \(name): the source sent \(result.size) bytes for a file it listed as \(size)")
                }
                return Downloaded(file: file, partial: partial, result: result, resumed: offset > 0 && !sink.restarted)
            } catch let error as ArtifactFetchError where error.isRetryable && attempt < config.retries {
                sink.abandon()
                let delay = backoff(attempt)
                attempt += 1
                logger.info("artifact \(name): \(error.message); attempt \(attempt + 1) of \(config.retries + 1) in \(delay)")
                try await Task.sleep(for: delay)
            } catch let error as ArtifactFetchError where !error.isRetryable {
                sink.abandon()
                CacheFiles.remove(partial)
                throw error
            } catch {
                // Retries spent, or cancelled: the bytes stay for a later resume.
                sink.abandon()
                throw error
            }
        }
    }

    /// `body` (one download into `sink`), failed with `.timeout` when no byte arrives for
    /// `timeout`: sources enforce their own timeouts, and this holds for any of them.
    func watchingForStalls(_ sink: FileSink, name: String, _ body: @escaping @Sendable () async throws -> Void) async throws {
        let limit = Swift.Duration.milliseconds(max(1, config.timeout.milliseconds))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await body() }
            group.addTask {
                while true {
                    try await Task.sleep(for: limit / 4)
                    let idle = ContinuousClock.now - sink.lastWrite.withLockedValue { $0 }
                    if idle >= limit {
                        throw ArtifactFetchError(.timeout, "artifact \(name): no bytes arrived for \(self.config.timeout)")
                    }
                }
            }
            _ = try await group.next()
            group.cancelAll()
        }
    }

    /// `operation`, retried with backoff while it fails with a retryable error.
    func retrying<T: Sendable>(_ name: String, _ what: String, _ operation: () async throws -> T) async throws -> T {
        var attempt = 0
        while true {
            do {
                return try await operation()
            } catch let error as ArtifactFetchError where error.isRetryable && attempt < config.retries {
                let delay = backoff(attempt)
                attempt += 1
                logger.info("artifact \(name): \(what) failed: \(error.message); attempt \(attempt + 1) of \(config.retries + 1) in \(delay)")
                try await Task.sleep(for: delay)
            }
        }
    }

    /// The delay before retry `attempt` (0-based): doubling from `tuning.backoff`, capped, ±25% jitter.
    func backoff(_ attempt: Int) -> Swift.Duration {
        let base = tuning.backoff * (1 << min(attempt, 20))
        let capped = min(base, tuning.maxBackoff)
        return capped * Double.random(in: 0.75...1.25)
    }
}
