import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import SluiceConfig
import Testing

@testable import SluiceServe

/// The gateway's request handler on Sluice's own loops, behind an ``EpollListener``, driven by
/// a plain blocking socket on loopback: answers in order, pipelining held back and resumed,
/// malformed input, the connection limit and the idle timeout, as on NIO's channels.
@Suite(.timeLimit(.minutes(10)))
struct EpollServerSocketTests {
    @Test("requests on one kept-alive connection are answered in order, with the caller's address")
    func keptAliveConnection() async throws {
        try await withListener { listener, _ in
            let port = try #require(listener.port)
            let answers = try await blocking {
                let client = try RawClient(port: port)
                defer { client.close() }
                return try (0..<3).map { index in
                    try client.send("POST /echo HTTP/1.1\r\nhost: x\r\ncontent-length: 5\r\n\r\nbody\(index)")
                    return try client.readAnswer()
                }
            }
            #expect(answers.map(\.status) == [200, 200, 200])
            #expect(answers.map(\.body) == (0..<3).map { "body\($0) from 127.0.0.1" })
            #expect(answers.allSatisfy { $0.head.contains("connection: keep-alive") })
        }
    }

    @Test("a burst of connections is spread evenly over the loops, each served with its caller's address, and new ones refill the emptier loop")
    func connectionsSpreadOverLoops() async throws {
        try await withListener { listener, _ in
            let port = try #require(listener.port)
            // Opened back to back, as a client's pool opens them: the loop woken first finds
            // most of them pending at once.
            let clients = try await blocking { try (0..<16).map { _ in try RawClient(port: port) } }
            defer { for client in clients { client.close() } }
            try await waitUntil { listener.connectionsByLoop.reduce(0, +) == 16 }
            #expect(listener.connectionsByLoop == [8, 8])
            let answers = try await blocking {
                try clients.enumerated().map { index, client in
                    try client.send("POST /echo HTTP/1.1\r\nhost: x\r\ncontent-length: 2\r\n\r\n\(index + 10)")
                    return try client.readAnswer()
                }
            }
            #expect(answers.map(\.body) == (0..<16).map { "\($0 + 10) from 127.0.0.1" })

            // Ten closed, whichever loops held them; ten new ones even the loops out again.
            for client in clients.prefix(10) { client.close() }
            try await waitUntil { listener.connectionsByLoop.reduce(0, +) == 6 }
            let more = try await blocking { try (0..<10).map { _ in try RawClient(port: port) } }
            defer { for client in more { client.close() } }
            try await waitUntil { listener.connectionsByLoop.reduce(0, +) == 16 }
            #expect(listener.connectionsByLoop == [8, 8])
        }
    }

