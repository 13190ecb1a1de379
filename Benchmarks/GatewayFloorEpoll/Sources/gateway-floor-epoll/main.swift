// The floor of a reverse proxy in Swift with no NIO: its own epoll loop per thread over
// non-blocking sockets (Benchmarks/README.md, "Hot path, slice 52"). The same work as the NIO
// floor (Benchmarks/GatewayFloor): per thread a keep-alive pool of connections to two
// upstreams; per request, read it (Content-Length framing only), pick an upstream 90/10 (every
// tenth request to the second), write its bytes through unchanged, read the answer
// (Content-Length framing) and write its bytes back. So `gateway-cpu.sh FLOOR=…` and
// `gateway-instructions.sh FLOOR=…` show what NIO's channels, pipelines and event loops cost
// a request beside a loop that does only the system calls. Not a proxy to use: it trusts
// both peers, and an upstream is connected to with a blocking `connect` (loopback only).
//
//   gateway-floor-epoll LISTEN_PORT UPSTREAM1_PORT UPSTREAM2_PORT     (127.0.0.1 only)
//
// FLOOR_THREADS (loops, default the core count); FLOOR_REUSEPORT=1 gives each loop its own
// listener on the port (SO_REUSEPORT, the kernel spreading connections), otherwise every loop
// waits on one listener with EPOLLEXCLUSIVE (as nginx's workers do without `reuseport`).
import CSluiceEpoll
import Glibc

/// The length of the whole message (head and Content-Length body) at the start of `bytes`,
/// or nil while it is incomplete (the NIO floor's framing, over raw memory).
func messageLength(_ bytes: UnsafeRawBufferPointer) -> Int? {
    let name: StaticString = "content-length:"
    let nameCount = name.utf8CodeUnitCount
    let lower = UnsafeRawBufferPointer(start: name.utf8Start, count: nameCount)
    let count = bytes.count
    var contentLength = 0
    var lineStart = 0
    var index = 0
    while index + 1 < count {
        guard bytes[index] == 13, bytes[index + 1] == 10 else {
            index += 1
            continue
        }
        if index == lineStart {
            let total = index + 2 + contentLength
            return total <= count ? total : nil
        }
        if index - lineStart > nameCount {
            var matches = true
            for offset in 0..<nameCount where bytes[lineStart + offset] | 0x20 != lower[offset] {
                matches = false
                break
            }
            if matches {
                contentLength = 0
                for digit in bytes[(lineStart + nameCount)..<index] where digit >= 48 && digit <= 57 {
                    contentLength = contentLength * 10 + Int(digit - 48)
                }
            }
        }
        index += 2
        lineStart = index
    }
    return nil
}

/// One socket: a caller's or a kept-alive upstream's.
final class Connection {
    /// Bytes kept per connection: a whole request or answer of the benchmark fits many times.
    static let capacity = 64 * 1024

    let fd: Int32
    /// The upstream's index for an upstream connection, nil for a caller's.
    let upstream: Int?
    /// Bytes read and not yet consumed.
    let input = UnsafeMutableRawPointer.allocate(byteCount: Connection.capacity, alignment: 16)
    var inputCount = 0
    /// Bytes a write left over, sent when the socket is writable again.
    var output = UnsafeMutableRawPointer.allocate(byteCount: Connection.capacity, alignment: 16)
    var outputStart = 0
    var outputEnd = 0
    /// A caller's upstream while its request is out, an upstream's caller while it answers.
    var peer: Connection?
    var closed = false

    init(fd: Int32, upstream: Int?) {
        self.fd = fd
        self.upstream = upstream
    }

    deinit {
        input.deallocate()
        output.deallocate()
    }

    /// Drops the first `count` bytes of the input.
    func consume(_ count: Int) {
        inputCount -= count
        if inputCount > 0 { input.copyMemory(from: input + count, byteCount: inputCount) }
    }
}

/// One thread's loop: its epoll instance, its connections by descriptor and its idle upstreams.
final class Loop {
    let epoll = epoll_create1(Int32(EPOLL_CLOEXEC))
    let listener: Int32
    let upstreams: [sockaddr_in]
    private var connections: [Connection?] = []
    private var idle: [[Connection]]
    private var counter = 0

