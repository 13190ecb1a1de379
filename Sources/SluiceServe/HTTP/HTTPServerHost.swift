import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOExtras
import NIOHTTP1
import NIOPosix
import SluiceConfig
import SluiceCore

/// A whole HTTP request, body included.
package struct ServerRequest: Sendable {
    package var head: RequestHead
    package var body: ByteBuffer
    /// The connection's event loop: answering on it avoids thread hops.
    package var eventLoop: any EventLoop
    /// The peer address, for X-Forwarded-For.
    package var remoteAddress: String?

    /// The path without the query string (found over the UTF-8 bytes: no grapheme breaking).
    package var path: Substring {
        let uri = head.uri[...]
        return uri.utf8.firstIndex(of: UInt8(ascii: "?")).map { uri[..<$0] } ?? uri
    }

    /// The query parameter `name`, when present.
    package func query(_ name: String) -> String? {
        guard let mark = head.uri.firstIndex(of: "?") else { return nil }
        for pair in head.uri[head.uri.index(after: mark)...].split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            if parts.first == Substring(name) { return parts.count == 2 ? String(parts[1]) : "" }
        }
        return nil
    }
}

/// A whole HTTP response. A class whose parts never change: it is handed from the responder
/// through the gateway's closures to the connection's writer, and a struct of its size was
/// copied, its references retained and released, at each hand-over.
package final class ServerResponse: Sendable {
    package let status: HTTPResponseStatus
    /// Fields copied from another head (a model server's answer), written before `headers`.
    package let forwarded: ForwardedFields?
    /// The responder's own fields, checked as they were added, written after `forwarded`.
    package let own: OwnFields
    package let headers: HTTPHeaders
    package let body: ByteBuffer?

    package init(
        status: HTTPResponseStatus, forwarded: ForwardedFields? = nil, own: consuming OwnFields = OwnFields(), headers: HTTPHeaders = HTTPHeaders(),
        body: ByteBuffer? = nil
    ) {
        self.status = status
        self.forwarded = forwarded
        self.own = own
        self.headers = headers
        self.body = body
    }

    /// A JSON response.
    package static func json(_ status: HTTPResponseStatus, _ text: String, headers: HTTPHeaders = HTTPHeaders()) -> ServerResponse {
        var headers = headers
        headers.replaceOrAdd(name: "content-type", value: "application/json")
        return ServerResponse(status: status, headers: headers, body: ByteBuffer(string: text))
    }

    /// A V2 error body: `{"error": "…"}`.
    package static func error(_ status: HTTPResponseStatus, _ message: String, headers: HTTPHeaders = HTTPHeaders()) -> ServerResponse {
        json(status, "{\"error\":\(JSONText.quote(message))}", headers: headers)
    }
}

/// Answers whole requests.
package protocol HTTPResponder: Sendable {
    /// Decides from the head alone, before any body byte is read: a missing token is
    /// refused here, so an unauthenticated caller can never make the server buffer a body.
    func screen(_ head: RequestHead) -> HeadDecision
    /// Answers a whole request that passed ``screen(_:)``.
    func respond(to request: ServerRequest) -> EventLoopFuture<ServerResponse>
    /// Answers a whole request that passed ``screen(_:)`` by calling `receiver` once, on
    /// `request.eventLoop`. The server calls this one: a responder that answers on the loop
    /// anyway (the gateway) saves a promise, a future and a hop per request, and the server
    /// is its own receiver (no closure, no context allocated per request).
    func respond(to request: ServerRequest, receiver: any ResponseReceiver)
}

/// Receives the answer to one request, on the request's loop.
package protocol ResponseReceiver: AnyObject, Sendable {
    func receive(_ response: ServerResponse)
}

extension HTTPResponder {
    /// Accepts every head, with the listener's default body limit.
    package func screen(_ head: RequestHead) -> HeadDecision { .accept(maximumBody: nil) }

    /// Through ``respond(to:)``: its answer on the request's loop, a failure as a 500.
    package func respond(to request: ServerRequest, receiver: any ResponseReceiver) {
        respond(to: request).hop(to: request.eventLoop).whenComplete { result in
            switch result {
            case .success(let response): receiver.receive(response)
            case .failure(let error): receiver.receive(.error(.internalServerError, "internal error: \(error)"))
            }
        }
    }
}

