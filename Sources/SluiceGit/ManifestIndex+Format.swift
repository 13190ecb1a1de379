import Crypto
import Foundation

/// The binary format of the manifest index (version 2), read without decoding: a fresh
/// `sluice plan` process looks entries up where they lie in the bytes it read.
///
/// ```
/// "SLUICEIX"  version u32  fingerprint length u32, fingerprint  entry count u32
/// per entry:  blob id (20 bytes)  flags u8 (bit 0: valid)  path length u16  name count u16
///             path  (name length u16, name) per name
/// SHA-256 (32 bytes) of everything before it
/// ```
///
/// Integers are little-endian; entries are sorted by path bytes, then blob id, with no two
/// alike. Version 1 was a text format: it is recognised and reported as another format.
extension ManifestIndex {
    static let magic: [UInt8] = Array("SLUICEIX".utf8)
    /// How version 1 (text) began.
    static let textMagic: [UInt8] = Array("sluice-manifest-index ".utf8)
    /// An index larger than this is not read (10,000 manifests take about 0.5 MB).
    static let maximumFileBytes = 256 << 20

    /// The whole file in one read, or why not.
    static func readWhole(_ path: String) -> Result<[UInt8], Rejection> {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return .failure(errno == ENOENT ? .missing : .unreadable) }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG else { return .failure(.unreadable) }
        let size = Int(status.st_size)
        guard size <= maximumFileBytes else { return .failure(.corrupt) }
        var failed = false
        let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
            count = 0
            while count < size {
                let got = read(descriptor, buffer.baseAddress! + count, size - count)
                if got < 0, errno == EINTR { continue }
                guard got > 0 else {
                    failed = got < 0
                    break
                }
                count += got
            }
        }
        return failed ? .failure(.unreadable) : .success(bytes)
    }

    /// The file's bytes for `entries`. Entries the format cannot hold (a path or name over
    /// 65,535 bytes, more than 65,535 names, a blob id that is not 40 lower-case hex digits)
    /// are left out: those files are read again next time, nothing more.
    static func serialize(_ entries: [IndexKey: ManifestSummary], fingerprint: String) -> [UInt8] {
        struct Row {
            var path: [UInt8]
            var blob: [UInt8]
            var summary: ManifestSummary
        }
        var rows: [Row] = []
        rows.reserveCapacity(entries.count)
        for (key, summary) in entries {
            let path = Array(key.path.utf8)
            guard let blob = rawBlobID(key.blob), !path.isEmpty, path.count <= Int(UInt16.max), summary.names.count <= Int(UInt16.max),
                summary.names.allSatisfy({ $0.utf8.count <= Int(UInt16.max) })
            else { continue }
            rows.append(Row(path: path, blob: blob, summary: summary))
        }
        rows.sort { $0.path == $1.path ? $0.blob.lexicographicallyPrecedes($1.blob) : $0.path.lexicographicallyPrecedes($1.path) }
        var out = magic
        out.reserveCapacity(64 + fingerprint.utf8.count + rows.count * 80)
        append(formatVersion, to: &out)
        append(UInt32(fingerprint.utf8.count), to: &out)
        out += fingerprint.utf8
        append(UInt32(rows.count), to: &out)
        for row in rows {
            out += row.blob
            out.append(row.summary.isValid ? 1 : 0)
            append(UInt16(row.path.count), to: &out)
            append(UInt16(row.summary.names.count), to: &out)
            out += row.path
            for name in row.summary.names {
                append(UInt16(name.utf8.count), to: &out)
                out += name.utf8
            }
        }
        return sealed(out)
    }

    /// `body` followed by its SHA-256: the checksum that ends every index file.
    static func sealed(_ body: [UInt8]) -> [UInt8] {
        body + SHA256.hash(data: body)
    }

    private static func append<T: FixedWidthInteger>(_ value: T, to out: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { out += $0 }
    }

    /// The 20 bytes of a blob id written as 40 lower-case hex digits; nil for anything else.
    static func rawBlobID(_ blob: BlobID) -> [UInt8]? {
        let hex = Array(blob.hex.utf8)
        guard hex.count == 40 else { return nil }
        var raw = [UInt8](repeating: 0, count: 20)
        for index in 0..<20 {
            guard let high = hexValue(hex[2 * index]), let low = hexValue(hex[2 * index + 1]) else { return nil }
            raw[index] = high << 4 | low
        }
        return raw
    }

    static func hexValue(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        default: nil
        }
    }
}
