import NIOCore
import NIOEmbedded
import NIOHTTP1
import SluiceCore
import Testing

@testable import SluiceServe

/// Each connection handler holds its deadline, whose expiry calls back into the handler with a
/// strong reference (a weak one gave the handler a side table: every retain and release of it
/// took the runtime's slow path, Benchmarks/README.md "Hot path, slices 23-36"). The handler
/// drops the deadline when it is removed, so a closed connection frees both; a leak here would
/// grow with every connection a gateway ever accepted.
@Suite("connection handler lifetime") struct HandlerLifetimeTests {
    /// Answers every request with 200 at once.
    struct Answer: HTTPResponder {
        func screen(_ head: RequestHead) -> HeadDecision { .accept(maximumBody: nil) }
        func respond(to request: ServerRequest) -> EventLoopFuture<ServerResponse> {
            request.eventLoop.makeSucceededFuture(ServerResponse(status: .ok, body: ByteBuffer(string: "ok")))
        }
    }

    @Test("a server connection's handler is freed once the connection closes, after answering and with its idle deadline armed")
    func serverHandlerFreed() throws {
        weak var freed: RequestHandler?
        try {
            let channel = EmbeddedChannel()
            let limits = ServerLimits()
            let handler = RequestHandler(responder: Answer(), limits: limits, budget: BodyBudget(limit: limits.bufferedBodies))
            freed = handler
            try channel.pipeline.syncOperations.addHandler(handler)
            try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 8080)).wait()
            try channel.writeInbound(ByteBuffer(string: "GET /x HTTP/1.1\r\nHost: a\r\n\r\n"))
            channel.embeddedEventLoop.run()
            let answer = try channel.readOutbound(as: ByteBuffer.self).map { String(buffer: $0) }
            #expect(answer?.hasPrefix("HTTP/1.1 200 OK\r\n") == true)
            _ = try channel.finish(acceptAlreadyClosed: true)
        }()
        #expect(freed == nil, "the handler outlived its closed connection")
    }

    @Test("an upstream connection's handler is freed once the connection closes, with a request's deadline armed")
    func upstreamHandlerFreed() throws {
        weak var freed: UpstreamConnectionHandler?
        var failure: UpstreamFailure?
        try {
            let (channel, handler) = try connectedUpstreamHandler()
            freed = handler
            handler.send(UpstreamRequest(method: .GET, uri: "/v2/health/ready", headers: [:], body: nil), timeout: .seconds(30), exchange: UpstreamCompletionExchange { result in
                if case .failure(let error) = result { failure = error }
            })
            _ = try channel.finish(acceptAlreadyClosed: true)
        }()
        #expect(freed == nil, "the handler outlived its closed connection")
        #expect(failure?.description.contains("closed") == true, "the request in flight failed: \(String(describing: failure))")
    }

    /// Records the outcome it is told.
    final class Told: UpstreamExchange, @unchecked Sendable {
        var result: Result<UpstreamResponse, UpstreamFailure>?
        func upstreamFinished(_ result: Result<UpstreamResponse, UpstreamFailure>) { self.result = result }
    }

    @Test("a kept-alive upstream connection lets go of the exchange once it is told the answer, and stays usable for the next")
    func upstreamExchangeFreed() throws {
        let (channel, handler) = try connectedUpstreamHandler()
        weak var freed: Told?
        var status: Int?
        try {
            let told = Told()
            freed = told
            handler.send(UpstreamRequest(method: .POST, uri: "/v2/models/m/infer", body: ByteBuffer(string: "{}")), timeout: .seconds(30), exchange: told)
            try channel.writeInbound(ByteBuffer(string: "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}"))
            if case .success(let response) = told.result { status = Int(response.status.code) }
        }()
        #expect(status == 200, "the exchange was told the answer")
        #expect(freed == nil, "the connection kept the exchange after telling it")
        #expect(handler.isReusable, "a whole answer on a kept-alive connection leaves it usable")
        _ = try channel.finish(acceptAlreadyClosed: true)
    }
}
