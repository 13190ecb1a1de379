import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import SluiceCore

/// A request to an upstream model server. A class: the gateway hands one request to the
/// exchange, its retry and the connection's writer, and each hand-over of a struct of seven
/// references retained all seven. Not final: the gateway's `ForwardExchange` is the request
/// it forwards, one object a request instead of two (Benchmarks/README.md, "Hot path, slice
/// 59"). Sendable by hand only because a class open to subclasses cannot be checked: every
/// stored property is a `let` of a Sendable type.
package class UpstreamRequest: @unchecked Sendable {
    package let method: HTTPMethod
    package let uri: String
    /// Fields copied from another head (the caller's, as it sent them), written before `headers`.
    package let forwarded: ForwardedFields?
    /// The gateway's own fields, checked as they were added, written after `forwarded`.
    package let own: OwnFields
    package let headers: HTTPHeaders
    package let body: ByteBuffer?

    package init(
        method: HTTPMethod, uri: String, forwarded: ForwardedFields? = nil, own: consuming OwnFields = OwnFields(), headers: HTTPHeaders = [:],
        body: ByteBuffer?
    ) {
        self.method = method
        self.uri = uri
        self.forwarded = forwarded
        self.own = own
        self.headers = headers
        self.body = body
    }
}

/// A complete upstream response (the body is buffered whole, so the gateway never
/// forwards a half-written answer). A class whose parts never change: handed through the
/// exchange's closures, a struct was copied (its references retained) at each.
package final class UpstreamResponse: Sendable {
    package let status: HTTPResponseStatus
    /// The response's fields as read: the gateway forwards them from these bytes.
    package let fields: HTTP1FieldLines
    package let body: ByteBuffer

    package init(status: HTTPResponseStatus, fields: HTTP1FieldLines, body: ByteBuffer) {
        self.status = status
        self.fields = fields
        self.body = body
    }

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

    /// A pool per loop given to `init`, made up front and never changed: found without a lock, by
    /// comparing a few loops' identities (``SmallLookup``).
    private let loopPools: SmallLookup<ObjectIdentifier, LoopPool>
    /// The pools of other loops, made on first use.
    private let otherPools = NIOLockedValueBox<[ObjectIdentifier: LoopPool]>([:])

    package convenience init(group: any EventLoopGroup) {
        self.init(loops: Array(group.makeIterator()))
    }

    /// A client with a pool per loop of `loops` made up front (NIO's, the gateway's own, or both).
    package init(loops: [any EventLoop]) {
        var pools: [ObjectIdentifier: LoopPool] = [:]
        for loop in loops { pools[ObjectIdentifier(loop)] = LoopPool(eventLoop: loop) }
        loopPools = SmallLookup(pools)
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

    /// Sends `request` to `address` and calls `completion` with the whole response or the
    /// failure, on `eventLoop`, without a promise. Must be called on `eventLoop`.
    package func send(
        _ request: UpstreamRequest,
        to address: UpstreamAddress,
        on eventLoop: any EventLoop,
        timeout: TimeAmount,
        completion: @escaping UpstreamCompletion
    ) {
        send(request, to: PooledAddress(address), on: eventLoop, timeout: timeout, exchange: UpstreamCompletionExchange(completion))
    }

    /// Sends `request` to `address` and tells `exchange` the whole response or the failure,
    /// on `eventLoop`, without a promise or a closure. Must be called on `eventLoop`.
    package func send(
        _ request: UpstreamRequest,
        to address: PooledAddress,
        on eventLoop: any EventLoop,
        timeout: TimeAmount,
        exchange: any UpstreamExchange
    ) {
        eventLoop.preconditionInEventLoop()
        pool(for: eventLoop).send(request, to: address, timeout: timeout, retryStale: true, exchange: exchange)
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
                handler.send(request, timeout: timeout, exchange: UpstreamCompletionExchange { result in
                    promise.completeWith(result.mapError { $0 as any Error })
                    channel.close(promise: nil)
                })
                return promise.futureResult
            }
    }

    /// Closes every idle connection to `address` (its process went away).
    func forget(_ address: UpstreamAddress) {
        let all = Array(loopPools.values) + otherPools.withLockedValue { Array($0.values) }
        for pool in all {
            pool.eventLoop.execute { pool.closeIdle(PooledAddress(address)) }
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
        if let pool = loopPools[key] { return pool }
        return otherPools.withLockedValue { pools in
            if let pool = pools[key] { return pool }
            let pool = LoopPool(eventLoop: eventLoop)
            pools[key] = pool
            return pool
        }
    }
}

/// Receives the outcome of one exchange, on the connection's event loop.
package typealias UpstreamCompletion = (Result<UpstreamResponse, UpstreamFailure>) -> Void

/// The idle connections of one event loop; touched only on that loop.
final class LoopPool: @unchecked Sendable {
    let eventLoop: any EventLoop
    /// Per upstream, a list object: a connection goes back to the list it came from without
    /// another lookup (each hashed the address's host and cost a coroutine frame to modify).
    // Touched only on its loop, by reads, assignments and calls that call nothing back into
    // it while they run: the runtime's exclusivity checks are left out (as in ``RequestHandler``).
    @exclusivity(unchecked) private var idle: [PooledAddress: IdleConnections] = [:]
    /// The list found last, by its address: most requests go where the one before went (a
    /// comparison, where the dictionary hashed the address: ~250 instructions a request).
    @exclusivity(unchecked) private var last: Found?

    /// A list and its address. A struct: an optional tuple is copied through generic witnesses.
    private struct Found {
        let address: PooledAddress
        let list: IdleConnections
    }

    init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    /// Sends on the most recently used idle connection to `address`, else on a new one. The
    /// connection's handler goes back to the idle list itself after a whole answer, and
    /// with `retryStale` sends once more (here) when a kept-alive connection turns out closed.
    func send(_ request: UpstreamRequest, to address: PooledAddress, timeout: TimeAmount, retryStale: Bool, exchange: any UpstreamExchange) {
        eventLoop.assertInEventLoop()
        let list = idleConnections(address)
        if let handler = list.take() {
            // A kept-alive connection the server closed while idle: nothing was answered, so
            // sending once more is safe: on the next usable idle connection if any (it may be
            // stale too; then the gateway's own retry decides), else on a new one.
            handler.send(request, timeout: timeout, exchange: exchange, returnTo: list, resendVia: retryStale ? self : nil)
            return
        }
        // The connect future completes on this loop, where the exchange may be told.
        let bound = NIOLoopBound(exchange, eventLoop: eventLoop)
        connect(address, timeout: timeout).whenComplete { connected in
            let exchange = bound.value
            switch connected {
            case .success(let handler):
                handler.send(request, timeout: timeout, exchange: exchange, returnTo: list, resendVia: nil)
            case .failure(let error):
                exchange.upstreamFinished(.failure(error as? UpstreamFailure ?? .connect("\(error)")))
            }
        }
    }

    func closeIdle(_ address: PooledAddress) {
        if last?.address == address { last = nil }
        idle.removeValue(forKey: address)?.retire()
    }

    private func idleConnections(_ address: PooledAddress) -> IdleConnections {
        if let last, last.address == address { return last.list }
        let list: IdleConnections
        if let found = idle[address] {
            list = found
        } else {
            list = IdleConnections()
            idle[address] = list
        }
        last = Found(address: address, list: list)
        return list
    }

    private func connect(_ pooled: PooledAddress, timeout: TimeAmount) -> EventLoopFuture<UpstreamConnectionHandler> {
        let address = pooled.address
        let handler = UpstreamConnectionHandler(address: pooled)
        if let loop = eventLoop as? EpollEventLoop {
            return EpollUpstreamSocket.connect(to: address, handler: handler, on: loop, timeout: min(timeout, .seconds(5)))
        }
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

/// The idle connections to one upstream on one event loop, most recently used last; touched
/// only on that loop.
final class IdleConnections: @unchecked Sendable {
    // Touched only on its loop, by reads, assignments and calls that call nothing back into
    // it while they run: the runtime's exclusivity checks are left out (as in ``RequestHandler``).
    @exclusivity(unchecked) private var connections: [UpstreamConnectionHandler] = []
    /// The upstream went away (``LoopPool/closeIdle(_:)``): connections still coming back are closed.
    @exclusivity(unchecked) private var retired = false

    /// The most recently used connection that is still usable; the unusable ones met are closed.
    func take() -> UpstreamConnectionHandler? {
        while let connection = connections.popLast() {
            if connection.isReusable { return connection }
            connection.close()
        }
        return nil
    }

    /// Keeps `connection` for the next request, unless it cannot be reused, the list is full
    /// (``UpstreamClient/maximumIdle``) or retired.
    func release(_ connection: UpstreamConnectionHandler) {
        guard !retired, connection.isReusable, connections.count < UpstreamClient.maximumIdle else {
            connection.close()
            return
        }
        connections.append(connection)
    }

    /// Closes every idle connection; later releases close theirs.
    func retire() {
        retired = true
        for connection in connections { connection.close() }
        connections = []
    }
}