    @Test("a unix-socket listener is created 0600, replaces a killed run's socket file, refuses a regular file, and serves")
    func unixSocket() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-epoll-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("gateway.sock").path
        // What a SIGKILL leaves: the socket file of a listener that is gone.
        let stale = try SocketAddress(unixDomainSocketPath: path)
        let staleFD = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        let bound = stale.withSockAddr { bind(staleFD, $0, socklen_t($1)) }
        Glibc.close(staleFD)
        try #require(bound == 0)
        try await withListener(address: .unix(path: path)) { listener, _ in
            #expect(listener.port == nil)
            var info = stat()
            #expect(stat(path, &info) == 0)
            #expect(info.st_mode & 0o777 == 0o600)
            let answer = try await blocking {
                let client = try RawClient(address: SocketAddress(unixDomainSocketPath: path))
                defer { client.close() }
                try client.send("POST /echo HTTP/1.1\r\nhost: x\r\ncontent-length: 4\r\n\r\nunix")
                return try client.readAnswer()
            }
            #expect(answer.status == 200)
            #expect(answer.body == "unix from nowhere", "a unix peer has no IP address")
        }
        let regular = directory.appendingPathComponent("not-a-socket").path
        try Data("keep me".utf8).write(to: URL(fileURLWithPath: regular))
        await #expect(throws: EpollListener.ListenPathTaken.self) {
            try await withListener(address: .unix(path: regular)) { _, _ in }
        }
        #expect(try String(contentsOfFile: regular, encoding: .utf8) == "keep me")
    }

    @Test("pipelined requests past the pipeline depth are held back, then all answered in order")
    func pipeliningHeldBackAndResumed() async throws {
        let gate = Gate()
        try await withListener(limits: ServerLimits(pipelineDepth: 2), responder: EchoResponder(gate: gate)) { listener, _ in
            let port = try #require(listener.port)
            let (waiting, answers) = try await blocking {
                let client = try RawClient(port: port)
                defer { client.close() }
                // Two requests fill the pipeline; the six sent after them stay unread in the
                // socket (reading is held back) until answers make room.
                let requests = (0..<8).map { "POST /echo HTTP/1.1\r\nhost: x\r\ncontent-length: 2\r\n\r\nr\($0)" }
                try client.send(requests[0..<2].joined())
                usleep(50_000)
                try client.send(requests[2...].joined())
                usleep(100_000)
                let waiting = gate.waiting
                gate.open()
                return (waiting, try (0..<8).map { _ in try client.readAnswer() })
            }
            #expect(waiting == 1, "one request at a time reaches the responder")
            #expect(answers.map(\.body) == (0..<8).map { "r\($0) from 127.0.0.1" })
        }
    }

    @Test("a malformed request gets a 400 naming the fault, and the connection closes after it")
    func malformedRequest() async throws {
        try await withListener { listener, _ in
            let port = try #require(listener.port)
            let (answer, rest) = try await blocking {
                let client = try RawClient(port: port)
                defer { client.close() }
                try client.send("GET / HTTP/1.1\r\nbad header line\r\n\r\n")
                return (try client.readAnswer(), try client.readToEnd())
            }
            #expect(answer.status == 400)
            #expect(answer.body.contains("malformed request"))
            #expect(answer.head.contains("connection: close"))
            #expect(rest.isEmpty, "the server closes after the answer")
        }
    }

    @Test("past maximumConnections a connection is closed at once; the first one is served")
    func connectionLimit() async throws {
        try await withListener(limits: ServerLimits(maximumConnections: 1)) { listener, _ in
            let port = try #require(listener.port)
            let (first, second) = try await blocking {
                let first = try RawClient(port: port)
                defer { first.close() }
                try first.send("POST /echo HTTP/1.1\r\nhost: x\r\ncontent-length: 1\r\n\r\na")
                let answer = try first.readAnswer()
                let second = try RawClient(port: port)
                defer { second.close() }
                return (answer, try second.readToEnd())
            }
            #expect(first.status == 200)
            #expect(second.isEmpty)
        }
    }

    @Test("a graceful close stops accepting, closes idle connections at once, and answers a request under way with connection: close before it returns")
    func gracefulClose() async throws {
        let gate = Gate()
        try await withListener(responder: EchoResponder(gate: gate)) { listener, _ in
            let port = try #require(listener.port)
            // One connection answered and then idle, kept alive.
            let idle = try RawClient(port: port)
            defer { idle.close() }
            try idle.send("POST /echo HTTP/1.1\r\nhost: x\r\ncontent-length: 4\r\n\r\nidle")
            while gate.waiting < 1 { try await Task.sleep(for: .milliseconds(5)) }
            gate.release(1)
            let first = try await blocking { try idle.readAnswer() }
            #expect(first.status == 200 && first.head.contains("connection: keep-alive"))
            // One with its request under way, held by the responder.
            let busy = try RawClient(port: port)
            defer { busy.close() }
            try busy.send("POST /echo HTTP/1.1\r\nhost: x\r\ncontent-length: 4\r\n\r\nheld")
            while gate.waiting < 1 { try await Task.sleep(for: .milliseconds(5)) }

            let closing = Task { await listener.close() }
            let idleRest = try await blocking { try idle.readToEnd() }
            #expect(idleRest.isEmpty, "the idle connection is closed without another answer")
            #expect(throws: (any Error).self, "no new connection is accepted") { try RawClient(port: port) }
            gate.open()
            let (last, rest) = try await blocking { (try busy.readAnswer(), try busy.readToEnd()) }
            #expect(last.status == 200)
            #expect(last.body == "held from 127.0.0.1")
            #expect(last.head.contains("connection: close"), "\(last.head)")
            #expect(rest.isEmpty)
            await closing.value
        }
    }

    @Test("a graceful close returns after the drain timeout when a request is still under way")
    func gracefulCloseTimesOut() async throws {
        let gate = Gate()
        try await withListener(drainTimeout: .milliseconds(300), responder: EchoResponder(gate: gate)) { listener, _ in
            let port = try #require(listener.port)
            let busy = try RawClient(port: port)
            defer { busy.close() }
            try busy.send("POST /echo HTTP/1.1\r\nhost: x\r\ncontent-length: 4\r\n\r\nheld")
            while gate.waiting < 1 { try await Task.sleep(for: .milliseconds(5)) }
            let started = ContinuousClock.now
            await listener.close()
            #expect(ContinuousClock.now - started >= .milliseconds(290))
            // The loops close what is left when they stop (withListener).
            gate.open()
        }
    }

    @Test("an idle connection is closed after the idle timeout")
    func idleTimeout() async throws {
        try await withListener(limits: ServerLimits(idleTimeout: .milliseconds(200))) { listener, _ in
            let port = try #require(listener.port)
            let (rest, elapsed) = try await blocking {
                let client = try RawClient(port: port)
                defer { client.close() }
                let start = Date()
                return (try client.readToEnd(), Date().timeIntervalSince(start))
            }
            #expect(rest.isEmpty)
            #expect(elapsed >= 0.19)
        }
    }
}

