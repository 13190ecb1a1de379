#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// write(2), named apart from ``ArchiveFileWriter/write(_:)``.
private func systemWrite(_ descriptor: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    write(descriptor, bytes, count)
}

/// The directory an archive is unpacked into. Every path is walked component by component
/// from the root's descriptor with `O_NOFOLLOW`, and files are created with `O_EXCL`: nothing
/// an archive holds can write outside the root, follow a link or overwrite an earlier member.
/// Directories are created 0700 and files 0600 (the cache decides who may read them later).
final class ArchiveDestination {
    private let root: Int32
    private let sync: Bool
    /// The archive, as errors name it.
    private let archive: String

    /// Opens `path`, creating it (0700) when missing; it must be an empty directory.
    init(path: String, sync: Bool, archive: String) throws {
        self.archive = archive
        if mkdir(path, 0o700) != 0 && errno != EEXIST {
            throw ArtifactFetchError(.io, "cannot create \(path): \(Self.reason())")
        }
        let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard descriptor >= 0 else { throw ArtifactFetchError(.io, "cannot open \(path) as a directory: \(Self.reason())") }
        root = descriptor
        self.sync = sync
        guard let listing = fdopendir(dup(descriptor)) else { return }
        defer { closedir(listing) }
        while let entry = readdir(listing) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self) }
            guard name == "." || name == ".." else {
                throw ArtifactFetchError(.io, "cannot unpack into \(path): the directory is not empty")
            }
        }
    }

    deinit { close(root) }

    /// Creates directory `components` (and its parents) unless it exists as a directory.
    func makeDirectory(_ components: [String]) throws {
        let parent = try openParent(of: components, display: components.joined(separator: "/"))
        defer { if parent != root { close(parent) } }
        guard let last = components.last else { return }
        try makeChild(last, in: parent, display: components.joined(separator: "/"))
    }

    /// Creates regular file `components` (0600, `O_EXCL`) and returns its writer.
    func createFile(_ components: [String]) throws -> ArchiveFileWriter {
        let display = components.joined(separator: "/")
        let parent = try openParent(of: components, display: display)
        defer { if parent != root { close(parent) } }
        guard let last = components.last else { throw ArtifactFetchError(.unsafePath, "an archive member has an empty path") }
        let descriptor = openat(parent, last, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            if errno == EEXIST {
                throw ArtifactFetchError(.unsafePath, "the archive \(archive) holds '\(ArtifactFetchError.printable(display))' twice (or as a file and a directory); nothing is overwritten")
            }
            throw ArtifactFetchError(.io, "cannot create '\(ArtifactFetchError.printable(display))': \(Self.reason())")
        }
        return ArchiveFileWriter(descriptor: descriptor, display: display, sync: sync)
    }

    /// The directory holding `components`' last one, created as needed; the caller closes it
    /// unless it is the root.
    private func openParent(of components: [String], display: String) throws -> Int32 {
        var current = root
        for name in components.dropLast() {
            try makeChild(name, in: current, display: display)
            let next = openat(current, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            if current != root { close(current) }
            guard next >= 0 else {
                throw ArtifactFetchError(.unsafePath, "the archive \(archive) holds '\(ArtifactFetchError.printable(display))' under a name that is already a file")
            }
            current = next
        }
        return current
    }

    private func makeChild(_ name: String, in parent: Int32, display: String) throws {
        guard mkdirat(parent, name, 0o700) != 0 else { return }
        guard errno == EEXIST else { throw ArtifactFetchError(.io, "cannot create the directory of '\(ArtifactFetchError.printable(display))': \(Self.reason())") }
        var info = stat()
        guard fstatat(parent, name, &info, AT_SYMLINK_NOFOLLOW) == 0, (info.st_mode & 0o170000) == 0o040000 else {
            throw ArtifactFetchError(.unsafePath, "the archive \(archive) holds '\(ArtifactFetchError.printable(display))' under a name that is already a file")
        }
    }

    static func reason() -> String { String(cString: strerror(errno)) }
}

/// One file being unpacked: writes every byte (retrying short writes), fsyncs when asked,
/// and closes once.
final class ArchiveFileWriter {
    private var descriptor: Int32
    private let display: String
    private let sync: Bool

    init(descriptor: Int32, display: String, sync: Bool) {
        self.descriptor = descriptor
        self.display = display
        self.sync = sync
    }

    deinit { if descriptor >= 0 { close(descriptor) } }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        var done = 0
        while done < bytes.count, let base = bytes.baseAddress {
            let count = systemWrite(descriptor, base + done, bytes.count - done)
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { throw ArtifactFetchError(.io, "cannot write '\(ArtifactFetchError.printable(display))': \(ArchiveDestination.reason())") }
            done += count
        }
    }

    func finish() throws {
        defer {
            close(descriptor)
            descriptor = -1
        }
        if sync, fsync(descriptor) != 0 {
            throw ArtifactFetchError(.io, "cannot sync '\(ArtifactFetchError.printable(display))': \(ArchiveDestination.reason())")
        }
    }
}
