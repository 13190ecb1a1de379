import CZlib
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Bytes read in order, chunk by chunk: what the tar reader consumes.
protocol ArchiveByteStream: AnyObject {
    /// Fills the start of `buffer`; returns how many bytes were read, 0 only at the end.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
}

/// A byte range of an open file, read with `pread` (no shared file offset).
final class ArchiveFileRange: ArchiveByteStream {
    private let descriptor: Int32
    private var offset: Int64
    private let end: Int64

    init(descriptor: Int32, offset: Int64, end: Int64) {
        self.descriptor = descriptor
        self.offset = offset
        self.end = end
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let wanted = Int(min(Int64(buffer.count), end - offset))
        guard wanted > 0, let base = buffer.baseAddress else { return 0 }
        while true {
            let count = pread(descriptor, base, wanted, off_t(offset))
            if count < 0, errno == EINTR { continue }
            guard count >= 0 else { throw ArtifactFetchError(.io, "cannot read the archive: \(String(cString: strerror(errno)))") }
            offset += Int64(count)
            return count
        }
    }
}

/// zlib's inflate over a compressed ``ArchiveByteStream``: gzip (every member of a
/// multi-member file, as `gzip -d` reads it) or the raw deflate of a zip entry.
final class ArchiveInflater: ArchiveByteStream {
    enum Format {
        /// RFC 1952 gzip members, one after the other.
        case gzip
        /// RFC 1951 raw deflate (a zip entry).
        case rawDeflate
    }

    private let input: any ArchiveByteStream
    private let format: Format
    private let stream: UnsafeMutablePointer<z_stream>
    private let inputBuffer: UnsafeMutableRawBufferPointer
    private var inputEnded = false
    private var finished = false
    /// inflateInit succeeded: `deinit` must call inflateEnd.
    private var started = false
    private let name: String

    /// `name` (the artifact, redacted) is what errors call the archive.
    init(_ input: any ArchiveByteStream, format: Format, name: String) throws {
        self.input = input
        self.format = format
        self.name = name
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        inputBuffer = .allocate(byteCount: 64 << 10, alignment: 16)
        let windowBits: Int32 = format == .gzip ? 15 + 16 : -15
        let status = inflateInit2_(stream, windowBits, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else { throw ArtifactFetchError(.io, "cannot start zlib (\(status))") }
        started = true
    }

    deinit {
        if started { inflateEnd(stream) }
        stream.deinitialize(count: 1)
        stream.deallocate()
        inputBuffer.deallocate()
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard !finished, let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        stream.pointee.next_out = base.assumingMemoryBound(to: Bytef.self)
        stream.pointee.avail_out = uInt(min(buffer.count, Int(UInt32.max)))
        while stream.pointee.avail_out > 0 {
            if stream.pointee.avail_in == 0 && !inputEnded { try refill() }
            let status = inflate(stream, Z_NO_FLUSH)
            switch status {
            case Z_OK:
                continue
            case Z_STREAM_END:
                if format == .rawDeflate {
                    finished = true
                } else {
                    // Another gzip member may follow (`cat a.gz b.gz` is a valid gzip file).
                    if stream.pointee.avail_in == 0 && !inputEnded { try refill() }
                    if stream.pointee.avail_in == 0 {
                        finished = true
                    } else {
                        inflateReset(stream)
                        continue
                    }
                }
            case Z_BUF_ERROR where stream.pointee.avail_in == 0 && inputEnded:
                throw ArtifactFetchError(.badResponse, "the archive \(name) ends in the middle of its compressed data (truncated)")
            case Z_BUF_ERROR:
                continue
            default:
                throw ArtifactFetchError(.badResponse, "the archive \(name) is not valid \(format == .gzip ? "gzip" : "deflate") data (zlib error \(status))")
            }
            break
        }
        return buffer.count - Int(stream.pointee.avail_out)
    }

    private func refill() throws {
        let count = try input.read(into: inputBuffer)
        if count == 0 {
            inputEnded = true
            return
        }
        stream.pointee.next_in = inputBuffer.baseAddress?.assumingMemoryBound(to: Bytef.self)
        stream.pointee.avail_in = uInt(count)
    }
}

/// CRC-32 (zip's checksum) through zlib, over chunks as they are written.
struct ArchiveCRC32 {
    private(set) var value: UInt = crc32(0, nil, 0)

    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        value = crc32(value, base.assumingMemoryBound(to: Bytef.self), uInt(bytes.count))
    }
}