    init(listener: Int32, exclusive: Bool, upstreams: [sockaddr_in]) {
        self.listener = listener
        self.upstreams = upstreams
        idle = upstreams.map { _ in [] }
        register(listener, events: sluice_epoll_in | (exclusive ? sluice_epoll_exclusive : 0), op: EPOLL_CTL_ADD)
    }

    private func register(_ fd: Int32, events: UInt32, op: Int32) {
        var event = epoll_event()
        event.events = events
        event.data.fd = fd
        guard epoll_ctl(epoll, op, fd, &event) == 0 else { fatal("epoll_ctl") }
    }

    func run() -> Never {
        let capacity = 256
        let events = UnsafeMutablePointer<epoll_event>.allocate(capacity: capacity)
        while true {
            let ready = epoll_wait(epoll, events, Int32(capacity), -1)
            if ready < 0 {
                if errno == EINTR { continue }
                fatal("epoll_wait")
            }
            for slot in 0..<Int(ready) {
                let fd = events[slot].data.fd
                let flags = events[slot].events
                if fd == listener {
                    acceptAll()
                    continue
                }
                guard Int(fd) < connections.count, let connection = connections[Int(fd)] else { continue }
                if flags & sluice_epoll_out != 0 { flush(connection) }
                if flags & (sluice_epoll_in | sluice_epoll_hup | sluice_epoll_err) != 0, !connection.closed { readable(connection) }
            }
        }
    }

    private func acceptAll() {
        while true {
            let fd = accept(listener, nil, nil)
            if fd < 0 { return }
            // Once per connection (they are kept alive): accept4 is not in Glibc's module.
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            add(Connection(fd: fd, upstream: nil))
        }
    }

    private func add(_ connection: Connection) {
        let index = Int(connection.fd)
        if index >= connections.count { connections.append(contentsOf: repeatElement(nil, count: index + 1 - connections.count)) }
        connections[index] = connection
        register(connection.fd, events: sluice_epoll_in, op: EPOLL_CTL_ADD)
    }

    private func readable(_ connection: Connection) {
        let room = Connection.capacity - connection.inputCount
        let count = read(connection.fd, connection.input + connection.inputCount, room)
        if count < 0, errno == EAGAIN || errno == EINTR { return }
        guard count > 0 else { return close(connection) }
        connection.inputCount += count
        if connection.upstream != nil {
            answered(connection)
        } else if connection.peer == nil {
            forward(connection)
        }
    }

    /// Sends the caller's next whole request, if it has one, to an upstream.
    private func forward(_ caller: Connection) {
        guard let length = messageLength(UnsafeRawBufferPointer(start: caller.input, count: caller.inputCount)) else { return }
        counter &+= 1
        let index = counter % 10 == 0 ? 1 : 0
        var chosen: Connection?
        while chosen == nil, let connection = idle[index].popLast() {
            if !connection.closed { chosen = connection }
        }
        guard let upstream = chosen ?? connect(index) else { return close(caller) }
        caller.peer = upstream
        upstream.peer = caller
        send(caller.input, count: length, to: upstream)
        caller.consume(length)
    }

    /// The upstream's whole answer back to its caller, the upstream back to the idle list.
    private func answered(_ upstream: Connection) {
        guard let length = messageLength(UnsafeRawBufferPointer(start: upstream.input, count: upstream.inputCount)) else { return }
        guard let caller = upstream.peer else { return close(upstream) }
        upstream.peer = nil
        caller.peer = nil
        send(upstream.input, count: length, to: caller)
        upstream.consume(length)
        if upstream.inputCount > 0 { close(upstream) } else { idle[upstream.upstream!].append(upstream) }
        if !caller.closed { forward(caller) }
    }

