import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

/// A fake of Prometheus' HTTP API on a loopback port, for what the real one cannot do:
/// check a bearer token, echo a request back in an error, send a huge or endless answer.
/// Real HTTP over a real socket; the answers are scripted by `respond`.
final class FakePrometheus: Sendable {
    /// A request as the fake received it.
    struct Request: Sendable {
        var method: HTTPMethod
        var uri: String
        var headers: HTTPHeaders
        var body: String
    }

    /// What to answer.
    enum Response: Sendable {
        /// A whole answer.
        case answer(HTTPResponseStatus, body: String, contentType: String = "application/json", headers: [(String, String)] = [])
        /// `chunks` chunks of `chunkSize` bytes, chunked (no Content-Length), each written once
        /// the previous one left; stops when the client goes away.
        case stream(chunkSize: Int, chunks: Int)
        /// A Content-Length of `bytes`, then the body in 64 KiB pieces.
        case sized(bytes: Int)
        /// A Content-Length of `promised` bytes, `sent` of them, then silence.
        case stall(promised: Int, sent: Int)
    }

    /// The upstream example answer of an instant query for `up`, copied verbatim from the
    /// Prometheus HTTP API documentation (docs/querying/api.md, "Instant queries").
    static let upstreamExample = """
        {
           "status" : "success",
           "data" : {
              "resultType" : "vector",
              "result" : [
                 {
                    "metric" : {
                       "__name__" : "up",
                       "job" : "prometheus",
                       "instance" : "localhost:9090"
                    },
                    "value": [ 1435781451.781, "1" ]
                 },
                 {
                    "metric" : {
                       "__name__" : "up",
                       "job" : "node",
                       "instance" : "localhost:9100"
                    },
                    "value" : [ 1435781451.781, "0" ]
                 }
              ]
           }
        }
        """

    /// `http://127.0.0.1:PORT`.
    let baseURL: String
    private let channel: any Channel
    private let state: NIOLockedValueBox<State>

    private struct State {
        var requests: [Request] = []
        var bytesWritten = 0
        var finishedStreams = 0
    }

    /// Listens on a free loopback port and answers each request with `respond`.
    init(respond: @escaping @Sendable (Request) -> Response) async throws {
        let state = NIOLockedValueBox(State())
        self.state = state
        channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline().flatMap {
                    channel.pipeline.addHandler(Handler(respond: respond, state: state))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        baseURL = "http://127.0.0.1:\(channel.localAddress?.port ?? 0)"
    }

    /// A fake that wants `Authorization: Bearer <token>` and answers ``upstreamExample``;
    /// a missing or wrong token gets 401 with every request header echoed in the body (as a
    /// careless proxy might), so a leak into an error message would show.
    static func checkingToken(_ token: String) async throws -> FakePrometheus {
        try await FakePrometheus { request in
            guard request.headers["Authorization"] == ["Bearer \(token)"] else {
                let echoed = request.headers.map { "\($0.name): \($0.value)" }.joined(separator: "\n")
                return .answer(.unauthorized, body: "unauthorized; you sent:\n\(echoed)", contentType: "text/plain")
            }
            return .answer(.ok, body: upstreamExample)
        }
    }

    /// Every request received so far.
    var requests: [Request] { state.withLockedValue { $0.requests } }
    /// Body bytes of streamed answers that reached the socket.
    var bytesWritten: Int { state.withLockedValue { $0.bytesWritten } }
    /// Streamed answers written to their end.
    var finishedStreams: Int { state.withLockedValue { $0.finishedStreams } }

    /// Closes the listener.
    func stop() async throws {
        try await channel.close()
    }

    private final class Handler: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart

        let respond: @Sendable (Request) -> Response
        let state: NIOLockedValueBox<State>
        var head: HTTPRequestHead?
        var body = ByteBuffer()

        init(respond: @escaping @Sendable (Request) -> Response, state: NIOLockedValueBox<State>) {
            self.respond = respond
            self.state = state
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head):
                self.head = head
                body.clear()
            case .body(var chunk):
                body.writeBuffer(&chunk)
            case .end:
                guard let head else { return }
                let request = Request(method: head.method, uri: head.uri, headers: head.headers, body: String(buffer: body))
                state.withLockedValue { $0.requests.append(request) }
                answer(respond(request), context: context)
            }
        }

        private func answer(_ response: Response, context: ChannelHandlerContext) {
            switch response {
            case .answer(let status, let text, let contentType, let extra):
                var headers = HTTPHeaders([("Content-Type", contentType), ("Content-Length", "\(text.utf8.count)")] + extra)
                headers.add(name: "Connection", value: "close")
                context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
                context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: text)))), promise: nil)
                let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
                context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in bound.value.close(promise: nil) }
            case .stream(let size, let chunks):
                let headers = HTTPHeaders([("Content-Type", "application/json"), ("Transfer-Encoding", "chunked")])
                context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
                writeChunks(left: chunks, size: size, context: context, end: true)
            case .sized(let bytes):
                let headers = HTTPHeaders([("Content-Type", "application/json"), ("Content-Length", "\(bytes)")])
                context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
                writeChunks(left: (bytes + 65535) / 65536, size: 65536, context: context, end: false)
            case .stall(let promised, let sent):
                let headers = HTTPHeaders([("Content-Type", "application/json"), ("Content-Length", "\(promised)")])
                context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
                context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: String(repeating: "[", count: sent))))), promise: nil)
            }
        }

        /// Writes one chunk and the next once it has left, so at most one chunk waits in memory.
        private func writeChunks(left: Int, size: Int, context: ChannelHandlerContext, end: Bool) {
            guard left > 0 else {
                state.withLockedValue { $0.finishedStreams += 1 }
                if end { context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil) }
                return
            }
            let chunk = ByteBuffer(repeating: UInt8(ascii: " "), count: size)
            let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(chunk)))).whenComplete { result in
                guard case .success = result else { return }
                let (handler, context) = bound.value
                handler.state.withLockedValue { $0.bytesWritten += size }
                handler.writeChunks(left: left - 1, size: size, context: context, end: end)
            }
        }
    }
}

/// A loopback listener whose connections the kernel accepts and nobody ever answers.
final class SilentListener {
    /// `http://127.0.0.1:PORT`.
    let baseURL: String
    private let descriptor: Int32

    init() throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(descriptor, pointer, length) == 0 && listen(descriptor, 16) == 0 && getsockname(descriptor, pointer, &length) == 0
            }
        }
        guard bound else {
            close(descriptor)
            throw POSIXError(.EADDRNOTAVAIL)
        }
        self.descriptor = descriptor
        baseURL = "http://127.0.0.1:\(UInt16(bigEndian: address.sin_port))"
    }

    deinit { close(descriptor) }
}
