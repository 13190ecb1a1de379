import Foundation

/// A whole input file's bytes for `sluice drift` and `sluice baseline build`. A regular file is
/// mapped read-only: no copy out of the page cache, and no page fault per 4 KiB (the array
/// it replaces cost a fifth of `sluice drift`'s time on two 20 MB files). As the CSV reader
/// moves on (``reading(at:)``), the next few megabytes are paged in with one call and those it
/// has passed are released, so a file adds only its window to the peak RSS, not its size.
/// Pipes and process substitutions (`<(…)`) are read to their end into memory.
///
/// A file truncated by another process while it is mapped would fault on access (SIGBUS),
/// as with any tool that maps its input; drift inputs are files at rest.
final class FileBytes {
    private enum Storage {
        case mapped(UnsafeMutableRawPointer, Int)
        case read([UInt8])
    }

    private let storage: Storage
    /// Mapped bytes below this offset have been released, and those below `populated` paged in.
    private var released = 0, populated = 0
    /// How far ahead of the reader pages are brought in.
    private static let window = 4 << 20
    private static let page = Int(getpagesize())
    /// `MADV_POPULATE_READ` (Linux 5.14): page in and map, as a read would. Older kernels
    /// refuse it, and the pages then fault in as they are read.
    private static let populateRead: Int32 = 22

    /// Opens and maps (or reads) `path`; errors are worded for the user.
    init(path: String) throws(DriftInput.Failure) {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw DriftInput.Failure(description: "\(path): \(errno == ENOENT ? "no such file" : "cannot read the file")")
        }
        defer { close(descriptor) }
        var status = stat()
        let regular = fstat(descriptor, &status) == 0 && status.st_mode & S_IFMT == S_IFREG
        let size = regular ? Int(status.st_size) : 0
        if size > 0, let address = mmap(nil, size, PROT_READ, MAP_PRIVATE, descriptor, 0), address != MAP_FAILED {
            storage = .mapped(address, size)
            reading(at: 0)
        } else {
            storage = .read(try Self.readToEnd(descriptor, path: path, sizeHint: size))
        }
    }

    deinit {
        if case .mapped(let address, let size) = storage { munmap(address, size) }
    }

    /// The reader has reached `offset`: pages in the window after it and releases the pages
    /// before it. Released pages of a private read-only mapping read again from the page cache
    /// if touched (an error message, a second pass), so this changes memory, never content.
    func reading(at offset: Int) {
        guard case .mapped(let address, let size) = storage else { return }
        let behind = max(0, offset - Self.page) / Self.page * Self.page
        if behind > released {
            madvise(address + released, behind - released, MADV_DONTNEED)
            released = behind
        }
        let ahead = min(size, offset + Self.window)
        if ahead > populated {
            let start = populated / Self.page * Self.page
            _ = madvise(address + start, ahead - start, Self.populateRead)
            populated = ahead
        }
    }

    /// Calls `body` with the bytes, valid only during the call.
    func withUnsafeBytes<Result, Failure: Error>(_ body: (UnsafeBufferPointer<UInt8>) throws(Failure) -> Result) throws(Failure) -> Result {
        switch storage {
        case .mapped(let address, let size):
            return try body(UnsafeBufferPointer(start: address.assumingMemoryBound(to: UInt8.self), count: size))
        case .read(let bytes):
            // withUnsafeBufferPointer's closure is rethrows, not typed: route the typed error around it.
            var result: Swift.Result<Result, Failure>!
            bytes.withUnsafeBufferPointer { buffer in
                result = Swift.Result { () throws(Failure) in try body(buffer) }
            }
            return try result.get()
        }
    }

    /// The bytes as an array (a copy when mapped), for the small JSON baselines.
    var array: [UInt8] { withUnsafeBytes { Array($0) } }

    /// Reads to the end of the file, straight into one array sized for it when the size is known.
    private static func readToEnd(_ descriptor: Int32, path: String, sizeHint: Int) throws(DriftInput.Failure) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(sizeHint)
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let got = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if got == 0 { return bytes }
            if got > 0 {
                bytes.append(contentsOf: chunk[..<got])
            } else if errno != EINTR {
                throw DriftInput.Failure(description: "\(path): cannot read the file")
            }
        }
    }
}
