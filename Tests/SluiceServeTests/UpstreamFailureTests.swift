import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import SluiceCore
import SluiceTestSupport
import Testing

@testable import SluiceServe

/// How the gateway's upstream client names a model server that goes away, against real
/// loopback listeners: closed before any byte is `unanswered` (the gateway then tries
/// another ready version), closed mid-answer is `broken` (never retried: part of an answer
/// reached Sluice), and nothing listening is `connect`.
@Suite(.timeLimit(.minutes(10))) struct UpstreamFailureTests {
    /// A listener that accepts one connection, reads the request, writes `reply` and closes.
    final class ClosingListener: @unchecked Sendable {
        let port: Int
        private let descriptor: Int32

        init(reply: String) throws {
            (descriptor, port) = try RefusingPort.bindLoopback(listening: true)
            let listener = descriptor
            Thread {
                let connection = accept(listener, nil, nil)
                guard connection >= 0 else { return }
                var buffer = [UInt8](repeating: 0, count: 4096)
                _ = read(connection, &buffer, buffer.count)
                _ = reply.withCString { write(connection, $0, strlen($0)) }
                close(connection)
            }.start()
        }

        deinit { close(descriptor) }
    }

    func failure(port: Int) async throws -> UpstreamFailure? {
        let client = UpstreamClient(group: MultiThreadedEventLoopGroup.singleton)
        let request = UpstreamRequest(method: .POST, uri: "/v2/models/m/infer", headers: ["Content-Length": "2"], body: ByteBuffer(string: "{}"))
        do {
            _ = try await client.send(
                request, to: UpstreamAddress(host: "127.0.0.1", port: port), on: MultiThreadedEventLoopGroup.singleton.next(),
                timeout: .seconds(60)
            ).get()
            return nil
        } catch let failure as UpstreamFailure {
            return failure
        }
    }

    @Test("closed before any byte of an answer: unanswered, so another version may be tried")
    func closedBeforeAnswer() async throws {
        let listener = try ClosingListener(reply: "")
        let failure = try await failure(port: listener.port)
        #expect(failure?.unanswered == true, "\(String(describing: failure))")
    }

    @Test("closed after part of an answer: broken, never retried elsewhere")
    func closedMidAnswer() async throws {
        let listener = try ClosingListener(reply: "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"par")
        let failure = try await failure(port: listener.port)
        guard case .broken = failure else {
            Issue.record("a half answer gave \(String(describing: failure))")
            return
        }
        #expect(failure?.unanswered == false)
    }

    @Test("nothing listening: a connect failure, also tried elsewhere")
    func nothingListening() async throws {
        let refusing = try RefusingPort()
        let failure = try await failure(port: refusing.port)
        #expect(failure?.unanswered == true, "\(String(describing: failure))")
    }

    // MARK: - a kept-alive connection closed by the model server

    /// A keep-alive HTTP listener that answers the first request of a connection (only of
    /// the first connection, with `onlyFirstConnection`) and closes the connection, without
    /// a byte of answer, when a later request arrives: to the client, a pooled connection
    /// the server dropped while it was idle.
    final class DroppingListener: @unchecked Sendable {
        let port: Int
        private let descriptor: Int32
        private let counts = NIOLockedValueBox((connections: 0, requests: 0))

        init(onlyFirstConnection: Bool = false) throws {
            descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let listener = descriptor
            let bound = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                    bind(listener, pointer, length) == 0 && listen(listener, 8) == 0 && getsockname(listener, pointer, &length) == 0
                }
            }
            guard bound else { throw POSIXError(.EADDRINUSE) }
            port = Int(UInt16(bigEndian: address.sin_port))
            let counts = self.counts
            Thread {
                while true {
                    let connection = accept(listener, nil, nil)
                    guard connection >= 0 else { return }
                    let number = counts.withLockedValue { counts -> Int in
                        counts.connections += 1
                        return counts.connections
                    }
                    Thread {
                        defer { close(connection) }
                        var answered = 0
                        while Self.readRequest(connection) {
                            counts.withLockedValue { $0.requests += 1 }
                            guard answered == 0, !(onlyFirstConnection && number > 1) else { return }
                            let reply = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
                            _ = reply.withCString { write(connection, $0, strlen($0)) }
                            answered += 1
                        }
                    }.start()
                }
            }.start()
        }

        deinit { shutdown(descriptor, Int32(SHUT_RDWR)); close(descriptor) }

        var connections: Int { counts.withLockedValue { $0.connections } }
        var requests: Int { counts.withLockedValue { $0.requests } }

        /// Reads one whole request (head and Content-Length body); false when the peer closed.
        static func readRequest(_ connection: Int32) -> Bool {
            var received: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let text = String(decoding: received, as: UTF8.self)
                if let end = text.range(of: "\r\n\r\n") {
                    let head = text[..<end.lowerBound].lowercased()
                    let length = head.components(separatedBy: "\r\n").first { $0.hasPrefix("content-length:") }
                        .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
                    if text.utf8.distance(from: text.utf8.startIndex, to: end.upperBound) + length <= received.count { return true }
                }
                let count = read(connection, &buffer, buffer.count)
                guard count > 0 else { return false }
                received += buffer[0..<count]
            }
        }
    }

    /// Sends the same small POST on one event loop (so a pooled connection is reused).
    func send(_ client: UpstreamClient, to port: Int, on loop: any EventLoop) async -> Result<UpstreamResponse, UpstreamFailure> {
        let request = UpstreamRequest(method: .POST, uri: "/v2/models/m/infer", headers: ["Content-Length": "2"], body: ByteBuffer(string: "{}"))
        do {
            return .success(try await client.send(request, to: UpstreamAddress(host: "127.0.0.1", port: port), on: loop, timeout: .seconds(60)).get())
        } catch let failure as UpstreamFailure {
            return .failure(failure)
        } catch {
            return .failure(.broken("\(error)"))
        }
    }

    @Test("a pooled connection the model server closed unanswered is retried once on a fresh connection, and the caller gets the answer")
    func staleConnectionRetried() async throws {
        let listener = try DroppingListener()
        let client = UpstreamClient(group: MultiThreadedEventLoopGroup.singleton)
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let first = await send(client, to: listener.port, on: loop)
        #expect((try? first.get())?.status == .ok)
        #expect(listener.connections == 1)
        let second = await send(client, to: listener.port, on: loop)
        #expect((try? second.get())?.status == .ok, "\(second)")
        #expect(listener.connections == 2, "the second request went on the kept-alive connection, then on a fresh one")
        #expect(listener.requests == 3)
        client.forget(UpstreamAddress(host: "127.0.0.1", port: listener.port))
    }

    @Test("the retry is made once: a fresh connection that is closed unanswered too fails as unanswered, with no third attempt")
    func staleRetryOnlyOnce() async throws {
        let listener = try DroppingListener(onlyFirstConnection: true)
        let client = UpstreamClient(group: MultiThreadedEventLoopGroup.singleton)
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        #expect((try? await send(client, to: listener.port, on: loop).get())?.status == .ok)
        let second = await send(client, to: listener.port, on: loop)
        guard case .failure(let failure) = second else {
            Issue.record("answered: \(second)")
            return
        }
        #expect(failure.unanswered, "\(failure)")
        #expect(listener.connections == 2)
        #expect(listener.requests == 3)
    }
}
