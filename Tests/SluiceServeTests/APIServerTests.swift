import Foundation
import Hummingbird
import NIOPosix
import SluiceConfig
import Testing
@testable import SluiceServe

/// The API listener over real sockets (TCP on loopback and a unix socket), for what the
/// router test client cannot show: a refused head is answered and closed without its body
/// ever being sent, a chunked body is cut off at the limit, and the unix socket is private.
@Suite("API listener", .serialized, .timeLimit(.minutes(10)))
struct APIServerTests {
    /// A router with the token on every path and one body-reading route, like the admin API.
    static func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: APIErrorMiddleware())
        router.add(middleware: BearerMiddleware(token: BearerToken("t0ken"), realm: "test"))
        router.add(middleware: BodyLimitMiddleware { _ in 1024 })
        router.put("/v1/echo") { request, _ in
            let bytes = try await BodyLimit.collect(request, limit: 1024, budget: nil)
            return JSONAnswer(["bytes": bytes.count])
        }
        return router
    }

    static func start(_ address: ServeConfig.ListenAddress) async throws -> APIServer {
        // Long head and body timeouts: these tests are about answers, and on a loaded 2-core
        // machine the handler may wait for the cooperative pool longer than the default 10 s,
        // after which the server would (rightly) close a connection whose body never comes.
        try await APIServer.start(
            router: router(), address: address, limits: ServerLimits(headerTimeout: .seconds(120), bodyTimeout: .seconds(120)),
            group: MultiThreadedEventLoopGroup.singleton)
    }

    @Test("a head without the token and with a 16 MiB Content-Length is answered 401 at once, and the connection is closed")
    func refusedHeadIsClosed() async throws {
        let server = try await Self.start(.tcp(host: "127.0.0.1", port: 0))
        defer { Task { await server.close() } }
        let connection = try BlockingSocket(port: try #require(server.port))
        connection.send("PUT /v1/echo HTTP/1.1\r\nHost: x\r\nContent-Length: \(16 << 20)\r\n\r\n")
        let answer = await connection.received(seconds: 60)
        #expect(answer.text.hasPrefix("HTTP/1.1 401 Unauthorized\r\n"), "\(answer.text)")
        #expect(answer.text.lowercased().contains("connection: close"))
        #expect(answer.closed, "the connection is closed after the 401")
    }

    @Test("a chunked body is refused with 413 once it passes the limit; one within it is read whole")
    func chunkedBodyLimit() async throws {
        let server = try await Self.start(.tcp(host: "127.0.0.1", port: 0))
        defer { Task { await server.close() } }
        let port = try #require(server.port)
        let head = "PUT /v1/echo HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t0ken\r\nTransfer-Encoding: chunked\r\n\r\n"
        let small = try BlockingSocket(port: port)
        small.send(head + "200\r\n" + String(repeating: "a", count: 512) + "\r\n0\r\n\r\nGET /x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        let read = await small.received(seconds: 60)
        #expect(read.text.hasPrefix("HTTP/1.1 200 OK\r\n"), "\(read.text)")
        #expect(read.text.contains("\"bytes\": 512"), "\(read.text)")

        let large = try BlockingSocket(port: port)
        large.send(head + "400\r\n" + String(repeating: "a", count: 1024) + "\r\n1\r\nb\r\n")
        let refused = await large.received(seconds: 60)
        #expect(refused.text.hasPrefix("HTTP/1.1 413 Payload Too Large\r\n"), "\(refused.text)")
        #expect(refused.closed, "the rest of the body is never read")
    }

    @Test("a unix-socket listener is created 0600 and serves over the socket")
    func unixSocket() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-sock-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("admin.sock").path
        let server = try await Self.start(.unix(path: path))
        defer { Task { await server.close() } }
        var info = stat()
        #expect(stat(path, &info) == 0)
        #expect(info.st_mode & 0o777 == 0o600)
        #expect(server.port == nil)
        let connection = try BlockingSocket(unixPath: path)
        connection.send("PUT /v1/echo HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t0ken\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc")
        let answer = await connection.received(seconds: 60)
        #expect(answer.text.hasPrefix("HTTP/1.1 200 OK\r\n"), "\(answer.text)")
    }

    @Test("a socket file left by a killed run is replaced and served; a regular file at the socket path is refused and left alone")
    func staleUnixSocket() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-sock-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("admin.sock").path
        // What a SIGKILL leaves: the socket file of a listener that is gone.
        let stale = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (index, byte) in path.utf8.enumerated() { buffer[index] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(stale, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        close(stale)
        try #require(bound == 0)
        #expect(FileManager.default.fileExists(atPath: path))
        let server = try await Self.start(.unix(path: path))
        var info = stat()
        #expect(stat(path, &info) == 0)
        #expect(info.st_mode & 0o777 == 0o600)
        let connection = try BlockingSocket(unixPath: path)
        connection.send("PUT /v1/echo HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t0ken\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc")
        let answer = await connection.received(seconds: 60)
        #expect(answer.text.hasPrefix("HTTP/1.1 200 OK\r\n"), "\(answer.text)")
        await server.close()

        let regular = directory.appendingPathComponent("not-a-socket").path
        try Data("keep me".utf8).write(to: URL(fileURLWithPath: regular))
        await #expect(throws: (any Error).self) { _ = try await Self.start(.unix(path: regular)) }
        #expect(try String(contentsOfFile: regular, encoding: .utf8) == "keep me")
    }

    @Test("closing the server stops the listener: a new connection is refused")
    func closeStopsListening() async throws {
        // A port below the kernel's ephemeral range (32768-60999 here) and below the blocks
        // other suites take (12000 and up): no other test's listener can be given it between
        // the close and the connect below (seen once when it came from port 0).
        var server: APIServer?
        for _ in 0..<50 where server == nil {
            server = try? await Self.start(.tcp(host: "127.0.0.1", port: Int.random(in: 10_200..<11_900)))
        }
        let listening = try #require(server)
        let port = try #require(listening.port)
        await listening.close()
        #expect(throws: (any Error).self) { try BlockingSocket(port: port) }
    }

    @Test("binding an address in use fails with an error instead of hanging")
    func bindFailure() async throws {
        let first = try await Self.start(.tcp(host: "127.0.0.1", port: 0))
        defer { Task { await first.close() } }
        let port = try #require(first.port)
        await #expect(throws: (any Error).self) { _ = try await Self.start(.tcp(host: "127.0.0.1", port: port)) }
    }
}

/// A blocking client socket with a receive timeout, for sending exact bytes.
final class BlockingSocket: @unchecked Sendable {
    /// -1 once closed: a class whose initializer throws after setting every property is
    /// deinitialized, and a second `close` of the number could close another test's socket
    /// (NIO then stops on EBADF, seen in a full run).
    private var descriptor: Int32

    struct SocketError: Error {}

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
            throw SocketError()
        }
    }

    init(unixPath: String) throws {
        descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (index, byte) in unixPath.utf8.prefix(buffer.count - 1).enumerated() { buffer[index] = byte }
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard connected == 0 else {
            close(descriptor)
            descriptor = -1
            throw SocketError()
        }
    }

    deinit { if descriptor >= 0 { close(descriptor) } }

    func send(_ text: String) {
        let bytes = Array(text.utf8)
        var sent = 0
        while sent < bytes.count {
            let count = bytes[sent...].withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard count > 0 else { return }
            sent += count
        }
    }

    /// ``receiveUntilClosed(seconds:)`` on a thread of its own: a blocking read on the
    /// cooperative pool (two threads here) starved the very server it waited for.
    func received(seconds: Int) async -> (text: String, closed: Bool) {
        await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: self.receiveUntilClosed(seconds: seconds)) }.start()
        }
    }

    /// Everything received until the peer closes or `seconds` pass without data.
    func receiveUntilClosed(seconds: Int) -> (text: String, closed: Bool) {
        var timeout = timeval(tv_sec: seconds, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count > 0 {
                received.append(contentsOf: buffer[0..<count])
            } else {
                return (String(decoding: received, as: UTF8.self), count == 0 || errno == ECONNRESET)
            }
        }
    }
}
