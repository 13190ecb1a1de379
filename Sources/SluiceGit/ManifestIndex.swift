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
    static let formatVersion = 1
    static let magic = "sluice-manifest-index"

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

    /// The stored summaries, or why there are none usable.
    public func load() -> Result<[IndexKey: ManifestSummary], Rejection> {
        let data: Data
        do {
            data = try Data(contentsOf: file)
        } catch CocoaError.fileReadNoSuchFile {
            return .failure(.missing)
        } catch {
            return .failure(.unreadable)
        }
        return Self.parse(data, fingerprint: fingerprint)
    }

    /// Writes `entries` as the whole index (atomically: a temporary file renamed over it).
    /// The directory is created (0700) when missing. Failing to write costs only speed next time.
    public func save(_ entries: [IndexKey: ManifestSummary]) throws {
        let directory = file.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let temporary = directory.appendingPathComponent(".\(file.lastPathComponent).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp")
        try Self.serialize(entries, fingerprint: fingerprint).write(to: temporary)
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

    // MARK: - format

    /// `sluice-manifest-index 1`, `fingerprint F`, one line per entry (`BLOB TAB v|i TAB PATH
    /// TAB NAMES`, names separated by 0x1F, fields percent-escaped), then `sha256 HEX` of all
    /// that precedes it.
    static func serialize(_ entries: [IndexKey: ManifestSummary], fingerprint: String) -> Data {
        var text = "\(magic) \(formatVersion)\nfingerprint \(escape(fingerprint))\n"
        text.reserveCapacity(entries.count * 96)
        for (key, summary) in entries.sorted(by: { $0.key.path < $1.key.path }) {
            text += key.blob.hex
            text += summary.isValid ? "\tv\t" : "\ti\t"
            text += escape(key.path)
            text += "\t"
            text += summary.names.map(escape).joined(separator: "\u{1F}")
            text += "\n"
        }
        var data = Data(text.utf8)
        let digest = SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
        data.append(contentsOf: Array("sha256 \(digest)\n".utf8))
        return data
    }

    static func parse(_ data: Data, fingerprint: String) -> Result<[IndexKey: ManifestSummary], Rejection> {
        let bytes = [UInt8](data)
        // The checksum line is last: "sha256 " + 64 hex + "\n".
        let trailer = 7 + 64 + 1
        guard bytes.count > trailer, bytes.last == 0x0A else { return .failure(.corrupt) }
        let body = bytes[..<(bytes.count - trailer)]
        let stated = String(decoding: bytes[(bytes.count - trailer)...], as: UTF8.self)
        let lines = body.split(separator: 0x0A, omittingEmptySubsequences: false)
        // Header first: another version says so even when its checksum differs.
        guard lines.count >= 3, let header = String(validating: lines[0], as: UTF8.self), header.hasPrefix(magic + " ") else {
            return .failure(.corrupt)
        }
        guard header == "\(magic) \(formatVersion)" else { return .failure(.otherFormat) }
        let actual = "sha256 " + SHA256.hash(data: body).map { String(format: "%02x", $0) }.joined() + "\n"
        guard actual == stated else { return .failure(.corrupt) }
        guard String(decoding: lines[1], as: UTF8.self) == "fingerprint \(escape(fingerprint))" else { return .failure(.otherValidator) }
        var entries: [IndexKey: ManifestSummary] = [:]
        entries.reserveCapacity(lines.count)
        for line in lines.dropFirst(2) where !line.isEmpty {
            let fields = line.split(separator: 0x09, maxSplits: 3, omittingEmptySubsequences: false)
            guard fields.count == 4, fields[0].count == 40, fields[0].allSatisfy(isLowerHex), fields[1].count == 1,
                let flag = fields[1].first, flag == UInt8(ascii: "v") || flag == UInt8(ascii: "i"),
                let path = unescape(fields[2]), !path.isEmpty
            else { return .failure(.corrupt) }
            var names: [String] = []
            for name in fields[3].split(separator: 0x1F) {
                guard let value = unescape(name) else { return .failure(.corrupt) }
                names.append(value)
            }
            let key = IndexKey(path: path, blob: BlobID(hex: String(decoding: fields[0], as: UTF8.self)))
            entries[key] = ManifestSummary(names: names, isValid: flag == UInt8(ascii: "v"))
        }
        return .success(entries)
    }

    private static func isLowerHex(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x61...0x66).contains(byte)
    }

    /// `%`, tab, newline, carriage return and 0x1F as `%XX`: git paths and model names may hold any of them.
    static func escape(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 == 0x25 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D || $0 == 0x1F }) else { return text }
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "%": out += "%25"
            case "\t": out += "%09"
            case "\n": out += "%0A"
            case "\r": out += "%0D"
            case "\u{1F}": out += "%1F"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    static func unescape(_ bytes: ArraySlice<UInt8>) -> String? {
        guard bytes.contains(0x25) else { return String(validating: bytes, as: UTF8.self) }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            guard byte == 0x25 else {
                out.append(byte)
                index += 1
                continue
            }
            guard bytes.endIndex - index >= 3,
                let value = UInt8(String(decoding: bytes[(index + 1)...(index + 2)], as: UTF8.self), radix: 16)
            else { return nil }
            out.append(value)
            index += 3
        }
        return String(validating: out, as: UTF8.self)
    }
}
