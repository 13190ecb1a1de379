import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import SluiceCore

/// A request to an upstream model server.
package struct UpstreamRequest: Sendable {
    package var method: HTTPMethod
    package var uri: String
    package var headers: HTTPHeaders
    package var body: ByteBuffer?

    package init(method: HTTPMethod, uri: String, headers: HTTPHeaders, body: ByteBuffer?) {
        self.method = method
        self.uri = uri
        self.headers = headers
        self.body = body
    }
}

/// A complete upstream response (the body is buffered whole, so the gateway never
/// forwards a half-written answer).
package struct UpstreamResponse: Sendable {
    package var status: HTTPResponseStatus
    /// The response's fields as read: the gateway forwards them from these bytes.
    package var fields: HTTP1FieldLines
    package var body: ByteBuffer

    /// The fields as `HTTPHeaders`, made on each call (for the admin client and tests).
    package var headers: HTTPHeaders { fields.headers }
}

/// Why an upstream exchange failed.
package enum UpstreamFailure: Error, Sendable, CustomStringConvertible {
    /// No connection could be made; nothing was sent, so another version may be tried.
    case connect(String)
    /// The connection closed or was reset before any byte of the response: the model server
    /// went away (killed, or its listener closed with the request in its backlog). Another
    /// version may be tried, as for `connect`: a server that answers nothing has served nothing
    /// the caller sees, and inference requests carry no side effects Sluice relies on.
    case unanswered(String)
    /// The connection failed or closed after part of a response arrived.
    case broken(String)
    /// No whole response within the timeout.
    case timeout
    /// The response body exceeded the size cap.
    case tooLarge

    /// True when the upstream answered nothing, so another version may be tried.
    package var unanswered: Bool {
        switch self {
        case .connect, .unanswered: true
        case .broken, .timeout, .tooLarge: false
        }
    }

    package var description: String {
        switch self {
        case .connect(let reason): "connection failed: \(reason)"
        case .unanswered(let reason): "connection closed before any answer: \(reason)"
        case .broken(let reason): "connection broken: \(reason)"
        case .timeout: "no response within the timeout"
        case .tooLarge: "response body too large"
        }
    }
}

/// HTTP/1.1 client for loopback model servers, with keep-alive connection pools kept
/// per event loop, so a proxied request stays on the loop that accepted it (no locks,
/// no thread hops on the hot path).
package final class UpstreamClient: Sendable {
    /// Largest upstream response body accepted.
    static let maximumBody = 64 * 1024 * 1024
    /// Idle connections kept per upstream per event loop.
    static let maximumIdle = 128

    private let group: any EventLoopGroup
    private let pools = NIOLockedValueBox<[ObjectIdentifier: LoopPool]>([:])

    package init(group: any EventLoopGroup) {
        self.group = group
    }

    /// Sends `request` to `address` on `eventLoop` and collects the whole response.
    package func send(
        _ request: UpstreamRequest,
        to address: UpstreamAddress,
        on eventLoop: any EventLoop,
        timeout: TimeAmount
    ) -> EventLoopFuture<UpstreamResponse> {
        let promise = eventLoop.makePromise(of: UpstreamResponse.self)
        if eventLoop.inEventLoop {
            send(request, to: address, on: eventLoop, timeout: timeout) { promise.completeWith($0.mapError { $0 as any Error }) }
        } else {
            eventLoop.execute {
                self.send(request, to: address, on: eventLoop, timeout: timeout) { promise.completeWith($0.mapError { $0 as any Error }) }
            }
        }
        return promise.futureResult
    }

    /// Sends `request` to `address` and tells `exchange` the whole response or the failure,
    /// on `eventLoop`, without a promise or a closure. Must be called on `eventLoop`.
    package func send(
        _ request: UpstreamRequest,
        to address: UpstreamAddress,
        on eventLoop: any EventLoop,
        timeout: TimeAmount,
        exchange: any UpstreamExchange
    ) {
        eventLoop.preconditionInEventLoop()
        pool(for: eventLoop).send(request, to: address, timeout: timeout, exchange: exchange)
    }

    /// Sends `request` to `address` and calls `completion` with the whole response or the
    /// failure, on `eventLoop`, without a promise. Must be called on `eventLoop`.
    package func send(
        _ request: UpstreamRequest,
        to address: UpstreamAddress,
        on eventLoop: any EventLoop,
        timeout: TimeAmount,
        completion: @escaping UpstreamCompletion
    ) {
        send(request, to: address, on: eventLoop, timeout: timeout, exchange: CallbackExchange(completion))
    }

    /// Sends `request` over a new connection to the unix socket at `path` and collects the
    /// whole response (for the admin API: rare calls, so no pool).
    package func send(
        _ request: UpstreamRequest,
        toUnixSocket path: String,
        on eventLoop: any EventLoop,
        timeout: TimeAmount
    ) -> EventLoopFuture<UpstreamResponse> {
        let handler = UpstreamConnectionHandler(hostHeader: "localhost")
        return ClientBootstrap(group: eventLoop)
            .connectTimeout(min(timeout, .seconds(5)))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try UpstreamClient.addHandlers(to: channel, handler)
                }
            }
            .connect(unixDomainSocketPath: path)
            .flatMapErrorThrowing { error in throw UpstreamFailure.connect("\(error)") }
            .flatMap { channel in
                let promise = channel.eventLoop.makePromise(of: UpstreamResponse.self)
                handler.send(request, timeout: timeout) { result in
                    promise.completeWith(result.mapError { $0 as any Error })
                    channel.close(promise: nil)
                }
                return promise.futureResult
            }
    }

    /// Closes every idle connection to `address` (its process went away).
    func forget(_ address: UpstreamAddress) {
        let all = pools.withLockedValue { Array($0.values) }
        for pool in all {
            pool.eventLoop.execute { pool.closeIdle(address) }
        }
    }

    /// A new upstream connection's pipeline: `handler` alone, raw bytes in and out.
    fileprivate static func addHandlers(to channel: any Channel, _ handler: UpstreamConnectionHandler) throws {
        let operations = channel.pipeline.syncOperations
        try operations.markCloseOnExec()
        try operations.addHandler(handler)
    }

    private func pool(for eventLoop: any EventLoop) -> LoopPool {
        let key = ObjectIdentifier(eventLoop)
        return pools.withLockedValue { pools in
            if let pool = pools[key] { return pool }
            let pool = LoopPool(eventLoop: eventLoop)
            pools[key] = pool
            return pool
        }
    }
}