/// Runs blocking socket work on a thread of its own: never on the cooperative pool, whose two
/// threads (on two cores) every other test's awaits need too.
private func blocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try body() }) }.start()
    }
}

/// Waits (ten seconds at most) until `condition` holds.
private func waitUntil(_ condition: () -> Bool) async throws {
    let deadline = ContinuousClock.now + .seconds(10)
    while !condition() {
        guard ContinuousClock.now < deadline else { throw CancellationError() }
        try await Task.sleep(for: .milliseconds(5))
    }
}

/// Runs `body` with two loops and a listener on a free loopback port, then stops them.
private func withListener(
    address: ServeConfig.ListenAddress = .tcp(host: "127.0.0.1", port: 0),
    limits: ServerLimits = ServerLimits(), drainTimeout: Duration = .seconds(30), responder: any HTTPResponder = EchoResponder(gate: nil),
    _ body: (EpollListener, [EpollEventLoop]) async throws -> Void
) async throws {
    let loops = try (0..<2).map { try EpollEventLoop(name: "test-\($0)") }
    let listener: EpollListener
    do {
        listener = try await EpollListener(address: address, loops: loops, limits: limits, drainTimeout: drainTimeout, responder: responder)
    } catch {
        for loop in loops { try? await loop.shutdownGracefully() }
        throw error
    }
    do {
        try await body(listener, loops)
    } catch {
        await listener.close()
        for loop in loops { try? await loop.shutdownGracefully() }
        throw error
    }
    await listener.close()
    for loop in loops { try? await loop.shutdownGracefully() }
}

/// Holds answers back until opened.
private final class Gate: @unchecked Sendable {
    private let state = NIOLockedValueBox<(open: Bool, held: [() -> Void])>((false, []))

    var waiting: Int { state.withLockedValue { $0.held.count } }

    func pass(_ answer: @escaping () -> Void) {
        let now = state.withLockedValue { state -> Bool in
            if state.open { return true }
            state.held.append(answer)
            return false
        }
        if now { answer() }
    }

    /// Lets the first `count` held answers through; the gate stays closed.
    func release(_ count: Int) {
        let released = state.withLockedValue { state -> [() -> Void] in
            defer { state.held.removeFirst(count) }
            return Array(state.held.prefix(count))
        }
        for answer in released { answer() }
    }

