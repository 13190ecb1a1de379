import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import SluiceCore
import SluiceTestSupport
import Testing

@testable import SluiceServe

/// The gateway's upstream connection handler on Sluice's own loop and a plain socket, against
/// a real HTTP/1.1 server on loopback (NIO's server pipeline): what the NIO channel under it
/// gives, answers whole, kept alive, refused, cut short and late.
@Suite struct EpollUpstreamSocketTests {
    @Test("answers come back whole over one kept-alive connection, small and across many reads")
    func answersOverAKeptAliveConnection() async throws {
        try await withUpstream { loop, server in
            let handler = try await connect(loop, port: server.port)
            let first = try await exchange(handler, on: loop, path: "/v2/models/m/infer").get()
            #expect(first.status == .ok)
            #expect(String(buffer: first.body) == #"{"outputs":[{"name":"y","shape":[1],"datatype":"FP32","data":[0.5]}]}"#)
            #expect(try await loop.submit { handler.isReusable }.get())
            // 1 MiB: many 16 KiB reads, one answer.
            let big = try await exchange(handler, on: loop, path: "/big").get()
            #expect(big.body.readableBytes == 1 << 20)
            #expect(big.body.readableBytesView.allSatisfy { $0 == UInt8(ascii: "x") })
            #expect(server.connections.withLockedValue { $0 } == 1, "both exchanges on the one connection")
        }
    }

    @Test("a port that refuses: the connect fails, naming the address")
    func refusedConnect() async throws {
        let loop = try EpollEventLoop(name: "test")
        defer { loop.syncShutdown() }
        let refusing = try RefusingPort()
        let failure = await #expect(throws: UpstreamFailure.self) {
            _ = try await connect(loop, port: refusing.port)
        }
        guard case .connect(let reason) = failure else {
            Issue.record("not a connect failure: \(String(describing: failure))")
            return
        }
        #expect(reason.contains("127.0.0.1:\(refusing.port)"))
    }

    @Test("an answer cut short by the server's close fails as broken, and the connection is not reused")
    func answerCutShort() async throws {
        try await withUpstream { loop, server in
            let handler = try await connect(loop, port: server.port)
            let result = await exchange(handler, on: loop, path: "/cut")
            guard case .failure(.broken) = result else {
                Issue.record("expected a broken exchange, got \(result)")
                return
            }
            #expect(try await loop.submit { handler.isReusable }.get() == false)
        }
    }

    @Test("a server that does not answer in time: the exchange times out and the connection closes")
    func timeout() async throws {
        try await withUpstream { loop, server in
            let handler = try await connect(loop, port: server.port)
            let result = await exchange(handler, on: loop, path: "/hold", timeout: .milliseconds(100))
            guard case .failure(.timeout) = result else {
                Issue.record("expected a timeout, got \(result)")
                return
            }
            #expect(try await loop.submit { handler.isReusable }.get() == false)
        }
    }
}

/// Runs `body` with a new loop and a loopback HTTP server, shutting both down after.
private func withUpstream(_ body: (EpollEventLoop, TestUpstream) async throws -> Void) async throws {
    let loop = try EpollEventLoop(name: "test")
    let server = try await TestUpstream.start()
    do {
        try await body(loop, server)
    } catch {
        try? await server.channel.close()
        try? await loop.shutdownGracefully()
        throw error
    }
    try? await server.channel.close()
    try? await loop.shutdownGracefully()
}

private func connect(_ loop: EpollEventLoop, port: Int) async throws -> UpstreamConnectionHandler {
    let address = try SocketAddress(ipAddress: "127.0.0.1", port: port)
    return try await loop.flatSubmit {
        EpollUpstreamSocket.connect(
            to: address, handler: UpstreamConnectionHandler(address: UpstreamAddress(host: "127.0.0.1", port: port)), on: loop,
            timeout: .seconds(5))
    }.get()
}

/// Sends one POST to `path` on `handler`'s connection and returns its outcome.
private func exchange(
    _ handler: UpstreamConnectionHandler, on loop: EpollEventLoop, path: String, timeout: TimeAmount = .seconds(10)
) async -> Result<UpstreamResponse, UpstreamFailure> {
    let promise = loop.makePromise(of: Result<UpstreamResponse, UpstreamFailure>.self)
    loop.execute {
        let request = UpstreamRequest(method: .POST, uri: path, body: ByteBuffer(string: #"{"inputs":[]}"#))
        handler.send(request, timeout: timeout, exchange: UpstreamCompletionExchange { promise.succeed($0) })
    }
    return try! await promise.futureResult.get()
}

/// A real HTTP/1.1 server on a free loopback port (NIO's server pipeline), answering by path.
private struct TestUpstream {
    let channel: any Channel
    let port: Int
    let connections: NIOLockedValueBox<Int>

    static func start() async throws -> TestUpstream {
        let connections = NIOLockedValueBox(0)
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                connections.withLockedValue { $0 += 1 }
                return channel.pipeline.configureHTTPServerPipeline().flatMap { channel.pipeline.addHandler(Answerer()) }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return TestUpstream(channel: channel, port: channel.localAddress!.port!, connections: connections)
    }

    private final class Answerer: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart
        private var path = ""

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head): path = head.uri
            case .body: break
            case .end: answer(context: context)
            }
        }

        private func answer(context: ChannelHandlerContext) {
            var body: ByteBuffer
            switch path {
            case "/hold":
                return
            case "/cut":
                // A head promising 100 bytes, 10 of them, and the close.
                var headers = HTTPHeaders()
                headers.add(name: "content-length", value: "100")
                context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
                context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: "0123456789")))), promise: nil)
                context.close(promise: nil)
                return
            case "/big":
                body = ByteBuffer(repeating: UInt8(ascii: "x"), count: 1 << 20)
            default:
                body = ByteBuffer(string: #"{"outputs":[{"name":"y","shape":[1],"datatype":"FP32","data":[0.5]}]}"#)
            }
            var headers = HTTPHeaders()
            headers.add(name: "content-type", value: "application/json")
            headers.add(name: "content-length", value: String(body.readableBytes))
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            body.clear()
        }
    }
}
