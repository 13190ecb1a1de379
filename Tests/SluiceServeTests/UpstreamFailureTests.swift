import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import SluiceCore
import Testing

@testable import SluiceServe

/// How the gateway's upstream client names a model server that goes away, against real
/// loopback listeners: closed before any byte is `unanswered` (the gateway then tries
/// another ready version), closed mid-answer is `broken` (never retried: part of an answer
/// reached Sluice), and nothing listening is `connect`.
@Suite struct UpstreamFailureTests {
    /// A listener that accepts one connection, reads the request, writes `reply` and closes.
    final class ClosingListener: @unchecked Sendable {
        let port: Int
        private let descriptor: Int32

        /// `listening: false` binds the port without listening: a connect is refused.
        init(reply: String, listening: Bool = true) throws {
            let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            self.descriptor = descriptor
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                    bind(descriptor, pointer, length) == 0 && (!listening || listen(descriptor, 4) == 0) && getsockname(descriptor, pointer, &length) == 0
                }
            }
            guard bound else { throw POSIXError(.EADDRINUSE) }
            port = Int(UInt16(bigEndian: address.sin_port))
            guard listening else { return }
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
        let bound = try ClosingListener(reply: "", listening: false)
        let failure = try await failure(port: bound.port)
        #expect(failure?.unanswered == true, "\(String(describing: failure))")
    }
}