    private func connect(_ index: Int) -> Connection? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return nil }
        var address = upstreams[index]
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0, fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == 0 else {
            Glibc.close(fd)
            return nil
        }
        let connection = Connection(fd: fd, upstream: index)
        add(connection)
        return connection
    }

    /// Writes `count` bytes at `bytes` to `connection`, keeping what the socket did not take.
    private func send(_ bytes: UnsafeMutableRawPointer, count: Int, to connection: Connection) {
        if connection.outputEnd > connection.outputStart {
            return keep(bytes, count: count, for: connection)
        }
        let written = write(connection.fd, bytes, count)
        if written == count { return }
        if written < 0, errno != EAGAIN, errno != EINTR { return close(connection) }
        let done = max(written, 0)
        keep(bytes + done, count: count - done, for: connection)
        register(connection.fd, events: sluice_epoll_in | sluice_epoll_out, op: EPOLL_CTL_MOD)
    }

    private func keep(_ bytes: UnsafeMutableRawPointer, count: Int, for connection: Connection) {
        guard connection.outputEnd + count <= Connection.capacity else { return close(connection) }
        (connection.output + connection.outputEnd).copyMemory(from: bytes, byteCount: count)
        connection.outputEnd += count
    }

    private func flush(_ connection: Connection) {
        let pending = connection.outputEnd - connection.outputStart
        guard pending > 0 else { return }
        let written = write(connection.fd, connection.output + connection.outputStart, pending)
        if written < 0 {
            if errno != EAGAIN, errno != EINTR { close(connection) }
            return
        }
        connection.outputStart += written
        if connection.outputStart == connection.outputEnd {
            connection.outputStart = 0
            connection.outputEnd = 0
            register(connection.fd, events: sluice_epoll_in, op: EPOLL_CTL_MOD)
        }
    }

    private func close(_ connection: Connection) {
        guard !connection.closed else { return }
        connection.closed = true
        connections[Int(connection.fd)] = nil
        Glibc.close(connection.fd)
        if let peer = connection.peer {
            connection.peer = nil
            peer.peer = nil
            close(peer)
        }
    }
}

func fatal(_ what: String) -> Never {
    perror(what)
    exit(1)
}

func loopback(_ port: Int) -> sockaddr_in {
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(port).bigEndian
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    return address
}

func listen(on port: Int, reusePort: Bool) -> Int32 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue | SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue), 0)
    var one: Int32 = 1
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
    if reusePort { setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, socklen_t(MemoryLayout<Int32>.size)) }
    var address = loopback(port)
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard bound == 0, Glibc.listen(fd, 1024) == 0 else { fatal("bind 127.0.0.1:\(port)") }
    return fd
}

/// Runs `loop` on a thread of its own (a closure formed outside top-level code, which would
/// make it the main actor's).
func startThread(running loop: Loop) {
    var thread = pthread_t()
    let box = Unmanaged.passRetained(loop).toOpaque()
    pthread_create(&thread, nil, { pointer in
        let loop = Unmanaged<Loop>.fromOpaque(pointer!).takeRetainedValue()
        loop.run()
    }, box)
}

func number(_ name: String) -> Int? { getenv(name).flatMap { Int(String(cString: $0)) } }

let arguments = CommandLine.arguments.dropFirst().compactMap { Int($0) }
guard arguments.count == 3 else {
    print("usage: gateway-floor-epoll LISTEN_PORT UPSTREAM1_PORT UPSTREAM2_PORT")
    exit(2)
}
signal(SIGPIPE, SIG_IGN)
let threads = number("FLOOR_THREADS") ?? Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
let reusePort = number("FLOOR_REUSEPORT") == 1
let upstreams = arguments[1...].map(loopback)
let shared = reusePort ? nil : listen(on: arguments[0], reusePort: false)
let loops = (0..<threads).map { _ in
    Loop(listener: shared ?? listen(on: arguments[0], reusePort: true), exclusive: !reusePort, upstreams: upstreams)
}
// Unbuffered: the scripts wait for this line in a file.
let ready = "gateway-floor: listening on 127.0.0.1:\(arguments[0]) (epoll, \(threads) threads, reusePort \(reusePort))\n"
_ = ready.utf8CString.withUnsafeBufferPointer { write(1, $0.baseAddress, $0.count - 1) }
for loop in loops.dropFirst() { startThread(running: loop) }
loops[0].run()
