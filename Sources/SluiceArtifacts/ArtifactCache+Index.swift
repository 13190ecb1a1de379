import Crypto
import Foundation
import SluiceCore

#if canImport(Glibc)
import Glibc
#endif

/// One entry of `index.json`.
struct IndexEntry: Codable, Sendable, Hashable {
    /// Total bytes of the file or of every file of the directory.
    var bytes: Int64
    /// Seconds since 1970 of the last use.
    var lastUsed: Double
    var directory: Bool
    /// The file's sha512, when a pin asked for it (sha512 pins name an entry through it).
    var sha512: String?
}

extension ArtifactCache {
    private struct IndexFile: Codable {
        var version = 1
        var entries: [String: IndexEntry]
    }

    static func loadIndex(directory: String) -> [String: IndexEntry] {
        guard let data = FileManager.default.contents(atPath: "\(directory)/index.json"),
            let file = try? JSONDecoder().decode(IndexFile.self, from: data), file.version == 1
        else { return [:] }
        return file.entries
    }

    /// Writes the index atomically. A failure is not fatal: the index is rebuilt from `sha256/` at start.
    func saveIndex() {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard let data = try? encoder.encode(IndexFile(entries: index)) else { return }
        try? CacheFiles.writeAtomically(data, to: "\(directory)/index.json")
    }

    /// `index` made to agree with `sha256/`: an entry on disk the index lacks is added (its
    /// last use its modification time), an index entry with nothing on disk is dropped, and
    /// anything in `sha256/` not named by a sha256 hex is removed.
    static func reconcile(_ index: [String: IndexEntry], directory: String) -> [String: IndexEntry] {
        var result: [String: IndexEntry] = [:]
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "\(directory)/sha256")) ?? []
        for name in names {
            let path = "\(directory)/sha256/\(name)"
            guard isSHA256Hex(name), let info = CacheFiles.status(path) else {
                CacheFiles.remove(path)
                continue
            }
            if let known = index[name] {
                result[name] = known
                continue
            }
            let isDirectory = CacheFiles.isDirectory(info)
            let bytes = isDirectory ? ((try? CacheFiles.regularFiles(under: path))?.reduce(Int64(0)) { $0 + Int64($1.info.st_size) } ?? 0) : Int64(info.st_size)
            result[name] = IndexEntry(bytes: bytes, lastUsed: Double(CacheFiles.modified(info)) / 1e9, directory: isDirectory, sha512: nil)
        }
        return result
    }

    /// Removes what in `directory` was last modified more than `age` seconds ago (downloads
    /// abandoned long ago, leftovers of a crash while assembling).
    static func removeStale(in directory: String, olderThan age: Double) {
        let now = Date().timeIntervalSince1970
        for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] {
            let path = "\(directory)/\(name)"
            if let info = CacheFiles.status(path), Double(CacheFiles.modified(info)) / 1e9 < now - age {
                CacheFiles.remove(path)
            }
        }
    }

    static func isSHA256Hex(_ text: String) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }
    }

    /// A summary of the metadata (path, size, inode, modification time) of every file at
    /// `path`: when it is unchanged since the content was hashed, the content is trusted.
    static func signature(of path: String) throws -> String {
        guard let info = CacheFiles.status(path) else { throw ArtifactFetchError(.io, "'\(path)' is gone") }
        func line(_ name: String, _ info: stat) -> String {
            "\(name) \(info.st_size) \(info.st_ino) \(CacheFiles.modified(info))\n"
        }
        guard CacheFiles.isDirectory(info) else { return line("", info) }
        var hasher = SHA256()
        for file in try CacheFiles.regularFiles(under: path) {
            hasher.update(data: Array(line(file.path, file.info).utf8))
        }
        return hasher.finalize().hex
    }
}

// MARK: - Fingerprints of unpinned references

extension ArtifactCache {
    private struct RefRecord: Codable {
        /// The reference, redacted (for a human reading the cache; the file name is the key).
        var reference: String
        var fingerprint: String
        var digest: String
    }

    private func refPath(_ key: String) -> String { "\(directory)/refs/\(key).json" }

    /// The digest the reference (keyed by the sha256 of its text) had when its source
    /// reported `fingerprint`, or nil.
    func digest(forReference key: String, fingerprint: String) -> SluiceCore.Digest? {
        guard let data = FileManager.default.contents(atPath: refPath(key)),
            let record = try? JSONDecoder().decode(RefRecord.self, from: data), record.fingerprint == fingerprint
        else { return nil }
        return SluiceCore.Digest.parse(record.digest).value
    }

    /// Records that the reference had `digest` while its source reported `fingerprint`.
    func record(reference key: String, display: String, fingerprint: String, digest: SluiceCore.Digest) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard let data = try? encoder.encode(RefRecord(reference: display, fingerprint: fingerprint, digest: digest.description)) else { return }
        // Losing it only costs a download.
        try? CacheFiles.writeAtomically(data, to: refPath(key))
    }
}
