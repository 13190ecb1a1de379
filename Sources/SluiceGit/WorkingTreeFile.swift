#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads one file of a working tree the way the commit reader treats a tree: only a regular
/// file is a manifest. Every component of the path is opened without following symbolic
/// links, so a link anywhere on the way (`manifests/t.yaml -> /run/secrets/token`, or a linked
/// directory) is never followed out of the repository: it counts as no manifest, as a link in
/// a commit does. A file over the size cap is measured, never read.
enum WorkingTreeFile {
    /// What is at a path.
    enum Entry {
        /// Nothing, or something that is not a manifest (a symbolic link, a directory, a FIFO).
        case absent
        /// A regular file: its bytes, or only its size when over the cap.
        case file(BlobContent)
    }

    /// What is at `relativePath` (separated by `/`) under the directory `root`.
    static func entry(at relativePath: String, under root: String, maxBytes: Int) throws(GitError) -> Entry {
        var directory = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard directory >= 0 else { throw GitError.refused("cannot open the working tree '\(root)': \(systemError())") }
        defer { close(directory) }
        let components = relativePath.split(separator: "/").map(String.init)
        guard let last = components.last, !components.contains("..") else { return .absent }
        for component in components.dropLast() {
            let next = openat(directory, component, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            // ENOENT, ENOTDIR and ELOOP (a link) alike: there is no manifest at this path.
            guard next >= 0 else { return try absentOrThrow(relativePath) }
            close(directory)
            directory = next
        }
        let descriptor = openat(directory, last, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard descriptor >= 0 else { return try absentOrThrow(relativePath) }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw GitError.refused("cannot read '\(relativePath)': \(systemError())") }
        guard info.st_mode & S_IFMT == S_IFREG else { return .absent }
        let size = Int(info.st_size)
        guard size <= maxBytes else { return .file(BlobContent(bytes: nil, size: size)) }
        // Read one byte more than the size the file had: a file that grew meanwhile is over the cap or read whole.
        var bytes = [UInt8](repeating: 0, count: size + 1)
        var filled = 0
        while filled < bytes.count {
            let count = bytes.withUnsafeMutableBytes { buffer in read(descriptor, buffer.baseAddress! + filled, buffer.count - filled) }
            if count < 0, errno == EINTR { continue }
            guard count >= 0 else { throw GitError.refused("cannot read '\(relativePath)': \(systemError())") }
            guard count > 0 else { break }
            filled += count
        }
        guard filled <= maxBytes else { return .file(BlobContent(bytes: nil, size: filled)) }
        return .file(BlobContent(bytes: Array(bytes.prefix(filled)), size: filled))
    }

    /// A path that is gone, not a directory on the way, or a link is no manifest; any other
    /// failure (permissions, I/O) is an error that names the path.
    private static func absentOrThrow(_ path: String) throws(GitError) -> Entry {
        switch errno {
        case ENOENT, ENOTDIR, ELOOP: return .absent
        default: throw GitError.refused("cannot read '\(path)': \(systemError())")
        }
    }

    private static func systemError() -> String { String(cString: strerror(errno)) }
}
