import CSluiceEpoll
import Glibc
import NIOCore

/// A caller's connection as a non-blocking socket on an ``EpollEventLoop``: the
/// ``ServerTransport`` under a ``RequestHandler`` with no NIO channel (Benchmarks/README.md,
/// "Hot path, slice 52"). Touched only on its loop.
final class EpollServerSocket: EpollSource, ServerTransport, @unchecked Sendable {
    private enum State {
        case open
        /// The last answer is written or being written: input is read and dropped until the close.
        case lingering(TimeAmount)
        case closed
    }

    /// Bytes asked of one read: a request of a few KiB in one; a larger body takes more.
    static let readSize = 16 * 1024

    private let loop: EpollEventLoop
    private let fd: Int32
    private let handler: RequestHandler
    private let allocator = ByteBufferAllocator()
    /// Where reads land, kept for the next read (``readable()``). Stored, not `lazy`: a lazy
    /// property's accessors copy the buffer, so every read would copy its storage.
    private var readBuffer = ByteBufferAllocator().buffer(capacity: EpollServerSocket.readSize)
    /// Called once when the connection closes (the listener's count of open connections).
    private let onClose: () -> Void
    let remoteAddress: String?
    private var state = State.open
    /// What a short write left, sent when the socket can take it.
    private var unsent: ByteBuffer?
    /// Reading is held back (``RequestHandler/mayRead()``).
    private var paused = false

    /// Takes `fd` (accepted, non-blocking) onto `loop` and attaches `handler` to it.
    init(fd: Int32, remoteAddress: String?, handler: RequestHandler, on loop: EpollEventLoop, onClose: @escaping () -> Void) throws {
        self.loop = loop
        self.fd = fd
        self.handler = handler
        self.remoteAddress = remoteAddress
        self.onClose = onClose
        try loop.register(fd, self)
        handler.attach(self, eventLoop: loop, allocator: allocator)
        handler.active()
    }

    // MARK: - ServerTransport

    func writeAndFlush(_ bytes: ByteBuffer) {
        switch state {
        case .closed: return
        case .open, .lingering: break
        }
        var bytes = bytes
        if unsent != nil {
            unsent!.writeBuffer(&bytes)
            return
        }
        let written = bytes.withUnsafeReadableBytes { write(fd, $0.baseAddress, $0.count) }
        if written == bytes.readableBytes { return }
        if written < 0, errno != EAGAIN, errno != EINTR {
            // Closed later, as NIO closes on a failed write: not from inside the handler's write.
            loop.execute { self.close() }
            return
        }
        bytes.moveReaderIndex(forwardBy: max(written, 0))
        unsent = bytes
        try? loop.watch(fd, readable: !paused, writable: true)
    }

    func writeLast(_ bytes: ByteBuffer, thenCloseAfter linger: TimeAmount) {
        guard case .open = state else { return }
        writeAndFlush(bytes)
        guard case .open = state else { return }
        state = .lingering(linger)
        if unsent == nil { finishOutput(linger) }
    }

    func resumeReading() {
        guard paused, !isClosed else { return }
        paused = false
        try? loop.watch(fd, readable: true, writable: unsent != nil)
    }

    func close() {
        guard !isClosed else { return }
        state = .closed
        loop.deregister(fd)
        Glibc.close(fd)
        unsent = nil
        onClose()
        // As NIO's pipeline tells a closed channel's handler: later, inactive then removed.
        loop.execute {
            self.handler.inactive()
            self.handler.detach()
        }
    }

    private var isClosed: Bool {
        if case .closed = state { return true }
        return false
    }

    /// The last answer is sent: no more output, and the whole connection `linger` from now.
    private func finishOutput(_ linger: TimeAmount) {
        shutdown(fd, Int32(SHUT_WR))
        loop.scheduleTask(in: linger) { self.close() }
    }

    // MARK: - EpollSource

    func readable() {
        if isClosed { return }
        // Held back, the socket is watched only for hang-ups and errors, which end it.
        if paused { return close() }
        if case .open = state, !handler.mayRead() {
            paused = true
            try? loop.watch(fd, readable: false, writable: unsent != nil)
            return
        }
        // The last read's storage again when nothing holds a slice of it (no allocation), else
        // fresh storage without a copy (`clear`).
        readBuffer.clear()
        var result = 0
        readBuffer.writeWithUnsafeMutableBytes(minimumWritableBytes: Self.readSize) { space in
            result = read(fd, space.baseAddress, space.count)
            return max(result, 0)
        }
        if result > 0 {
            // While lingering the handler drops what arrives.
            var buffer = readBuffer
            handler.received(&buffer)
        } else if result == 0 {
            close()
        } else if errno != EAGAIN, errno != EINTR {
            close()
        }
    }

    func writable() {
        guard !isClosed, var bytes = unsent else { return }
        let written = bytes.withUnsafeReadableBytes { write(fd, $0.baseAddress, $0.count) }
        if written < 0 {
            if errno != EAGAIN, errno != EINTR { close() }
            return
        }
        bytes.moveReaderIndex(forwardBy: written)
        if bytes.readableBytes > 0 {
            unsent = bytes
            return
        }
        unsent = nil
        try? loop.watch(fd, readable: !paused, writable: false)
        if case .lingering(let linger) = state { finishOutput(linger) }
    }

    func loopShutDown() {
        close()
    }
}
