import NIOConcurrencyHelpers
import NIOCore
import NIOHPACK
import NIOHTTP2
import NIOPosix
import SluiceCore

/// One unary gRPC call to a model server: its method path, the caller's metadata to pass
/// on, and the length-prefixed request message.
struct GRPCUpstreamRequest: Sendable {
    var path: String
    var metadata: HPACKHeaders
    var body: ByteBuffer
}

/// A model server's answer to a unary call: response headers, the length-prefixed
/// messages, the trailers (`grpc-status`, `grpc-message`); a trailers-only answer has
/// empty `headers`.
struct GRPCUpstreamResponse: Sendable {
    var headers: HPACKHeaders
    var messages: ByteBuffer
    var trailers: HPACKHeaders

    /// The call's status, from the trailers (UNKNOWN when the server sent none).
    var status: GRPCStatusCode { GRPCStatusCode(trailer: trailers.first(name: "grpc-status")) }
}

/// The gateway's gRPC client: one HTTP/2 connection per model server and event loop, every
/// call a stream on it (multiplexed, so no per-call connection and no per-call hop between
/// threads). A connection that closes or fails (the model server stopped) is dropped from
/// the pool and made again by the next call.
final class GRPCUpstreamClient: Sendable {
    private struct Key: Hashable {
        var address: UpstreamAddress
        var loop: ObjectIdentifier
    }

    /// A connection to one model server, and what opens streams on it.
    private struct Connection: @unchecked Sendable {
        // The multiplexer is only used on the connection's own event loop (the caller's).
        let multiplexer: NIOHTTP2Handler.StreamMultiplexer
        let channel: any Channel
    }

    private let connections = NIOLockedValueBox<[Key: EventLoopFuture<Connection>]>([:])
    /// The largest answer (all messages) kept; a larger one fails the call.
    let maximumResponse: Int

    init(maximumResponse: Int = UpstreamClient.maximumBody) {
        self.maximumResponse = maximumResponse
    }

    /// Sends `request` to `address` on `loop` (the caller's), failing with an
    /// ``UpstreamFailure`` that says whether the server saw anything, or with
    /// ``UpstreamFailure/timeout`` at `deadline` (the stream is reset then; the model server
    /// is told the time left in `grpc-timeout`), or with ``GRPCCallCancelled`` when
    /// `cancellation` fires first (the stream is reset with CANCEL then).
    func send(
        _ request: GRPCUpstreamRequest, to address: UpstreamAddress, on loop: any EventLoop, deadline: NIODeadline,
        cancellation: GRPCCallCancellation? = nil
    ) -> EventLoopFuture<GRPCUpstreamResponse> {
        let maximumResponse = self.maximumResponse
        return connection(to: address, on: loop).flatMap { connection in
            if cancellation?.isCancelled == true { return loop.makeFailedFuture(GRPCCallCancelled()) }
            let promise = loop.makePromise(of: GRPCUpstreamResponse.self)
            connection.multiplexer.createStreamChannel { stream in
                stream.eventLoop.makeCompletedFuture {
                    let handler = GRPCClientStreamHandler(
                        request: request, authority: "\(address.host):\(address.port)", promise: promise,
                        deadline: deadline, maximumResponse: maximumResponse, cancellation: cancellation)
                    try stream.pipeline.syncOperations.addHandler(handler)
                }
            }.whenFailure { error in
                promise.fail(UpstreamFailure.unanswered("could not open a stream: \(error)"))
            }
            return promise.futureResult
        }
    }

    private func connection(to address: UpstreamAddress, on loop: any EventLoop) -> EventLoopFuture<Connection> {
        let key = Key(address: address, loop: ObjectIdentifier(loop))
        // The promise is made only when no connection is there or on its way (an unused
        // promise is a leak NIO reports).
        let (existing, made) = connections.withLockedValue { pool -> (EventLoopFuture<Connection>?, EventLoopPromise<Connection>?) in
            if let found = pool[key] { return (found, nil) }
            let promise = loop.makePromise(of: Connection.self)
            pool[key] = promise.futureResult
            return (nil, promise)
        }
        guard let promise = made else { return existing ?? loop.makeFailedFuture(UpstreamFailure.connect("no connection")) }
        let future = promise.futureResult
        let connections = self.connections
        let drop: @Sendable () -> Void = {
            connections.withLockedValue { pool in
                if pool[key] === future { pool[key] = nil }
            }
        }
        ClientBootstrap(group: loop)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(.seconds(2))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.markCloseOnExec()
                    _ = try channel.pipeline.syncOperations.configureHTTP2Pipeline(
                        mode: .client, connectionConfiguration: .init(), streamConfiguration: .init(),
                        // Servers do not push in gRPC; a pushed stream is closed.
                        inboundStreamInitializer: { stream in stream.close() })
                    try channel.pipeline.syncOperations.addHandler(NIOCloseOnErrorHandler())
                }
            }
            .connect(host: address.host, port: address.port)
            .whenComplete { result in
                switch result {
                case .success(let channel):
                    channel.closeFuture.whenComplete { _ in drop() }
                    do {
                        let multiplexer = try channel.pipeline.syncOperations.handler(type: NIOHTTP2Handler.self).syncMultiplexer()
                        promise.succeed(Connection(multiplexer: multiplexer, channel: channel))
                    } catch {
                        channel.close(promise: nil)
                        promise.fail(UpstreamFailure.connect("\(address): \(error)"))
                    }
                case .failure(let error):
                    drop()
                    promise.fail(UpstreamFailure.connect("\(address): \(error)"))
                }
            }
        return future
    }
}
