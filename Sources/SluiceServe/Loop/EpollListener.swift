import CSluiceEpoll
import Glibc
import NIOConcurrencyHelpers
import NIOCore
import SluiceConfig

/// The inference listener's TCP socket on Sluice's own loops: one socket, watched by every
/// loop of the group with `EPOLLEXCLUSIVE` (one loop woken per connection, as nginx's workers
/// share a listener), each connection a ``RequestHandler`` on an ``EpollServerSocket`` of the
/// loop holding the fewest connections (``ConnectionBalance``; Benchmarks/README.md, "Hot
/// path, slices 52 and 57").
final class EpollListener: ClosableListener, @unchecked Sendable {
    /// One loop's watch on the shared socket.
    private final class Acceptor: EpollSource, @unchecked Sendable {
        let listener: EpollListener
        /// The loop's place in the listener's `loops`.
        let index: Int

        init(listener: EpollListener, index: Int) {
            self.listener = listener
            self.index = index
        }

        func readable() { listener.acceptAll(on: index) }
        func writable() {}
        func loopShutDown() {}
    }

    private let fd: Int32
    private let loops: [EpollEventLoop]
    private let limits: ServerLimits
    private let admission: ConnectionAdmission
    private let balance: ConnectionBalance
    private let budget: BodyBudget
    private let responder: any HTTPResponder
    /// The port bound (the one asked for, or the kernel's pick for 0); nil on a unix socket.
    let port: Int?
    /// Whether connections are TCP (and so want `TCP_NODELAY`), not a unix socket's.
    private let isTCP: Bool
    private let closed = NIOLockedValueBox(false)
    /// How long ``close()`` lets open connections finish what they have begun.
    private let drainTimeout: Duration

