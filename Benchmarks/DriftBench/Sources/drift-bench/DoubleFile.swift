#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Raw little-endian float64 files, as numpy's `ndarray.tofile` writes them.
struct DoubleFile {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    let descriptor: Int32
    let path: String

    init(_ path: String) throws(Failure) {
        descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { throw Failure(description: "cannot open \(path): errno \(errno)") }
        self.path = path
    }

    func close() { systemClose(descriptor) }

    /// Values in the file (its size over 8).
    func count() -> Int {
        var info = stat()
        fstat(descriptor, &info)
        return Int(info.st_size) / 8
    }

    /// Reads up to `buffer.count` values into `buffer`; how many were read (0 at the end).
    func read(into buffer: UnsafeMutableBufferPointer<Double>) throws(Failure) -> Int {
        let raw = UnsafeMutableRawBufferPointer(buffer)
        var filled = 0
        while filled < raw.count {
            let got = systemRead(descriptor, raw.baseAddress! + filled, raw.count - filled)
            if got < 0 { throw Failure(description: "cannot read \(path): errno \(errno)") }
            if got == 0 { break }
            filled += got
        }
        return filled / 8
    }

    /// The whole file as doubles.
    static func readAll(_ path: String) throws(Failure) -> [Double] {
        let file = try DoubleFile(path)
        defer { file.close() }
        let n = file.count()
        var failure: Failure? = nil
        let values = [Double](unsafeUninitializedCapacity: n) { buffer, initialized in
            do throws(Failure) { initialized = try file.read(into: buffer) } catch { failure = error }
        }
        if let failure { throw failure }
        return values
    }
}

private func systemClose(_ descriptor: Int32) { _ = close(descriptor) }

private func systemRead(_ descriptor: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int { read(descriptor, buffer, count) }
