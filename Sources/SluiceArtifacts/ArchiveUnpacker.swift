import Foundation
import SluiceCore

/// Caps that stop an archive bomb before the disk fills.
public struct ArchiveLimits: Sendable, Hashable {
    /// The most bytes all unpacked files may hold together (the artifact size cap).
    public var maxBytes: Int64
    /// The most members (every header counts, directories and metadata too).
    public var maxEntries: Int

    public init(maxBytes: Int64, maxEntries: Int = 100_000) {
        self.maxBytes = maxBytes
        self.maxEntries = maxEntries
    }
}

/// Unpacks a downloaded `.tar.gz` or `.zip` artifact into a directory, safe by construction:
/// only regular files and directories are created, each path is checked before use and
/// walked from the directory with `O_NOFOLLOW`, files are created `O_EXCL` (0600, dirs 0700).
/// Symlinks, hard links, devices, FIFOs, absolute paths, `..` and paths over 4096 bytes are
/// refused (`.unsafePath`, naming the member); more bytes or members than ``ArchiveLimits``
/// allow are refused (`.tooLarge`). Decompression is the system zlib's.
///
/// Tar: ustar, GNU long names (`L`), pax `path`/`size` records; zip: stored and deflated
/// entries with their CRC-32 checked (no zip64, no encryption: `.unsupported`).
public enum ArchiveUnpacker {
    /// What was unpacked.
    public struct Summary: Sendable, Hashable {
        /// Regular files created.
        public var files: Int
        /// Their bytes together.
        public var bytes: Int64
    }

    /// Unpacks `archive` (a file of `format`) into `directory`, which must be missing or empty.
    /// Once unpacking started, a failure removes the directory: a refused archive leaves
    /// nothing behind.
    /// `name` is how errors call the archive (the artifact's redacted URI); `sync` fsyncs
    /// each file. Blocking file I/O: call it off Swift's cooperative pool (see
    /// ``unpackDetached(_:format:into:limits:name:sync:)``).
    @discardableResult
    public static func unpack(
        _ archive: String, format: ArchiveFormat, into directory: String, limits: ArchiveLimits, name: String? = nil, sync: Bool = true
    ) throws -> Summary {
        let display = name ?? archive
        let descriptor = open(archive, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw ArtifactFetchError(.io, "cannot open the archive \(display): \(ArchiveDestination.reason())") }
        defer { close(descriptor) }
        // Not inside the `do`: a directory that is not ours (not empty) is never removed.
        let destination = try ArchiveDestination(path: directory, sync: sync, archive: display)
        do {
            switch format {
            case .tarGzip:
                var info = stat()
                guard fstat(descriptor, &info) == 0 else { throw ArtifactFetchError(.io, "cannot read the archive \(display): \(ArchiveDestination.reason())") }
                let file = ArchiveFileRange(descriptor: descriptor, offset: 0, end: Int64(info.st_size))
                let stream = try ArchiveInflater(file, format: .gzip, name: display)
                return try TarReader(stream, name: display, limits: limits).unpack(into: destination)
            case .zip:
                return try ZipReader(descriptor: descriptor, name: display, limits: limits).unpack(into: destination)
            }
        } catch {
            try? FileManager.default.removeItem(atPath: directory)
            throw error
        }
    }

    /// ``unpack(_:format:into:limits:name:sync:)`` on a thread of its own, so the blocking
    /// reads and writes never hold a thread of Swift's cooperative pool.
    @discardableResult
    public static func unpackDetached(
        _ archive: String, format: ArchiveFormat, into directory: String, limits: ArchiveLimits, name: String? = nil, sync: Bool = true
    ) async throws -> Summary {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                continuation.resume(with: Result { try unpack(archive, format: format, into: directory, limits: limits, name: name, sync: sync) })
            }
            thread.name = "sluice-unpack"
            thread.start()
        }
    }
}
