#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a manifest file for `sluice validate` without leaving the directory being checked.
///
/// CI runs the validator on pull requests, so a file may be a symbolic link an attacker
/// committed (`manifests/t.yaml -> /run/secrets/token`). A file whose real path is outside its
/// root is refused before it is opened, so nothing of what it points to can reach a report.
enum ManifestSource {
    /// Why a file was not read.
    enum Refusal: Error, Equatable {
        /// Its real path (symbolic links resolved) is outside the root.
        case outsideRoot(root: String)
        /// It is not a regular file (a FIFO, a device, a directory).
        case notRegularFile
        /// It is larger than a manifest may be: its size only.
        case tooLarge(size: Int)
        /// The system refused to resolve or read it.
        case unreadable(reason: String)
    }

    /// The content of `path`, or why it was not read. `maxBytes` bounds what is read.
    static func contents(of path: String, root: String, maxBytes: Int) -> Result<[UInt8], Refusal> {
        guard let realRoot = realPath(root) else { return .failure(.unreadable(reason: systemError())) }
        guard let real = realPath(path) else { return .failure(.unreadable(reason: systemError())) }
        let prefix = realRoot == "/" ? "/" : realRoot + "/"
        guard real == realRoot || real.hasPrefix(prefix) else { return .failure(.outsideRoot(root: root)) }
        // The real path has no link left; O_NOFOLLOW refuses one swapped in since.
        let descriptor = open(real, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)
        guard descriptor >= 0 else { return .failure(.unreadable(reason: systemError())) }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { return .failure(.unreadable(reason: systemError())) }
        guard info.st_mode & S_IFMT == S_IFREG else { return .failure(.notRegularFile) }
        let size = Int(info.st_size)
        guard size <= maxBytes else { return .failure(.tooLarge(size: size)) }
        var bytes = [UInt8](repeating: 0, count: size)
        var filled = 0
        while filled < size {
            let count = bytes.withUnsafeMutableBytes { buffer in
                read(descriptor, buffer.baseAddress! + filled, size - filled)
            }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            filled += count
        }
        return .success(Array(bytes.prefix(filled)))
    }

    private static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    private static func systemError() -> String { String(cString: strerror(errno)) }
}

extension ManifestSource.Refusal {
    /// What the report says, naming no target and quoting no content.
    var message: String {
        switch self {
        case .outsideRoot(let root):
            return "this file resolves outside '\(root)', the directory being validated (a symbolic link out of it); it was not read"
        case .notRegularFile:
            return "this is not a regular file; it was not read"
        case .tooLarge(let size):
            return "file is \(size) bytes, more than a manifest may be; it was not read"
        case .unreadable(let reason):
            return "cannot read the file: \(reason)"
        }
    }
}

