import Crypto
import Foundation

/// What a plan needs to know of a manifest file it does not read: the model names it declares
/// and whether it is valid. Keyed by path and blob id, so an entry can only describe the
/// exact bytes it was made from.
public struct ManifestSummary: Sendable, Hashable {
    /// The model names the file declares, as written (unreadable names left out).
    public var names: [String]
    /// Whether the file validated without errors.
    public var isValid: Bool

    /// Creates a summary.
    public init(names: [String], isValid: Bool) {
        self.names = names
        self.isValid = isValid
    }
}

/// An on-disk index of manifest summaries, so that a fresh `sluice plan` process does not read
/// and validate every unchanged file of the base commit again.
///
/// The file is safe to delete, and never trusted beyond what it can prove: entries are keyed by
/// path and blob id (equal ids, equal bytes); the header names the format version and the
/// fingerprint of the validator that made it (a newer or rebuilt `sluice` ignores it); a
/// SHA-256 over the whole file detects truncation and corruption, and anything that does not
/// parse is ignored as a whole. Files whose validation depends on other files (YAML aliases,
/// judged under a budget shared by one read) are never indexed. Writes go to a temporary file
/// renamed over the old one, so concurrent runs sharing an index each see a whole file: the
/// last writer wins, and nothing is ever half-written.
public struct ManifestIndex: Sendable {
    /// Why a stored index was not used.
    public enum Rejection: Error, Equatable, CustomStringConvertible {
        case missing
        case unreadable
        case otherFormat
        case otherValidator
        case corrupt

        public var description: String {
            switch self {
            case .missing: "no index yet"
            case .unreadable: "the index cannot be read"
            case .otherFormat: "the index is of another format version"
            case .otherValidator: "the index was made by another sluice build or validator settings"
            case .corrupt: "the index is corrupt (checksum or syntax)"
            }
        }
    }

    /// The format version written in the header.
    static let formatVersion: UInt32 = 2

    /// Where the index lives.
    public let file: URL
    /// The validator's fingerprint; an index made under another is ignored.
    public let fingerprint: String

    /// An index at `file` for a validator whose settings and build give `fingerprint`.
    public init(file: URL, fingerprint: String) {
        self.file = file
        self.fingerprint = fingerprint
    }

    /// The index of the manifests under `directory` of the repository at `repositoryPath`, in
    /// `cacheDirectory` (one file per repository and directory, so that repositories sharing a
    /// cache do not evict each other).
    public init(cacheDirectory: URL, repositoryPath: String, directory: String, fingerprint: String) {
        let key = SHA256.hash(data: Data("\(repositoryPath)\u{0}\(directory)".utf8)).prefix(8).map { String(format: "%02x", $0) }.joined()
        self.init(file: cacheDirectory.appendingPathComponent("manifest-index-\(key)"), fingerprint: fingerprint)
    }

    /// The stored summaries, or why there are none usable. One read of the file, one SHA-256
    /// over it, and a check of every entry's bounds; nothing is decoded until a lookup asks.
    public func load() -> Result<Contents, Rejection> {
        let bytes: [UInt8]
        switch Self.readWhole(file.path) {
        case .success(let read): bytes = read
        case .failure(let rejection): return .failure(rejection)
        }
        return Contents.parse(bytes, fingerprint: fingerprint)
    }

    /// Writes `entries` as the whole index (atomically: a temporary file renamed over it).
    /// The directory is created (0700) when missing. Failing to write costs only speed next time.
    public func save(_ entries: [IndexKey: ManifestSummary]) throws {
        let directory = file.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let temporary = directory.appendingPathComponent(".\(file.lastPathComponent).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp")
        try Data(Self.serialize(entries, fingerprint: fingerprint)).write(to: temporary)
        guard rename(temporary.path, file.path) == 0 else {
            let code = errno
            try? FileManager.default.removeItem(at: temporary)
            throw POSIXError(POSIXErrorCode(rawValue: code) ?? .EIO)
        }
    }

    /// A path and the blob it held: what an entry describes.
    public struct IndexKey: Hashable, Sendable {
        public let path: String
        public let blob: BlobID

        public init(path: String, blob: BlobID) {
            self.path = path
            self.blob = blob
        }
    }
}
