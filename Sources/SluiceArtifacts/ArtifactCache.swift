import Foundation
import SluiceCore

#if canImport(Glibc)
import Glibc
#endif

/// The content-addressed cache of fetched artifacts under one directory (mode 0700):
///
///     sha256/<hex>        a file (0600) or a directory of files, named by its digest
///     partial/<key>       downloads in progress, resumed after a crash or a broken connection
///     staging/<name>      directories and unpacked archives being assembled
///     refs/<hex>.json     an unpinned reference's source fingerprint and the digest it had
///     index.json          size and last use of each entry, written atomically
///
/// An entry appears only by `rename` after its content was hashed and fsynced, so a crash
/// leaves either the whole entry or none. The index is only a hint: at start it is
/// reconciled with `sha256/` (entries it lacks are added, entries gone are dropped).
///
/// Entries are re-hashed before their first use in each process, and again whenever a file
/// in them changed size, inode or modification time: a tampered entry is discarded and
/// fetched again. Above `maxBytes` the least recently used entries are evicted, except the
/// pinned ones and those in use by a call in progress.
public actor ArtifactCache {
    public let directory: String
    public let maxBytes: Int64
    var pinned: Set<SluiceCore.Digest> = []
    var index: [String: IndexEntry] = [:]
    /// Entries hashed in this process, by the signature of their files' metadata then.
    var verified: [String: String] = [:]
    /// Entries a call in progress returns or reads: never evicted.
    var leases: [String: Int] = [:]
    var lastStamp: Double = 0

    /// Opens (creating, 0700) the cache at `directory`.
    public init(directory: String, maxBytes: Int64) throws {
        self.directory = directory
        self.maxBytes = maxBytes
        for sub in ["", "sha256", "partial", "staging", "refs"] {
            try CacheFiles.makeDirectory(sub.isEmpty ? directory : "\(directory)/\(sub)")
        }
        index = Self.loadIndex(directory: directory)
        lastStamp = index.values.map(\.lastUsed).max() ?? 0
        index = Self.reconcile(index, directory: directory)
        Self.removeStale(in: "\(directory)/partial", olderThan: 86_400)
        Self.removeStale(in: "\(directory)/staging", olderThan: 86_400)
    }

    /// Replaces the set of digests that must not be evicted.
    public func pin(_ digests: Set<SluiceCore.Digest>) {
        pinned = digests
    }

    /// The entry's path.
    nonisolated func entryPath(_ hex: String) -> String { "\(directory)/sha256/\(hex)" }

    /// Where a download with `key` is kept until it is complete.
    nonisolated func partialPath(_ key: String) -> String { "\(directory)/partial/\(key)" }

    /// A fresh name for assembling a directory.
    nonisolated func stagingPath() -> String { "\(directory)/staging/\(getpid())-\(UUID().uuidString)" }

    /// The sha256 hex naming the entry with `digest`, or nil (a sha512 pin names an entry
    /// through the sha512 recorded for it).
    func entryName(_ digest: SluiceCore.Digest) -> String? {
        switch digest.algorithm {
        case .sha256: return index[digest.hex] == nil ? nil : digest.hex
        case .sha512: return index.first { $0.value.sha512 == digest.hex }?.key
        }
    }

    /// The cached entry with `digest`, leased until ``release(_:)``; nil when absent.
    func checkout(_ digest: SluiceCore.Digest) -> Candidate? {
        guard let hex = entryName(digest), let entry = index[hex] else { return nil }
        guard CacheFiles.status(entryPath(hex)) != nil else {
            index[hex] = nil
            verified[hex] = nil
            saveIndex()
            return nil
        }
        leases[hex, default: 0] += 1
        return Candidate(hex: hex, path: entryPath(hex), isDirectory: entry.directory, bytes: entry.bytes, verifiedSignature: verified[hex])
    }

    /// Ends a lease from ``checkout(_:)`` or ``insert(staged:sha256:sha512:isDirectory:bytes:signature:)``.
    func release(_ hex: String) {
        leases[hex, default: 1] -= 1
        if leases[hex] == 0 { leases[hex] = nil }
    }

    /// Records that the entry's content was checked (or is unchanged since) and uses it now.
    func confirm(_ hex: String, signature: String) {
        verified[hex] = signature
        touch(hex)
    }

    /// Removes an entry whose content no longer has its digest.
    func discard(_ hex: String) {
        verified[hex] = nil
        index[hex] = nil
        removeEntry(hex)
        saveIndex()
    }

    /// Moves the verified file or directory at `staged` into the cache as `sha256/<sha256>`,
    /// leased until ``release(_:)``, then evicts down to `maxBytes`.
    func insert(staged: String, sha256 hex: String, sha512: String?, isDirectory: Bool, bytes: Int64, signature: String?) throws -> MaterializedArtifact {
        let path = entryPath(hex)
        if try CacheFiles.move(staged, to: path) {
            try CacheFiles.syncDirectory("\(directory)/sha256")
            if let signature { verified[hex] = signature } else { verified[hex] = nil }
        } else {
            // The same content arrived first by another fetch: keep that one, check it at next use.
            CacheFiles.remove(staged)
            verified[hex] = nil
        }
        var entry = IndexEntry(bytes: bytes, lastUsed: 0, directory: isDirectory, sha512: sha512)
        if entry.sha512 == nil { entry.sha512 = index[hex]?.sha512 }
        index[hex] = entry
        leases[hex, default: 0] += 1
        touch(hex)
        evict()
        return MaterializedArtifact(path: path, digest: SluiceCore.Digest.computed(.sha256, hex), isDirectory: isDirectory, bytes: bytes)
    }

    /// Total bytes of the entries.
    var totalBytes: Int64 { index.values.reduce(0) { $0 + $1.bytes } }

    /// The digests of the entries, least recently used first (for tests and `sluice` output).
    func entries() -> [SluiceCore.Digest] {
        index.sorted { $0.value.lastUsed < $1.value.lastUsed }.map { SluiceCore.Digest.computed(.sha256, $0.key) }
    }

    /// Evicts least recently used entries, not pinned and not leased, while above `maxBytes`.
    func evict() {
        guard totalBytes > maxBytes else { return }
        var keep = Set(leases.keys)
        for digest in pinned {
            if let hex = entryName(digest) { keep.insert(hex) }
        }
        var total = totalBytes
        for (hex, entry) in index.sorted(by: { $0.value.lastUsed < $1.value.lastUsed }) where total > maxBytes && !keep.contains(hex) {
            index[hex] = nil
            verified[hex] = nil
            removeEntry(hex)
            total -= entry.bytes
        }
        saveIndex()
    }

    private func touch(_ hex: String) {
        // Strictly increasing, so the order of uses survives a coarse clock.
        lastStamp = max(Date().timeIntervalSince1970, lastStamp + 0.000_001)
        index[hex]?.lastUsed = lastStamp
        saveIndex()
    }

    private func removeEntry(_ hex: String) {
        // Out of `sha256/` in one rename first, so a crash mid-removal leaves no half entry.
        let trash = stagingPath()
        if (try? CacheFiles.move(entryPath(hex), to: trash)) == true {
            CacheFiles.remove(trash)
        } else {
            CacheFiles.remove(entryPath(hex))
        }
    }

    /// What ``checkout(_:)`` found.
    struct Candidate: Sendable {
        var hex: String
        var path: String
        var isDirectory: Bool
        var bytes: Int64
        /// The metadata signature when it was last hashed in this process; nil: never.
        var verifiedSignature: String?
    }
}
