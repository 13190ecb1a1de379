import Crypto
import Foundation
import SluiceCore

#if canImport(Glibc)
import Glibc
#endif

/// The POSIX calls the cache needs, each checked once here: errors become `.io` naming the
/// path and the call, so a full disk or a wrong permission reads plainly in the log.
enum CacheFiles {
    /// `errno` as text.
    static func reason() -> String { String(cString: strerror(errno)) }

    /// Creates `path` (and its parents) with mode 0700, or tightens an existing one to 0700.
    static func makeDirectory(_ path: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw ArtifactFetchError(.io, "cannot create the cache directory '\(path)': \(error.localizedDescription)")
        }
        guard chmod(path, 0o700) == 0 else { throw ArtifactFetchError(.io, "cannot set mode 0700 on '\(path)': \(reason())") }
    }

    /// Flushes the directory entry list of `path` (after a rename or create inside it).
    static func syncDirectory(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_DIRECTORY)
        guard fd >= 0 else { throw ArtifactFetchError(.io, "cannot open '\(path)' to sync it: \(reason())") }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw ArtifactFetchError(.io, "fsync of '\(path)' failed: \(reason())") }
    }

    /// Flushes the file at `path` to disk.
    static func syncFile(_ path: String) throws {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw ArtifactFetchError(.io, "cannot open '\(path)' to sync it: \(reason())") }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw ArtifactFetchError(.io, "fsync of '\(path)' failed: \(reason())") }
    }

    /// Renames atomically; false when `destination` already exists as a non-empty directory
    /// (another fetch produced the same content first).
    static func move(_ source: String, to destination: String) throws -> Bool {
        if rename(source, destination) == 0 { return true }
        if errno == ENOTEMPTY || errno == EEXIST || errno == EISDIR { return false }
        throw ArtifactFetchError(.io, "cannot rename '\(source)' to '\(destination)': \(reason())")
    }

    /// Removes a file or a whole tree; a missing path is fine.
    static func remove(_ path: String) {
        try? FileManager.default.removeItem(atPath: path)
    }

    /// The `lstat` of `path`, or nil when it does not exist.
    static func status(_ path: String) -> stat? {
        var info = stat()
        return lstat(path, &info) == 0 ? info : nil
    }

    /// True for a directory (not following a link).
    static func isDirectory(_ info: stat) -> Bool { (info.st_mode & S_IFMT) == S_IFDIR }
    /// True for a regular file (not following a link).
    static func isRegular(_ info: stat) -> Bool { (info.st_mode & S_IFMT) == S_IFREG }

    /// Modification time in nanoseconds.
    static func modified(_ info: stat) -> Int64 { Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec) }

    /// Every regular file under `root` as (relative path, lstat), sorted by path; throws
    /// `.unsafePath` for a symbolic link or any other non-regular file.
    static func regularFiles(under root: String) throws -> [(path: String, info: stat)] {
        var found: [(path: String, info: stat)] = []
        func walk(_ relative: String) throws {
            let absolute = relative.isEmpty ? root : "\(root)/\(relative)"
            let names: [String]
            do {
                names = try FileManager.default.contentsOfDirectory(atPath: absolute)
            } catch {
                throw ArtifactFetchError(.io, "cannot list '\(absolute)': \(error.localizedDescription)")
            }
            for name in names {
                let path = relative.isEmpty ? name : "\(relative)/\(name)"
                guard let info = status("\(root)/\(path)") else { throw ArtifactFetchError(.io, "'\(root)/\(path)' vanished while it was read") }
                if isDirectory(info) {
                    try walk(path)
                } else if isRegular(info) {
                    found.append((path, info))
                } else {
                    throw ArtifactFetchError(.unsafePath, "'\(ArtifactFetchError.printable(path))' is a link or a special file; an artifact holds regular files only")
                }
            }
        }
        try walk("")
        return found.sorted { Array($0.path.utf8).lexicographicallyPrecedes(Array($1.path.utf8)) }
    }

    /// sha256 (hex) and size of the file at `path`, read in 1 MiB chunks (never whole).
    static func sha256(of path: String) throws -> (hex: String, size: Int64) {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw ArtifactFetchError(.io, "cannot read '\(path)': \(reason())") }
        defer { close(fd) }
        var hasher = SHA256()
        var size: Int64 = 0
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count >= 0 else { throw ArtifactFetchError(.io, "cannot read '\(path)': \(reason())") }
            if count == 0 { break }
            buffer.withUnsafeBytes { hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
            size += Int64(count)
        }
        return (hasher.finalize().hex, size)
    }

    /// The digest of a directory tree on disk (``DirectoryDigest``) and its total size.
    static func directoryDigest(of root: String) throws -> (digest: SluiceCore.Digest, size: Int64) {
        var entries: [DirectoryDigest.Entry] = []
        var total: Int64 = 0
        for file in try regularFiles(under: root) {
            let (hex, size) = try sha256(of: "\(root)/\(file.path)")
            entries.append(DirectoryDigest.Entry(path: file.path, size: size, sha256: hex))
            total += size
        }
        return (DirectoryDigest.digest(entries), total)
    }

    /// Writes `data` to `path` atomically: a temporary sibling, fsync, rename, fsync of the directory.
    static func writeAtomically(_ data: Data, to path: String) throws {
        let temporary = "\(path).tmp-\(UUID().uuidString)"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else { throw ArtifactFetchError(.io, "cannot create '\(temporary)': \(reason())") }
        var ok = true
        data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let count = write(fd, raw.baseAddress! + offset, raw.count - offset)
                if count < 0, errno == EINTR { continue }
                guard count > 0 else {
                    ok = false
                    return
                }
                offset += count
            }
        }
        let failure = ok ? nil : reason()
        let synced = fsync(fd) == 0
        close(fd)
        guard ok, synced else {
            unlink(temporary)
            throw ArtifactFetchError(.io, "cannot write '\(path)': \(failure ?? reason())")
        }
        guard rename(temporary, path) == 0 else {
            let failure = reason()
            unlink(temporary)
            throw ArtifactFetchError(.io, "cannot rename '\(temporary)' to '\(path)': \(failure)")
        }
        try syncDirectory((path as NSString).deletingLastPathComponent)
    }

    /// Runs `work` on a thread of its own: hashing gigabytes must not hold one of the few
    /// threads of Swift's cooperative pool.
    static func offload<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread { continuation.resume(with: Result { try work() }) }
            thread.start()
        }
    }
}
