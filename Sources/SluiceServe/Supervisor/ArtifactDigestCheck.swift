import Crypto
import Foundation
import SluiceCore
import SluiceFileDigest

/// Checks a version's artifact against the `digest` its runtime spec pins, before the
/// process starts: the data plane may run without the controller (`sluice serve` with a spec
/// PUT by hand), and the file under the artifact root may have changed since it was written.
enum ArtifactDigestCheck {
    /// What identifies a file's content cheaply: a file checked once is not hashed again on
    /// every restart while its inode, size and modification time stay the same.
    struct Identity: Hashable, Sendable {
        var device: UInt64
        var inode: UInt64
        var size: Int64
        var modified: Int64
        var modifiedNanoseconds: Int64
    }

    /// Bytes hashed per read.
    static let chunkSize = 1 << 20

    /// The file's identity, nil when it cannot be read or is a directory (whose own times do
    /// not change with its files' content, so it is hashed again on every start).
    static func identity(of path: String) -> Identity? {
        var info = stat()
        guard stat(path, &info) == 0, info.st_mode & S_IFMT != S_IFDIR else { return nil }
        #if canImport(Darwin)
        let modified = info.st_mtimespec
        #else
        let modified = info.st_mtim
        #endif
        return Identity(
            device: UInt64(info.st_dev), inode: UInt64(info.st_ino), size: Int64(info.st_size),
            modified: Int64(modified.tv_sec), modifiedNanoseconds: Int64(modified.tv_nsec))
    }

    /// Why the file at `path` does not match `pinned`, or nil when it does. Reads by stream.
    static func problem(path: String, pinned: String) -> String? {
        guard let digest = Digest.parse(pinned).value else { return "the digest '\(pinned)' cannot be parsed" }
        var info = stat()
        if stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFDIR {
            return directoryProblem(path: path, pinned: digest)
        }
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return "cannot read the artifact to check its digest: \(String(cString: strerror(errno)))" }
        defer { close(descriptor) }
        var sha256 = Crypto.SHA256()
        var sha512 = Crypto.SHA512()
        var buffer = [UInt8](repeating: 0, count: chunkSize)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress!, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { return "cannot read the artifact to check its digest: \(String(cString: strerror(errno)))" }
            if count == 0 { break }
            buffer.withUnsafeBytes { bytes in
                let chunk = UnsafeRawBufferPointer(rebasing: bytes[0..<count])
                switch digest.algorithm {
                case .sha256: sha256.update(bufferPointer: chunk)
                case .sha512: sha512.update(bufferPointer: chunk)
                }
            }
        }
        let actual = switch digest.algorithm {
        case .sha256: sha256.finalize().hex
        case .sha512: sha512.finalize().hex
        }
        guard actual != digest.hex else { return nil }
        return "the artifact has \(digest.algorithm.rawValue):\(actual), but the spec pins \(digest.description); the version is not started"
    }

    /// Why the directory at `path` does not have the pinned ``DirectoryDigest``, or nil.
    static func directoryProblem(path: String, pinned digest: SluiceCore.Digest) -> String? {
        guard digest.algorithm == .sha256 else {
            return "the artifact is a directory, whose digest is sha256; the spec pins \(digest.description)"
        }
        do {
            let actual = try DirectoryHasher.digest(ofPath: path).digest
            guard actual != digest else { return nil }
            return "the artifact directory has \(actual.description), but the spec pins \(digest.description); the version is not started"
        } catch {
            return "cannot check the artifact directory's digest: \(error)"
        }
    }
}
