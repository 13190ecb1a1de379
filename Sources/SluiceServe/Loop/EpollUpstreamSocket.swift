import CSluiceEpoll
import Dispatch
import Glibc
import NIOCore
import SluiceCore

/// A connection to a model server as a non-blocking socket on an ``EpollEventLoop``: the
/// ``UpstreamTransport`` under an ``UpstreamConnectionHandler`` with no NIO channel, reading
/// and writing with the system calls alone (Benchmarks/README.md, "Hot path, slice 52").
/// Touched only on its loop.
final class EpollUpstreamSocket: EpollSource, UpstreamTransport, @unchecked Sendable {
    private enum State {
        case connecting(EventLoopPromise<UpstreamConnectionHandler>, Scheduled<Void>)
        case open
        case closed
    }

    private let loop: EpollEventLoop
    private let fd: Int32
    private let handler: UpstreamConnectionHandler
    /// The address, for the messages of a failed connect.
    private let peer: SocketAddress
    private let allocator = ByteBufferAllocator()
    private var buffers = SocketBuffers()
    private var state: State

    private init(loop: EpollEventLoop, fd: Int32, handler: UpstreamConnectionHandler, peer: SocketAddress, state: State) {
        self.loop = loop
        self.fd = fd
        self.handler = handler
        self.peer = peer
        self.state = state
    }

    /// Connects to `address` (an address, not a name: nothing is resolved here) without
    /// blocking the loop, within `timeout`, and attaches `handler` once connected. Call on
    /// `loop`; the future completes there, failing with ``UpstreamFailure/connect(_:)``.
    static func connect(
        to address: SocketAddress, handler: UpstreamConnectionHandler, on loop: EpollEventLoop, timeout: TimeAmount
    ) -> EventLoopFuture<UpstreamConnectionHandler> {
        loop.preconditionInEventLoop()
        let promise = loop.makePromise(of: UpstreamConnectionHandler.self)
        let family = Int32(address.protocol.rawValue)
        let fd = socket(family, Int32(SOCK_STREAM.rawValue | SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else {
            promise.fail(UpstreamFailure.connect("socket: \(IOError(errnoCode: errno, reason: "socket"))"))
            return promise.futureResult
        }
        var one: Int32 = 1
        _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        let result = address.withSockAddr { pointer, size in Glibc.connect(fd, pointer, socklen_t(size)) }
        if result != 0, errno != EINPROGRESS {
            let failure = UpstreamFailure.connect("\(address): \(IOError(errnoCode: errno, reason: "connect"))")
            Glibc.close(fd)
            promise.fail(failure)
            return promise.futureResult
        }
        // The socket's deadline: a connect the peer neither takes nor refuses fails in time.
        let holder = Holder()
        let deadline = loop.scheduleTask(in: timeout) {
            if let socket = holder.socket { socket.connectFailed("no connection within \(timeout.nanoseconds / 1_000_000) ms") }
        }
        let socket = EpollUpstreamSocket(loop: loop, fd: fd, handler: handler, peer: address, state: .connecting(promise, deadline))
        holder.socket = socket
        do {
            try loop.register(fd, socket, writable: true)
        } catch {
            deadline.cancel()
            Glibc.close(fd)
            promise.fail(UpstreamFailure.connect("\(address): \(error)"))
        }
        return promise.futureResult
    }

    /// Connects to `address`: an IP address at once, a host name once resolved off the loop
    /// (`getaddrinfo` blocks), each as ``connect(to:handler:on:timeout:)-(SocketAddress,_,_,_)``.
    static func connect(
        to address: UpstreamAddress, handler: UpstreamConnectionHandler, on loop: EpollEventLoop, timeout: TimeAmount
    ) -> EventLoopFuture<UpstreamConnectionHandler> {
        if let literal = try? SocketAddress(ipAddress: address.host, port: address.port) {
            return connect(to: literal, handler: handler, on: loop, timeout: timeout)
        }
        let resolved = loop.makePromise(of: SocketAddress.self)
        DispatchQueue.global().async {
            resolved.completeWith(Result { try SocketAddress.makeAddressResolvingHost(address.host, port: address.port) })
        }
        let bound = NIOLoopBound(handler, eventLoop: loop)
        return resolved.futureResult
            .flatMapErrorThrowing { error in throw UpstreamFailure.connect("\(address): \(error)") }
            .flatMap { connect(to: $0, handler: bound.value, on: loop, timeout: timeout) }
    }

    /// The socket, reachable from the connect deadline's task until the attempt ends.
    private final class Holder: @unchecked Sendable {
        var socket: EpollUpstreamSocket?
    }

    // MARK: - UpstreamTransport

    var isActive: Bool {
        if case .open = state { return true }
        return false
    }

    func writeAndFlush(_ bytes: ByteBuffer) {
        guard case .open = state else { return }
        switch buffers.write(bytes, to: fd) {
        case .sent:
            return
        case .kept:
            try? loop.watch(fd, writable: true)
        case .failed(let error):
            // Told later, as NIO tells a failed write: not from inside the handler's send.
            loop.execute { self.handler.failed(error) }
        }
    }

    func close() {
        switch state {
        case .closed:
            return
        case .connecting(let promise, let deadline):
            deadline.cancel()
            promise.fail(UpstreamFailure.connect("\(peer): closed while connecting"))
            state = .closed
            release()
        case .open:
            state = .closed
            release()
            // As NIO's pipeline tells a closed channel's handler: later, inactive then removed.
            loop.execute {
                self.handler.closed()
                self.handler.detach()
            }
        }
    }

    private func release() {
        loop.deregister(fd)
        Glibc.close(fd)
        buffers.dropUnsent()
    }

    // MARK: - EpollSource

    func readable() {
        switch state {
        case .connecting:
            // Readable before writable only when the connect failed (the error is read next).
            connected()
        case .open:
            switch buffers.read(from: fd) {
            case .bytes(var bytes): handler.received(&bytes)
            case .closed: close()
            case .wouldBlock: return
            case .failed(let error): handler.failed(error)
            }
        case .closed:
            return
        }
    }

    func writable() {
        switch state {
        case .connecting:
            connected()
        case .open:
            guard buffers.hasUnsent else { return }
            switch buffers.flush(to: fd) {
            case .sent: try? loop.watch(fd, writable: false)
            case .kept: return
            case .failed(let error): handler.failed(error)
            }
        case .closed:
            return
        }
    }

    func loopShutDown() {
        close()
    }

    /// The connect finished, one way or the other: `SO_ERROR` says which.
    private func connected() {
        guard case .connecting(let promise, let deadline) = state else { return }
        var code: Int32 = 0
        var size = socklen_t(MemoryLayout<Int32>.size)
        if getsockopt(fd, SOL_SOCKET, SO_ERROR, &code, &size) != 0 { code = errno }
        guard code == 0 else {
            return connectFailed(String(describing: IOError(errnoCode: code, reason: "connect")))
        }
        // No error yet is not a connection: an event meant for an earlier socket of the same
        // number (closed and reused within one wait) finds this one still connecting.
        guard sluice_socket_port(fd, 1) >= 0 else { return }
        deadline.cancel()
        state = .open
        try? loop.watch(fd, writable: false)
        handler.attach(self, eventLoop: loop, allocator: allocator)
        promise.succeed(handler)
    }

    private func connectFailed(_ reason: String) {
        guard case .connecting(let promise, let deadline) = state else { return }
        deadline.cancel()
        state = .closed
        release()
        promise.fail(UpstreamFailure.connect("\(peer): \(reason)"))
    }
}
