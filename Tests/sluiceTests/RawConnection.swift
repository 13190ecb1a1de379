import Foundation

/// A plain TCP connection to a loopback port, for tests that must control every byte a
/// client sends (dribbled heads, stalled bodies, pipelining, heads without their body).
///
/// Its blocking socket calls run on a thread of their own: Swift concurrency runs every
/// test on as many threads as there are cores (two here), and a test blocked in `poll`
/// there would starve the other tests running beside it.
final class RawConnection: @unchecked Sendable {
    /// -1 once closed: a class whose initializer throws after setting every property is
    /// deinitialized, and a second `close` of the number could close another test's socket.
    private var descriptor: Int32

    /// Connects to 127.0.0.1:`port`.
    init(port: Int) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(descriptor)
            descriptor = -1
            throw HarnessError("cannot connect to 127.0.0.1:\(port)")
        }
        var quiet: Int32 = 1
        setsockopt(descriptor, SOL_SOCKET, SO_KEEPALIVE, &quiet, socklen_t(MemoryLayout<Int32>.size))
    }

    deinit { if descriptor >= 0 { close(descriptor) } }

    /// Sends all of `text`; false once the peer has closed (or reset) the connection.
    @discardableResult
    func send(_ text: String) async -> Bool { await send(Array(text.utf8)) }

    /// Sends all of `bytes`; false once the peer has closed (or reset) the connection.
    @discardableResult
    func send(_ bytes: [UInt8]) async -> Bool {
        await Self.offThread { self.sendNow(bytes) }
    }

    /// What arrives within `seconds` (or until the peer closes, or `stop` holds), and whether it closed.
    func receive(seconds: Double, until stop: @escaping @Sendable (String) -> Bool = { _ in false }) async -> (text: String, closed: Bool) {
        await Self.offThread { self.receiveNow(seconds: seconds, until: stop) }
    }

    /// Whether the peer closes the connection within `seconds` (input is read and dropped).
    func closes(within seconds: Double) async -> Bool {
        await receive(seconds: seconds).closed
    }

    /// Runs `work` on a new thread and waits for it without holding a concurrency thread.
    private static func offThread<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: work()) }.start()
        }
    }

    private func sendNow(_ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent <= 0 { return false }
            offset += sent
        }
        return true
    }

    private func receiveNow(seconds: Double, until stop: (String) -> Bool) -> (text: String, closed: Bool) {
        let deadline = Date().addingTimeInterval(seconds)
        var received = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 65536)
        while Date() < deadline {
            var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            let left = Int32(max(1, deadline.timeIntervalSinceNow * 1000))
            guard poll(&poller, 1, min(left, 200)) > 0 else { continue }
            let count = recv(descriptor, &chunk, chunk.count, 0)
            if count <= 0 { return (String(decoding: received, as: UTF8.self), true) }
            received += chunk[0..<count]
            if stop(String(decoding: received, as: UTF8.self)) { break }
        }
        return (String(decoding: received, as: UTF8.self), false)
    }
}
