import Crypto
import SluiceCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Digests of local files and directories, as `sluice artifact digest` prints them and a
/// `digest:` pin states them: the sha256 of a file, or ``DirectoryDigest`` of a directory.
/// Shared by the data plane (checking a pinned artifact before a version starts), the
/// artifact cache and the `sluice artifact` commands.
///
/// Files are streamed through SHA-256 in 1 MiB chunks, never held whole in memory. Inside a
/// directory only regular files count; a symbolic link, device, socket or FIFO is refused
/// (a link could make the digest describe bytes outside the directory). The path given may
/// itself be a link to a file or directory.
public enum DirectoryHasher {
    /// Bytes read per call.
    public static let chunkSize = 1 << 20

    /// Why a path cannot be hashed as an artifact.
    public struct Problem: Error, Sendable, CustomStringConvertible {
        /// What went wrong, for callers that map it to their own kinds.
        public enum Kind: Sendable, Hashable {
            /// Nothing is at the path.
            case notFound
            /// A link, device, socket, FIFO or name that an artifact may not hold.
            case unsafePath
            /// Reading failed.
            case io
        }

        public var kind: Kind
        public var message: String
        public var description: String { message }

        public init(_ kind: Kind, _ message: String) {
            self.kind = kind
            self.message = message
        }
    }

    /// The digest of what `path` names: a file's sha256, or a directory's ``DirectoryDigest``.
    public static func digest(ofPath path: String) throws(Problem) -> (digest: SluiceCore.Digest, isDirectory: Bool, bytes: Int64) {
        let info = try status(path, following: true)
        switch info.st_mode & S_IFMT {
        case S_IFREG:
            let file = try fileDigest(atPath: path)
            return (file.digest, false, file.size)
        case S_IFDIR:
            let entries = try entries(ofDirectory: path)
            return (DirectoryDigest.digest(entries), true, entries.reduce(0) { $0 + $1.size })
        default:
            throw Problem(.unsafePath, "\(shown(path)) is \(kind(of: info.st_mode)), not a regular file or a directory")
        }
    }

    /// The sha256 of a regular file and its size. A link at `path` is followed; anything
    /// else that is not a regular file is refused.
    public static func fileDigest(atPath path: String) throws(Problem) -> (digest: SluiceCore.Digest, size: Int64) {
        try hashFile(path, followLink: true, using: SHA256.self)
    }

    /// A regular file's digest in `algorithm` (a `digest:` pin may be sha512 for a file).
    public static func fileDigest(atPath path: String, algorithm: SluiceCore.Digest.Algorithm) throws(Problem)
        -> (digest: SluiceCore.Digest, size: Int64)
    {
        switch algorithm {
        case .sha256: return try hashFile(path, followLink: true, using: SHA256.self)
        case .sha512: return try hashFile(path, followLink: true, using: SHA512.self)
        }
    }

    /// The entries ``DirectoryDigest`` hashes for the directory at `path`: every regular file
    /// below it, with its `/`-separated relative path, size and sha256.
    public static func entries(ofDirectory path: String) throws(Problem) -> [DirectoryDigest.Entry] {
        var entries: [DirectoryDigest.Entry] = []
        try walk(root: path, relative: "", into: &entries)
        return entries
    }

    // MARK: - Walking

    private static func walk(root: String, relative: String, into entries: inout [DirectoryDigest.Entry]) throws(Problem) {
        let directory = relative.isEmpty ? root : root + "/" + relative
        for name in try names(in: directory) {
            let child = relative.isEmpty ? name : relative + "/" + name
            if let bad = name.unicodeScalars.first(where: { $0.value < 0x20 || $0.value == 0x7F }) {
                throw Problem(
                    .unsafePath, "\(shown(root)): the name \(shown(child)) holds the control character U+\(String(bad.value, radix: 16, uppercase: true)), which the directory's listing cannot hold")
            }
            let full = root + "/" + child
            let info = try status(full, following: false)
            switch info.st_mode & S_IFMT {
            case S_IFDIR:
                try walk(root: root, relative: child, into: &entries)
            case S_IFREG:
                let file = try hashFile(full, followLink: false, using: SHA256.self)
                entries.append(DirectoryDigest.Entry(path: child, size: file.size, sha256: file.digest.hex))
            default:
                throw Problem(
                    .unsafePath,
                    "\(shown(root)): \(shown(child)) is \(kind(of: info.st_mode)); a directory artifact holds only regular files and directories")
            }
        }
    }