/// A listener (TCP or unix socket) that reads whole requests (bounded), hands them to a
/// responder and writes whole responses with a Content-Length, one request at a time per
/// connection (pipelined requests wait their turn). ``ServerLimits`` bound what a
/// connection may hold before it is authenticated.
///
/// The pipeline is one handler that parses requests from raw bytes (``HTTP1RequestParser``)
/// and encodes each response into a single buffer itself: NIO's HTTP/1 decoder, response
/// encoder, pipelining handler and error handler cost much of the gateway's CPU per request
/// in the benchmark (Benchmarks/README.md).
package final class HTTPServerHost: Sendable {
    /// The bound channel.
    package let channel: any Channel
    /// Tells every open connection to drain when the listener closes (``close()``).
    private let quiescing: ServerQuiescingHelper
    /// How long ``close()`` lets open connections finish what they have begun.
    private let drainTimeout: Swift.Duration

    private init(channel: any Channel, quiescing: ServerQuiescingHelper, drainTimeout: Swift.Duration) {
        self.channel = channel
        self.quiescing = quiescing
        self.drainTimeout = drainTimeout
    }

    /// Binds and starts serving.
    package static func start(
        address: ServeConfig.ListenAddress,
        group: any EventLoopGroup,
        limits: ServerLimits,
        drainTimeout: Swift.Duration = .seconds(30),
        responder: any HTTPResponder
    ) async throws -> HTTPServerHost {
        let admission = ConnectionAdmission(maximumConnections: limits.maximumConnections)
        let budget = BodyBudget(limit: limits.bufferedBodies)
        let quiescing = ServerQuiescingHelper(group: group)
        let bootstrap = ServerBootstrap.inferenceListener(group: group, quiescing: quiescing)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            .childChannelOption(.allowRemoteHalfClosure, value: false)
            .childChannelInitializer { channel in
                admission.admit(channel) {
                    try addHandlers(to: channel, limits: limits, budget: budget, responder: responder)
                }
            }
        let channel: any Channel
        switch address {
        case .tcp(let host, let port):
            channel = try await bootstrap.bind(host: host, port: port).get()
        case .unix(let path):
            channel = try await bootstrap.bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true).get()
            chmod(path, 0o600)
        }
        return HTTPServerHost(channel: channel, quiescing: quiescing, drainTimeout: drainTimeout)
    }

    /// Adds the request handler (which parses the raw bytes itself) to a new connection's
    /// pipeline (also driven through an `EmbeddedChannel` by fuzzing).
    /// `budget` is shared by the listener's connections (a fresh one when nil).
    package static func addHandlers(to channel: any Channel, limits: ServerLimits, budget: BodyBudget? = nil, responder: any HTTPResponder) throws {
        let handler = RequestHandler(responder: responder, limits: limits, budget: budget ?? BodyBudget(limit: limits.bufferedBodies))
        try channel.pipeline.syncOperations.addHandler(handler)
    }

    /// ``addHandlers(to:limits:responder:)`` with default limits and another body cap.
    package static func addHandlers(to channel: any Channel, maximumBody: Int, responder: any HTTPResponder) throws {
        try addHandlers(to: channel, limits: ServerLimits().body(maximumBody), responder: responder)
    }

    /// The bound TCP port (useful when the config asked for port 0).
    package var port: Int? { channel.localAddress?.port }

    /// Stops accepting, then drains as ``EpollListener/close()`` does: each open connection
    /// answers the requests it has begun (the last with `connection: close`) and closes, an
    /// idle one at once; returns when all are closed, or after `drainTimeout` (the rest close
    /// when the event loops stop).
    package func close() async {
        await quiescing.drain(on: channel.eventLoop, within: drainTimeout)
    }
}

extension ServerBootstrap {
    /// A listening socket as both inference listeners (HTTP and gRPC) want it: a deep backlog,
    /// reusable addresses, close-on-exec (so no model server inherits it), no Nagle delay;
    /// with `quiescing`, its connections are told to drain when the listener closes.
    static func inferenceListener(group: any EventLoopGroup, quiescing: ServerQuiescingHelper? = nil) -> ServerBootstrap {
        ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.markCloseOnExec()
                    if let quiescing { try channel.pipeline.syncOperations.addHandler(quiescing.makeServerChannelHandler(channel: channel)) }
                }
            }
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
    }
}

/// JSON string quoting for hand-built bodies.
package enum JSONText {
    package static func quote(_ text: String) -> String {
        JSONValue.string(text).serialized()
    }
}