    /// Binds `address` (a TCP host and port, or a unix socket created 0600, replacing the
    /// socket file a killed run left) and starts accepting on every loop.
    init(
        address: ServeConfig.ListenAddress, loops: [EpollEventLoop], limits: ServerLimits, drainTimeout: Duration = .seconds(30),
        responder: any HTTPResponder
    ) async throws {
        let socketAddress: SocketAddress
        switch address {
        case .tcp(let host, let port):
            socketAddress = try SocketAddress.makeAddressResolvingHost(host, port: port)
        case .unix(let path):
            try Self.removeStaleSocket(at: path)
            socketAddress = try SocketAddress(unixDomainSocketPath: path)
        }
        let fd = socket(Int32(socketAddress.protocol.rawValue), Int32(SOCK_STREAM.rawValue | SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw IOError(errnoCode: errno, reason: "socket") }
        var one: Int32 = 1
        _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        let bound = socketAddress.withSockAddr { pointer, size in bind(fd, pointer, socklen_t(size)) }
        guard bound == 0, listen(fd, 1024) == 0 else {
            let error = IOError(errnoCode: errno, reason: "bind \(address)")
            Glibc.close(fd)
            throw error
        }
        if case .unix(let path) = address {
            chmod(path, 0o600)
            isTCP = false
        } else {
            isTCP = true
        }
        let port = sluice_socket_port(fd, 0)
        self.port = port >= 0 ? Int(port) : nil
        self.fd = fd
        self.loops = loops
        self.limits = limits
        self.drainTimeout = drainTimeout
        admission = ConnectionAdmission(maximumConnections: limits.maximumConnections)
        balance = ConnectionBalance(loops: loops.count)
        budget = BodyBudget(limit: limits.bufferedBodies)
        self.responder = responder
        for (index, loop) in loops.enumerated() {
            let acceptor = Acceptor(listener: self, index: index)
            try await loop.submit { try loop.registerExclusive(fd, acceptor) }.get()
        }
    }

    /// Stops accepting (every loop lets go of the socket, then it is closed), then drains:
    /// each open connection answers the requests it has begun, the last with `connection:
    /// close`, and closes; an idle one closes at once. Returns when none is left open, or
    /// after `drainTimeout`: what is still open then closes when its loop stops (the
    /// supervisor's service, which stops last, after the model servers' answers are in).
    func close() async {
        // Once: a second close of the number could close another socket that has it since.
        guard closed.withLockedValue({ closed in defer { closed = true }; return !closed }) else { return }
        for loop in loops {
            try? await loop.submit { loop.deregister(self.fd) }.get()
        }
        Glibc.close(fd)
        let owner = ObjectIdentifier(self)
        // Told to every loop before any is waited for: a connection on another loop than the
        // first must not answer with keep-alive while the first drains (connections are
        // spread over the loops, ``ConnectionBalance``).
        let drains = loops.map { loop in loop.submit { loop.drainSources(of: owner) } }
        for drain in drains { try? await drain.get() }
        let deadline = ContinuousClock.now + drainTimeout
        while admission.count > 0, ContinuousClock.now < deadline {
            do { try await Task.sleep(for: .milliseconds(10)) } catch { return }
        }
    }

    /// The connections each loop holds now (the loops in the order given).
    var connectionsByLoop: [Int] { balance.counts }

    /// Accepts every pending connection (on loop `accepting`, the one woken) and hands each to
    /// the loop holding the fewest.
    private func acceptAll(on accepting: Int) {
        while true {
            let connection = sluice_accept(fd)
            guard connection >= 0 else { return }
            guard admission.take() else {
                Glibc.close(connection)
                continue
            }
            if isTCP {
                var one: Int32 = 1
                _ = setsockopt(connection, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            }
            let remoteAddress = Self.peerAddress(connection)
            let chosen = balance.assign(acceptedOn: accepting)
            if chosen == accepting {
                adopt(connection, remoteAddress: remoteAddress, on: chosen)
            } else if !loops[chosen].handOver({ self.adopt(connection, remoteAddress: remoteAddress, on: chosen) }) {
                abandon(connection, of: chosen)
            }
        }
    }

    /// Serves an accepted `connection` on loop `index`. On that loop.
    private func adopt(_ connection: Int32, remoteAddress: String?, on index: Int) {
        let handler = RequestHandler(responder: responder, limits: limits, budget: budget)
        do {
            _ = try EpollServerSocket(
                fd: connection, remoteAddress: remoteAddress, handler: handler, on: loops[index], owner: ObjectIdentifier(self),
                onClose: { [admission, balance] in
                    admission.leave()
                    balance.release(index)
                })
        } catch {
            abandon(connection, of: index)
        }
    }

    /// Closes an accepted `connection` no loop took (its loop stopped), uncounted.
    private func abandon(_ connection: Int32, of index: Int) {
        Glibc.close(connection)
        admission.leave()
        balance.release(index)
    }

    /// Unlinks the socket file at `path` that a killed run left (nothing there is fine); any
    /// other kind of file there is an error and stays.
    private static func removeStaleSocket(at path: String) throws {
        var info = stat()
        guard lstat(path, &info) == 0 else {
            guard errno == ENOENT else { throw IOError(errnoCode: errno, reason: "unix:\(path)") }
            return
        }
        guard info.st_mode & S_IFMT == S_IFSOCK else { throw ListenPathTaken(path: path) }
        guard unlink(path) == 0 else { throw IOError(errnoCode: errno, reason: "unix:\(path): removing the stale socket file") }
    }

    /// A unix listener's path names a file that is not a socket (left alone).
    struct ListenPathTaken: Error, CustomStringConvertible {
        let path: String
        var description: String { "unix:\(path) exists and is not a socket; remove it or choose another path" }
    }

    /// The peer's IP address as text, as NIO's `SocketAddress.ipAddress` gives it.
    private static func peerAddress(_ fd: Int32) -> String? {
        var text = [UInt8](repeating: 0, count: 64)
        let written = text.withUnsafeMutableBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { sluice_peer_address(fd, $0.baseAddress, $0.count) }
        }
        guard written == 0 else { return nil }
        return String(decoding: text.prefix { $0 != 0 }, as: UTF8.self)
    }
}
