import Foundation

/// A whole input file's bytes for `sluice drift` and `sluice baseline build`. A regular file is
/// mapped read-only and populated in one call: no copy out of the page cache and no page
/// fault per 4 KiB, which were a fifth of `sluice drift`'s time on two 20 MB files, and its
/// pages count once in the peak RSS, as the array they replace did. Pipes and process
/// substitutions (`<(…)`) are read to their end into memory.
///
/// A file truncated by another process while it is mapped would fault on access (SIGBUS),
/// as with any tool that maps its input; drift inputs are files at rest.
final class FileBytes {
    private enum Storage {
        case mapped(UnsafeMutableRawPointer, Int)
        case read([UInt8])
    }

    private let storage: Storage

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
        if size > 0, let address = mmap(nil, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, descriptor, 0), address != MAP_FAILED {
            storage = .mapped(address, size)
        } else {
            storage = .read(try Self.readToEnd(descriptor, path: path, sizeHint: size))
        }
    }

    deinit {
        if case .mapped(let address, let size) = storage { munmap(address, size) }
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
