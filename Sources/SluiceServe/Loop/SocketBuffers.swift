import Glibc
import NIOCore

/// A non-blocking socket's reads and writes as both epoll sockets (``EpollServerSocket``,
/// ``EpollUpstreamSocket``) make them: each read into one buffer kept for the next, each write
/// straight to the socket with what it did not take kept until it is writable again.
struct SocketBuffers {
    /// What one read came to.
    enum Read {
        /// Bytes: a view of the read buffer, for the handler to take.
        case bytes(ByteBuffer)
        /// The peer closed its side.
        case closed
        /// Nothing to read now.
        case wouldBlock
        case failed(IOError)
    }

    /// What one write or flush came to.
    enum Write {
        /// Everything given is sent.
        case sent
        /// Some is kept: the socket must be watched for writing (``flush(to:)`` then).
        case kept
        case failed(IOError)
    }

    /// Bytes asked of one read: what NIO's adaptive allocator grows to for requests and answers
    /// of a few KiB; a larger one takes more reads.
    static let readSize = 16 * 1024

    /// Where reads land. Stored in a plain property of a stored struct: a `lazy` one's accessors
    /// copy the buffer, and every read then copied its storage (Benchmarks/README.md, slice 52).
    private var readBuffer = ByteBufferAllocator().buffer(capacity: readSize)
    /// What a short write left, sent when the socket can take it.
    private var unsent: ByteBuffer?

    /// Whether a write left bytes the socket has not taken yet.
    var hasUnsent: Bool { unsent != nil }

    /// Reads once from `fd`: into the last read's storage when nothing holds a slice of it (no
    /// allocation), else into fresh storage without a copy (`ByteBuffer.clear()`).
    mutating func read(from fd: Int32) -> Read {
        readBuffer.clear()
        var result = 0
        readBuffer.writeWithUnsafeMutableBytes(minimumWritableBytes: Self.readSize) { space in
            result = Glibc.read(fd, space.baseAddress, space.count)
            return max(result, 0)
        }
        if result > 0 { return .bytes(readBuffer) }
        if result == 0 { return .closed }
        return errno == EAGAIN || errno == EINTR ? .wouldBlock : .failed(IOError(errnoCode: errno, reason: "read"))
    }

    /// Writes `bytes` to `fd`, after what an earlier write kept.
    mutating func write(_ bytes: ByteBuffer, to fd: Int32) -> Write {
        var bytes = bytes
        if unsent != nil {
            unsent!.writeBuffer(&bytes)
            return .kept
        }
        let written = bytes.withUnsafeReadableBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        if written == bytes.readableBytes { return .sent }
        if written < 0, errno != EAGAIN, errno != EINTR { return .failed(IOError(errnoCode: errno, reason: "write")) }
        bytes.moveReaderIndex(forwardBy: max(written, 0))
        unsent = bytes
        return .kept
    }

    /// Sends what earlier writes kept, as much as `fd` takes now.
    mutating func flush(to fd: Int32) -> Write {
        guard var bytes = unsent else { return .sent }
        let written = bytes.withUnsafeReadableBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        if written < 0 { return errno == EAGAIN || errno == EINTR ? .kept : .failed(IOError(errnoCode: errno, reason: "write")) }
        bytes.moveReaderIndex(forwardBy: written)
        unsent = bytes.readableBytes > 0 ? bytes : nil
        return unsent == nil ? .sent : .kept
    }

    /// Drops what is kept (the socket is closed).
    mutating func dropUnsent() {
        unsent = nil
    }
}
