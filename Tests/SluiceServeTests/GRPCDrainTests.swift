import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import SluiceTestSupport
import Testing
@testable import SluiceServe

/// The gRPC listener's drain at shutdown (``GRPCServerHost/close()``), over real h2c on
/// loopback with curl as the caller: a call under way is answered before the listener has
/// closed, and a call that outlasts the drain timeout does not hold the shutdown.
@Suite("gRPC listener: graceful drain", .serialized)
struct GRPCDrainTests {
    /// Answers each call `delay` after it arrives (the listener's job is under test, not the
    /// routing behind it); `received` is fulfilled when the first call arrives.
    struct DelayedResponder: GRPCResponder {
        let delay: TimeAmount
        let received: EventLoopPromise<Void>
        /// Set when an answer is handed to the listener.
        let answered = NIOLockedValueBox(false)

        func respond(to call: GRPCCall) -> EventLoopFuture<GRPCReply> {
            received.succeed()
            return call.eventLoop.scheduleTask(in: delay) { [answered] in
                answered.withLockedValue { $0 = true }
                return GRPCReply.message(ByteBuffer(string: "answered"))
            }.futureResult
        }
    }

    /// Starts a listener on a free loopback port whose calls take `delay`, sends one call with
    /// curl, closes the listener once the call has arrived, and hands `check` what happened.
    private func drain(
        delay: TimeAmount, drainTimeout: Swift.Duration,
        _ check: (_ answer: GRPCDeadlineTests.Answer, _ messages: Data, _ answeredBeforeClose: Bool, _ port: Int) async throws -> Void
    ) async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("grpc-drain-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: directory) }
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let responder = DelayedResponder(delay: delay, received: group.next().makePromise())
            let host = try await GRPCServerHost.start(
                address: .tcp(host: "127.0.0.1", port: 0), group: group, limits: ServerLimits(), drainTimeout: drainTimeout,
                responder: responder)
            let port = try #require(host.port)
            let messages = directory.appendingPathComponent("messages.bin")
            let call = Task {
                try await GRPCDeadlineTests.call(port: port, directory: directory, model: "fraud", timeout: nil, maxTime: 20, messages: messages)
            }
            try await responder.received.futureResult.get()
            await host.close()
            let answeredBeforeClose = responder.answered.withLockedValue { $0 }
            let answer = try await call.value
            try await check(answer, (try? Data(contentsOf: messages)) ?? Data(), answeredBeforeClose, port)
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
        try await group.shutdownGracefully()
    }

    @Test("SIGTERM's drain: a call under way is answered OK before close returns; then the port takes no connection")
    func answersCallsUnderWay() async throws {
        try await drain(delay: .milliseconds(1500), drainTimeout: .seconds(20)) { answer, messages, answeredBeforeClose, port in
            // curl exits 0 only for a stream that ended cleanly: the trailers came (grpc-status 0).
            #expect(answer.status == 0, "curl: \(answer.output)")
            #expect(answer.headers["content-type"] == "application/grpc", "\(answer.output)")
            #expect(messages == Data([0, 0, 0, 0, 8]) + Data("answered".utf8), "the whole message arrived")
            #expect(answeredBeforeClose, "close() returned before the call under way was answered")
            // The listener is closed: a new connection is refused.
            let refused = try await ChildProcess.run(
                URL(fileURLWithPath: "/usr/bin/env"),
                ["curl", "-sS", "--http2-prior-knowledge", "--max-time", "5", "-o", "/dev/null", "http://127.0.0.1:\(port)/"])
            #expect(refused.status == 7, "curl connected after the drain: \(refused.output)")
        }
    }

    @Test("a call that outlasts the drain timeout does not hold the shutdown: close returns before it is answered")
    func drainTimeoutBoundsTheWait() async throws {
        try await drain(delay: .seconds(30), drainTimeout: .milliseconds(300)) { answer, messages, answeredBeforeClose, _ in
            #expect(!answeredBeforeClose)
            #expect(answer.status != 0, "the cut call did not end cleanly: \(answer.output)")
            #expect(messages.isEmpty)
        }
    }
}
