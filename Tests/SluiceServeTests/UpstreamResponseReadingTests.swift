import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import SluiceCore
import SluiceTestSupport
import Testing

@testable import SluiceServe

/// The upstream client's hand-written response reading against real loopback model servers
/// that send exactly the bytes each case needs: kept-alive connections are really reused
/// (accepted connections counted), and a hostile answer fails the exchange with the right
/// `UpstreamFailure`, never returns its connection to the pool, and leaves the next request
/// to the same server answered correctly.
@Suite(.timeLimit(.minutes(10))) struct UpstreamResponseReadingTests {
    /// What the server does after reading a request.
    struct Reply: Sendable {
        var bytes: String
        /// Close the connection after writing.
        var close = false
        /// Bytes written once the reply has been read by the client (a later, unsolicited
        /// answer); the server then waits for the client to close.
        var later: String?
    }

    static let good = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"

    /// A keep-alive listener answering the n-th request it reads (over all connections) with
    /// `replies[n]`, and every later one with `good`.
    final class ScriptedListener: @unchecked Sendable {
        let port: Int
        private let descriptor: Int32
        private let state = NIOLockedValueBox((connections: 0, requests: 0, closedByClient: 0))

        init(_ replies: [Reply]) throws {
            (descriptor, port) = try RefusingPort.bindLoopback(listening: true)
            let listener = descriptor
            let state = self.state
            Thread {
                while true {
                    let connection = accept(listener, nil, nil)
                    guard connection >= 0 else { return }
                    state.withLockedValue { $0.connections += 1 }
                    Thread {
                        defer { close(connection) }
                        while UpstreamFailureTests.DroppingListener.readRequest(connection) {
                            let number = state.withLockedValue { state -> Int in
                                state.requests += 1
                                return state.requests - 1
                            }
                            let reply = number < replies.count ? replies[number] : Reply(bytes: UpstreamResponseReadingTests.good)
                            Self.write(reply.bytes, to: connection)
                            if let later = reply.later {
                                usleep(50_000)
                                Self.write(later, to: connection)
                                var byte: UInt8 = 0
                                while read(connection, &byte, 1) > 0 {}
                                state.withLockedValue { $0.closedByClient += 1 }
                                return
                            }
                            if reply.close { return }
                        }
                    }.start()
                }
            }.start()
        }

        deinit { shutdown(descriptor, Int32(SHUT_RDWR)); close(descriptor) }

        var connections: Int { state.withLockedValue { $0.connections } }
        var requests: Int { state.withLockedValue { $0.requests } }
        var closedByClient: Int { state.withLockedValue { $0.closedByClient } }

        private static func write(_ text: String, to connection: Int32) {
            let bytes = Array(text.utf8)
            var offset = 0
            while offset < bytes.count {
                let count = bytes[offset...].withUnsafeBytes { Glibc.write(connection, $0.baseAddress, $0.count) }
                guard count > 0 else { return }
                offset += count
            }
        }
    }

    let client = UpstreamClient(group: MultiThreadedEventLoopGroup.singleton)
    let loop = MultiThreadedEventLoopGroup.singleton.next()

    func send(_ method: HTTPMethod = .POST, to listener: ScriptedListener) async -> Result<UpstreamResponse, UpstreamFailure> {
        let request = UpstreamRequest(method: method, uri: "/v2/models/m/infer", headers: ["content-type": "application/json"], body: ByteBuffer(string: "{}"))
        do {
            return .success(try await client.send(request, to: UpstreamAddress(host: "127.0.0.1", port: listener.port), on: loop, timeout: .seconds(60)).get())
        } catch let failure as UpstreamFailure {
            return .failure(failure)
        } catch {
            return .failure(.broken("\(error)"))
        }
    }

    func body(_ result: Result<UpstreamResponse, UpstreamFailure>) -> String? {
        (try? result.get()).map { String(buffer: $0.body) }
    }

    @Test("kept-alive answers reuse one connection: content-length, chunked with trailers, HEAD, 204, interim 100 and 103")
    func keepAliveReuse() async throws {
        let listener = try ScriptedListener([
            Reply(bytes: "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfirst"),
            Reply(bytes: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nchu\r\n4\r\nnked\r\n0\r\nX-Trailer: t\r\n\r\n"),
            Reply(bytes: "HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n"),
            Reply(bytes: "HTTP/1.1 204 No Content\r\n\r\n"),
            Reply(bytes: "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 7\r\n\r\ncreated"),
        ])
        #expect(body(await send(to: listener)) == "first")
        #expect(body(await send(to: listener)) == "chunked")
        let head = await send(.HEAD, to: listener)
        #expect(body(head) == "")
        #expect((try? head.get())?.headers["content-length"] == ["99"])
        #expect((try? await send(to: listener).get())?.status == .noContent)
        let created = await send(to: listener)
        #expect((try? created.get())?.status == .created)
        #expect(body(created) == "created")
        #expect(body(await send(to: listener)) == "ok")
        #expect(listener.connections == 1, "every answer was self-delimited and kept alive")
        client.forget(UpstreamAddress(host: "127.0.0.1", port: listener.port))
    }

    @Test("connection: close, HTTP/1.0 and a close-delimited body are answers, but their connection is not reused")
    func notReused() async throws {
        let listener = try ScriptedListener([
            Reply(bytes: "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 3\r\n\r\none"),
            Reply(bytes: "HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\ntwo"),
            Reply(bytes: "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nthree, until the close", close: true),
        ])
        #expect(body(await send(to: listener)) == "one")
        #expect(body(await send(to: listener)) == "two")
        #expect(body(await send(to: listener)) == "three, until the close")
        #expect(body(await send(to: listener)) == "ok")
        #expect(listener.connections == 4)
    }

    @Test("the callback send completes on the loop without a future")
    func callbackSend() async throws {
        let listener = try ScriptedListener([])
        let client = self.client
        let loop = self.loop
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<UpstreamResponse, UpstreamFailure>, Never>) in
            loop.execute {
                let request = UpstreamRequest(method: .GET, uri: "/", headers: [:], body: nil)
                client.send(request, to: UpstreamAddress(host: "127.0.0.1", port: listener.port), on: loop, timeout: .seconds(60)) { result in
                    loop.preconditionInEventLoop()
                    continuation.resume(returning: result)
                }
            }
        }
        #expect(body(result) == "ok")
    }

    /// Hostile answers to the first request, each with the failure it must give.
    static let hostile: [(name: String, reply: String, tooLarge: Bool)] = [
        ("content-length with transfer-encoding", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", false),
        ("two content-lengths", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok", false),
        ("a chunk size that is not hexadecimal", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", false),
        ("a chunk size that overflows", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\n", false),
        ("obs-fold", "HTTP/1.1 200 OK\r\nX-A: a\r\n b\r\nContent-Length: 2\r\n\r\nok", false),
        ("a bare CR", "HTTP/1.1 200 OK\r\nX-A: a\rContent-Length: 0\r\nContent-Length: 2\r\n\r\nok", false),
        ("a head over 64 KiB", "HTTP/1.1 200 OK\r\nX-Big: \(String(repeating: "b", count: 70_000))\r\n\r\n", false),
        ("101 fields", "HTTP/1.1 200 OK\r\n" + String(repeating: "X-F: v\r\n", count: 101) + "Content-Length: 2\r\n\r\nok", false),
        ("status line garbage", "HTTQ/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", false),
        ("a status that is not a number", "HTTP/1.1 2x0 OK\r\nContent-Length: 2\r\n\r\nok", false),
        ("a transfer coding Sluice cannot decode", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nxx", false),
        ("a body over the cap", "HTTP/1.1 200 OK\r\nContent-Length: \(UpstreamClient.maximumBody + 1)\r\n\r\n", true),
    ]

    @Test("a hostile answer fails with its failure, its connection is dropped, and the next request is answered on a fresh one", arguments: 0..<hostile.count)
    func hostileAnswer(_ index: Int) async throws {
        let (name, reply, tooLarge) = Self.hostile[index]
        let listener = try ScriptedListener([Reply(bytes: reply)])
        let first = await send(to: listener)
        switch first {
        case .failure(.tooLarge) where tooLarge: break
        case .failure(.broken) where !tooLarge: break
        default: Issue.record("\(name): \(first)")
        }
        #expect(body(await send(to: listener)) == "ok", "\(name)")
        #expect(body(await send(to: listener)) == "ok", "\(name)")
        #expect(listener.connections == 2, "\(name): the hostile connection was not reused, the fresh one was")
        client.forget(UpstreamAddress(host: "127.0.0.1", port: listener.port))
    }

    @Test("a second response in the same write as the first (smuggled): the first is the answer, the second is never read as the next one")
    func smuggledInSameWrite() async throws {
        let evil = "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nevil"
        let listener = try ScriptedListener([Reply(bytes: "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfirst" + evil)])
        #expect(body(await send(to: listener)) == "first")
        #expect(body(await send(to: listener)) == "ok")
        #expect(listener.connections == 2)
        client.forget(UpstreamAddress(host: "127.0.0.1", port: listener.port))
    }

    @Test("an unsolicited response later, while the connection is idle in the pool: the client closes it, and the next request gets a true answer")
    func unsolicitedWhileIdle() async throws {
        let listener = try ScriptedListener([Reply(bytes: "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfirst", later: "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nevil")])
        #expect(body(await send(to: listener)) == "first")
        while listener.closedByClient == 0 { await sleepEvenIfCancelled(for: .milliseconds(20)) }
        #expect(body(await send(to: listener)) == "ok")
        #expect(listener.connections == 2)
        client.forget(UpstreamAddress(host: "127.0.0.1", port: listener.port))
    }

    @Test("closed after part of a head: broken; closed before a byte: unanswered, and retried once on a fresh connection when pooled")
    func partialThenClosed() async throws {
        let listener = try ScriptedListener([Reply(bytes: "HTTP/1.1 200 OK\r\nContent-Le", close: true)])
        guard case .failure(.broken) = await send(to: listener) else {
            Issue.record("a half head was not broken")
            return
        }
        #expect(body(await send(to: listener)) == "ok")
    }
}