    /// The names in a directory, without `.` and `..`.
    private static func names(in directory: String) throws(Problem) -> [String] {
        guard let handle = opendir(directory) else { throw failure(errno, "cannot list", directory) }
        defer { closedir(handle) }
        var names: [String] = []
        while true {
            errno = 0
            guard let entry = readdir(handle) else {
                if errno != 0 { throw failure(errno, "cannot list", directory) }
                break
            }
            let bytes = withUnsafeBytes(of: entry.pointee.d_name) { raw in Array(raw.prefix { $0 != 0 }) }
            // The listing is UTF-8; a name that is not cannot be written in it faithfully.
            guard let name = String(validating: bytes, as: UTF8.self) else {
                throw Problem(.unsafePath, "\(shown(directory)) holds a file name that is not UTF-8: \(shown(String(decoding: bytes, as: UTF8.self)))")
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    // MARK: - Files

    /// Opens with `O_NOFOLLOW` inside a directory (no race between the check and the read),
    /// checks the open file is regular, then streams it through SHA-256.
    private static func hashFile<Hash: HashFunction>(_ path: String, followLink: Bool, using: Hash.Type) throws(Problem)
        -> (digest: SluiceCore.Digest, size: Int64)
    {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | (followLink ? 0 : O_NOFOLLOW))
        guard descriptor >= 0 else {
            let code = errno
            if code == ELOOP { throw Problem(.unsafePath, "\(shown(path)) is a symbolic link; a directory artifact holds only regular files") }
            throw failure(code, "cannot open", path)
        }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw failure(errno, "cannot read", path) }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw Problem(.unsafePath, "\(shown(path)) is \(kind(of: info.st_mode)), not a regular file")
        }
        var hasher = Hash()
        var size: Int64 = 0
        var buffer = [UInt8](repeating: 0, count: chunkSize)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, chunkSize) }
            if count < 0 {
                if errno == EINTR { continue }
                throw failure(errno, "cannot read", path)
            }
            if count == 0 { break }
            buffer.withUnsafeBytes { hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: $0.prefix(count))) }
            size += Int64(count)
        }
        let hex = hasher.finalize().map { byte in
            let text = String(byte, radix: 16)
            return byte < 16 ? "0" + text : text
        }.joined()
        return (SluiceCore.Digest(algorithm: Hash.self == SHA512.self ? .sha512 : .sha256, hex: hex), size)
    }

    // MARK: - Helpers

    private static func status(_ path: String, following: Bool) throws(Problem) -> stat {
        var info = stat()
        let result = following ? stat(path, &info) : lstat(path, &info)
        guard result == 0 else { throw failure(errno, "cannot read", path) }
        return info
    }

    /// What a non-regular file is, for messages.
    private static func kind(of mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFLNK: return "a symbolic link"
        case S_IFDIR: return "a directory"
        case S_IFCHR, S_IFBLK: return "a device"
        case S_IFIFO: return "a FIFO"
        case S_IFSOCK: return "a socket"
        default: return "not a regular file"
        }
    }

    private static func failure(_ code: Int32, _ action: String, _ path: String) -> Problem {
        let reason = String(cString: strerror(code))
        return Problem(code == ENOENT ? .notFound : .io, "\(action) \(shown(path)): \(reason)")
    }

    /// A local path as messages show it: quoted, control characters escaped.
    private static func shown(_ path: String) -> String {
        "'" + printable(path) + "'"
    }

    /// `text` with control characters escaped and cut to 200 characters: the one way a path
    /// or a server's text reaches a message or a log.
    public static func printable(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars.prefix(200) {
            out += scalar.value < 0x20 || scalar.value == 0x7F ? "\\u{\(String(scalar.value, radix: 16))}" : String(scalar)
        }
        return text.unicodeScalars.count > 200 ? out + "…" : out
    }
}