/// Receives the outcome of one exchange, on the connection's event loop.
package typealias UpstreamCompletion = (Result<UpstreamResponse, UpstreamFailure>) -> Void

/// Receives the outcome of one request to a model server, once, on the connection's event
/// loop. The gateway's per-request object is one (``GatewayExchange``), so a forwarded
/// request allocates no completion closure on the way to the model server and back.
package protocol UpstreamExchange: AnyObject {
    func upstreamDidFinish(_ result: Result<UpstreamResponse, UpstreamFailure>)
}

/// An exchange whose outcome goes to a closure (the admin, probe and webhook calls, and tests).
final class CallbackExchange: UpstreamExchange {
    private let completion: UpstreamCompletion

    init(_ completion: @escaping UpstreamCompletion) {
        self.completion = completion
    }

    func upstreamDidFinish(_ result: Result<UpstreamResponse, UpstreamFailure>) {
        completion(result)
    }
}

/// The idle connections of one event loop; touched only on that loop.
final class LoopPool: @unchecked Sendable {
    let eventLoop: any EventLoop
    private var idle: [UpstreamAddress: [UpstreamConnectionHandler]] = [:]

    init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    func send(_ request: UpstreamRequest, to address: UpstreamAddress, timeout: TimeAmount, exchange: any UpstreamExchange) {
        eventLoop.assertInEventLoop()
        if let connection = takeIdle(address) {
            // Its bytes are kept: the server may have closed the connection while it was idle.
            connection.send(request, timeout: timeout, exchange: exchange, pool: self, resendable: true)
            return
        }
        onNewConnection(to: address, timeout: timeout, exchange: exchange) { connection, exchange in
            connection.send(request, timeout: timeout, exchange: exchange, pool: self)
        }
    }

    /// A request sent through this pool finished on `connection`. A kept-alive connection the
    /// server closed while idle left it unanswered: it is sent once more (on another idle
    /// connection if one is usable, else a new one; never a third time), which is safe as
    /// nothing was answered. A connection that answered goes back to the idle list; then the
    /// exchange hears of the outcome.
    func connection(
        _ connection: UpstreamConnectionHandler, finished result: Result<UpstreamResponse, UpstreamFailure>,
        for outstanding: UpstreamConnectionHandler.Outstanding
    ) {
        guard let address = connection.address else { return outstanding.exchange.upstreamDidFinish(result) }
        if let resend = outstanding.resend, case .failure(.unanswered) = result {
            let again = { (connection: UpstreamConnectionHandler, exchange: any UpstreamExchange) in
                connection.send(resend.bytes, toHEAD: resend.toHEAD, timeout: resend.timeout, to: .init(exchange: exchange, pool: self, resend: nil))
            }
            if let other = takeIdle(address) { return again(other, outstanding.exchange) }
            return onNewConnection(to: address, timeout: resend.timeout, exchange: outstanding.exchange, again)
        }
        if case .success = result { release(connection, to: address) }
        outstanding.exchange.upstreamDidFinish(result)
    }

    /// Connects to `address`, then calls `write` with the connection, or tells `exchange` the
    /// connect failure; on this loop (the connect future completes here).
    private func onNewConnection(
        to address: UpstreamAddress, timeout: TimeAmount, exchange: any UpstreamExchange,
        _ write: @escaping (UpstreamConnectionHandler, any UpstreamExchange) -> Void
    ) {
        let bound = NIOLoopBound((exchange, write), eventLoop: eventLoop)
        connect(address, timeout: timeout).whenComplete { connected in
            let (exchange, write) = bound.value
            switch connected {
            case .success(let connection): write(connection, exchange)
            case .failure(let error): exchange.upstreamDidFinish(.failure(error as? UpstreamFailure ?? .connect("\(error)")))
            }
        }
    }

    func closeIdle(_ address: UpstreamAddress) {
        for connection in idle.removeValue(forKey: address) ?? [] { connection.close() }
    }

    private func takeIdle(_ address: UpstreamAddress) -> UpstreamConnectionHandler? {
        // Mutated in place: copying the list out and back would retain every idle connection.
        while let connection = idle[address]?.popLast() {
            if connection.isReusable { return connection }
            connection.close()
        }
        return nil
    }

    private func release(_ connection: UpstreamConnectionHandler, to address: UpstreamAddress) {
        guard connection.isReusable, idle[address, default: []].count < UpstreamClient.maximumIdle else {
            connection.close()
            return
        }
        idle[address, default: []].append(connection)
    }

    private func connect(_ address: UpstreamAddress, timeout: TimeAmount) -> EventLoopFuture<UpstreamConnectionHandler> {
        let handler = UpstreamConnectionHandler(address: address)
        return ClientBootstrap(group: eventLoop)
            .connectTimeout(min(timeout, .seconds(5)))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try UpstreamClient.addHandlers(to: channel, handler)
                }
            }
            .connect(host: address.host, port: address.port)
            .map { _ in handler }
            .flatMapErrorThrowing { error in throw UpstreamFailure.connect("\(error)") }
    }
}
