import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import SluiceArtifacts
import SluiceConfig
import SluiceCore
import Testing

/// What moto never does: ignore a Range, throttle, cut a body short.
@Suite("S3 source against a loopback store that misbehaves", .timeLimit(.minutes(10)))
struct S3MisbehavingStoreTests {
    /// Answers by path: `/b/full` ignores Range (200, whole body), `/b/slow` is 503 SlowDown,
    /// `/b/short` announces 100 bytes, sends 10 and closes.
    final class Handler: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            guard case .head(let head) = unwrapInboundIn(data) else { return }
            var headers = HTTPHeaders()
            let status: HTTPResponseStatus
            let body: String
            var close = false
            switch head.uri {
            case "/b/full":
                (status, body) = (.ok, "0123456789")
                headers.add(name: "Content-Length", value: "10")
            case "/b/short":
                (status, body, close) = (.ok, "0123456789", true)
                headers.add(name: "Content-Length", value: "100")
            default:
                (status, body) = (.serviceUnavailable, "<Error><Code>SlowDown</Code><Message>Reduce your request rate.</Message></Error>")
                headers.add(name: "Content-Length", value: "\(body.utf8.count)")
            }
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: body)))), promise: nil)
            if close {
                let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
                context.writeAndFlush(NIOAny(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer())))).whenComplete { _ in bound.value.close(promise: nil) }
            } else {
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            }
        }
    }

    private func withStore(_ body: (S3Source) async throws -> Void) async throws {
        let listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline().flatMap { channel.pipeline.addHandler(Handler()) }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        defer { listener.close(promise: nil) }
        var config = ArtifactsConfig.S3()
        config.endpoint = "http://127.0.0.1:\(listener.localAddress?.port ?? 0)"
        let source = try S3Source(
            config: config, timeout: .seconds(120), environment: ["AWS_ACCESS_KEY_ID": "AKIAX", "AWS_SECRET_ACCESS_KEY": "s"], client: HTTPClient.shared)
        try await body(source)
    }

    @Test("a store that ignores Range: the sink is restarted and the whole object written")
    func ignoredRange() async throws {
        try await withStore { source in
            let sink = CollectingSink()
            try await source.download(.init(path: "", location: "s3://b/full", size: 10, etag: "\"e\""), from: 4, into: sink)
            #expect(await sink.restarts == 1)
            #expect(await sink.data == Data("0123456789".utf8))
        }
    }

    @Test("503 SlowDown is unavailable (retryable); a body cut short is a connection error")
    func throttledAndShort() async throws {
        try await withStore { source in
            let slow = await #expect(throws: ArtifactFetchError.self) {
                try await source.download(.init(path: "", location: "s3://b/slow"), from: 0, into: CollectingSink())
            }
            #expect(slow?.kind == .unavailable)
            #expect(slow?.message.contains("SlowDown") == true)
            #expect(slow?.isRetryable == true)
            let short = await #expect(throws: ArtifactFetchError.self) {
                try await source.download(.init(path: "", location: "s3://b/short"), from: 0, into: CollectingSink())
            }
            #expect(short?.kind == .connection)
            #expect(short?.message.contains("s3://b/short") == true)
        }
    }
}
