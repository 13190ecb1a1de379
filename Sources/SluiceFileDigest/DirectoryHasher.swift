import Crypto
import Foundation
import SluiceCore

/// Hashes artifacts on local disk by stream: a file's sha256, or a directory's
/// ``DirectoryDigest`` (the one definition users pin). Shared by the data plane (checking a
/// pinned artifact before a version starts), the artifact cache and `sluice artifact digest`.
public enum DirectoryHasher {
    /// Why a path cannot be hashed as an artifact.
    public struct Problem: Error, Sendable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    /// Bytes read per step.
    static let chunkSize = 1 << 20

    /// The sha256 (lowercase hex) and size of the regular file at `path`; a link is not followed.
    public static func sha256(ofFile path: String) throws -> (hex: String, size: Int64) {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard descriptor >= 0 else { throw Problem(message: "cannot read \(path): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            throw Problem(message: "\(path) is not a regular file")
        }
        var hasher = SHA256()
        var buffer = [UInt8](repeating: 0, count: chunkSize)
        var total: Int64 = 0
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress!, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { throw Problem(message: "cannot read \(path): \(String(cString: strerror(errno)))") }
            if count == 0 { break }
            buffer.withUnsafeBytes { hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
            total += Int64(count)
        }
        return (hasher.finalize().hex, total)
    }

    /// Every regular file under the directory `root`, with its size and sha256. A symbolic
    /// link, a device, a socket or more than `maxFiles` files are refused: an artifact is
    /// plain files, and nothing in it may lead elsewhere on the host.
    public static func entries(of root: String, maxFiles: Int = 1_000_000) throws -> [DirectoryDigest.Entry] {
        var entries: [DirectoryDigest.Entry] = []
        try walk(root, relative: "", into: &entries, maxFiles: maxFiles)
        return entries
    }

    /// The ``DirectoryDigest`` of the directory at `root`.
    public static func digest(ofDirectory root: String) throws -> SluiceCore.Digest {
        DirectoryDigest.digest(try entries(of: root))
    }

    /// The digest of the artifact at `path`: sha256 of a file, or the directory digest.
    public static func digest(of path: String) throws -> SluiceCore.Digest {
        var info = stat()
        guard lstat(path, &info) == 0 else { throw Problem(message: "cannot read \(path): \(String(cString: strerror(errno)))") }
        switch info.st_mode & S_IFMT {
        case S_IFDIR: return try digest(ofDirectory: path)
        case S_IFREG: return SluiceCore.Digest.parse("sha256:" + (try sha256(ofFile: path)).hex).value!
        default: throw Problem(message: "\(path) is neither a regular file nor a directory")
        }
    }

    private static func walk(_ root: String, relative: String, into entries: inout [DirectoryDigest.Entry], maxFiles: Int) throws {
        let directory = relative.isEmpty ? root : "\(root)/\(relative)"
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            throw Problem(message: "cannot list \(directory): \(error.localizedDescription)")
        }
        for name in names {
            let path = relative.isEmpty ? name : "\(relative)/\(name)"
            var info = stat()
            guard lstat("\(root)/\(path)", &info) == 0 else { throw Problem(message: "cannot read \(root)/\(path)") }
            switch info.st_mode & S_IFMT {
            case S_IFDIR:
                try walk(root, relative: path, into: &entries, maxFiles: maxFiles)
            case S_IFREG:
                guard entries.count < maxFiles else { throw Problem(message: "\(root) holds more than \(maxFiles) files") }
                let (hex, size) = try sha256(ofFile: "\(root)/\(path)")
                entries.append(DirectoryDigest.Entry(path: path, size: size, sha256: hex))
            case S_IFLNK:
                throw Problem(message: "'\(path)' in \(root) is a symbolic link; an artifact directory holds only regular files and directories")
            default:
                throw Problem(message: "'\(path)' in \(root) is not a regular file or directory")
            }
        }
    }
}
