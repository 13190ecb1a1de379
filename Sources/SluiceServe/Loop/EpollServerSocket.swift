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

    private let loop: EpollEventLoop
    private let fd: Int32
    private let handler: RequestHandler
    private let allocator = ByteBufferAllocator()
    private var buffers = SocketBuffers()
    /// Called once when the connection closes (the listener's count of open connections).
    private let onClose: () -> Void
    /// The listener that accepted it (``drain(of:)``).
    private let owner: ObjectIdentifier?
    let remoteAddress: String?
    private var state = State.open
    /// Reading is held back (``RequestHandler/mayRead()``).
    private var paused = false

    /// Takes `fd` (accepted, non-blocking) onto `loop` and attaches `handler` to it.
    init(
        fd: Int32, remoteAddress: String?, handler: RequestHandler, on loop: EpollEventLoop, owner: ObjectIdentifier? = nil,
        onClose: @escaping () -> Void
    ) throws {
        self.loop = loop
        self.owner = owner
        self.fd = fd
        self.handler = handler
        self.remoteAddress = remoteAddress
        self.onClose = onClose
        try loop.register(fd, self)
        handler.attach(self, eventLoop: loop, allocator: allocator)
        handler.active()
    }

    /// Its listener stopped: the handler answers what it has begun, then closes.
    func drain(of owner: ObjectIdentifier) {
        guard owner == self.owner, case .open = state else { return }
        handler.drain()
    }

    // MARK: - ServerTransport

    func writeAndFlush(_ bytes: ByteBuffer) {
        switch state {
        case .closed: return
        case .open, .lingering: break
        }
        switch buffers.write(bytes, to: fd) {
        case .sent:
            return
        case .kept:
            try? loop.watch(fd, readable: !paused, writable: true)
        case .failed:
            // Closed later, as NIO closes on a failed write: not from inside the handler's write.
            loop.execute { self.close() }
        }
    }

    func writeLast(_ bytes: ByteBuffer, thenCloseAfter linger: TimeAmount) {
        guard case .open = state else { return }
        writeAndFlush(bytes)
        guard case .open = state else { return }
        state = .lingering(linger)
        if !buffers.hasUnsent { finishOutput(linger) }
    }

    func resumeReading() {
        guard paused, !isClosed else { return }
        paused = false
        try? loop.watch(fd, readable: true, writable: buffers.hasUnsent)
    }

    func close() {
        guard !isClosed else { return }
        state = .closed
        loop.deregister(fd)
        Glibc.close(fd)
        buffers.dropUnsent()
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
            try? loop.watch(fd, readable: false, writable: buffers.hasUnsent)
            return
        }
        switch buffers.read(from: fd) {
        case .bytes(var bytes):
            // While lingering the handler drops what arrives.
            handler.received(&bytes)
        case .closed, .failed:
            close()
        case .wouldBlock:
            return
        }
    }

    func writable() {
        guard !isClosed, buffers.hasUnsent else { return }
        switch buffers.flush(to: fd) {
        case .kept:
            return
        case .failed:
            close()
        case .sent:
            try? loop.watch(fd, readable: !paused, writable: false)
            if case .lingering(let linger) = state { finishOutput(linger) }
        }
    }

    func loopShutDown() {
        close()
    }
}