    func open() {
        let held = state.withLockedValue { state -> [() -> Void] in
            state.open = true
            defer { state.held = [] }
            return state.held
        }
        for answer in held { answer() }
    }
}

/// Answers with the request's body and the caller's address, through `gate` when given.
private struct EchoResponder: HTTPResponder {
    let gate: Gate?

    func respond(to request: ServerRequest) -> EventLoopFuture<ServerResponse> {
        let promise = request.eventLoop.makePromise(of: ServerResponse.self)
        let text = "\(String(buffer: request.body)) from \(request.remoteAddress ?? "nowhere")"
        let answer: @Sendable () -> Void = { promise.succeed(ServerResponse(status: .ok, body: ByteBuffer(string: text))) }
        if let gate { gate.pass { request.eventLoop.execute(answer) } } else { answer() }
        return promise.futureResult
    }
}

/// A blocking TCP client on loopback that reads answers framed by content-length.
/// Sendable for the blocking threads it is handed to, one at a time, never two at once.
private final class RawClient: @unchecked Sendable {
    struct Answer: Sendable {
        let status: Int
        let head: String
        let body: String
    }

    private let fd: Int32
    private var buffer: [UInt8] = []

    convenience init(port: Int) throws {
        try self.init(address: SocketAddress(ipAddress: "127.0.0.1", port: port))
    }

    init(address: SocketAddress) throws {
        fd = socket(Int32(address.protocol.rawValue), Int32(SOCK_STREAM.rawValue), 0)
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let connected = address.withSockAddr { connect(fd, $0, socklen_t($1)) }
        guard connected == 0 else {
            let error = IOError(errnoCode: errno, reason: "connect")
            Glibc.close(fd)
            throw error
        }
    }

    func send(_ text: String) throws {
        let bytes = Array(text.utf8)
        guard write(fd, bytes, bytes.count) == bytes.count else { throw IOError(errnoCode: errno, reason: "write") }
    }

    /// The next whole answer (head and content-length body).
    func readAnswer() throws -> Answer {
        while true {
            if let end = headEnd() {
                let head = String(decoding: buffer[..<end], as: UTF8.self)
                let length = head.split(separator: "\r\n").compactMap { line -> Int? in
                    let parts = line.split(separator: ":", maxSplits: 1)
                    return parts.count == 2 && parts[0].lowercased() == "content-length" ? Int(parts[1].trimmingCharacters(in: .whitespaces)) : nil
                }.first ?? 0
                if buffer.count >= end + 4 + length {
                    let body = String(decoding: buffer[(end + 4)..<(end + 4 + length)], as: UTF8.self)
                    buffer.removeFirst(end + 4 + length)
                    let status = Int(head.split(separator: " ")[1]) ?? 0
                    return Answer(status: status, head: head, body: body)
                }
            }
            guard try fill() > 0 else { throw IOError(errnoCode: ECONNRESET, reason: "closed before a whole answer") }
        }
    }

    /// Everything until the server closes (or the read times out).
    func readToEnd() throws -> [UInt8] {
        while try fill() > 0 {}
        defer { buffer = [] }
        return buffer
    }

    private var closed = false

    /// Closes the socket once: its number may belong to another client since.
    func close() {
        guard !closed else { return }
        closed = true
        Glibc.close(fd)
    }

    private func headEnd() -> Int? {
        guard buffer.count >= 4 else { return nil }
        for index in 0...(buffer.count - 4) where buffer[index] == 13 && buffer[index + 1] == 10 && buffer[index + 2] == 13 && buffer[index + 3] == 10 {
            return index
        }
        return nil
    }

    private func fill() throws -> Int {
        var chunk = [UInt8](repeating: 0, count: 4096)
        let count = read(fd, &chunk, chunk.count)
        if count < 0 {
            if errno == ECONNRESET { return 0 }
            throw IOError(errnoCode: errno, reason: "read")
        }
        buffer += chunk[0..<count]
        return count
    }
}
