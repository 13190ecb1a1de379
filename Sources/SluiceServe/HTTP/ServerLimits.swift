import NIOCore

/// What one listener lets a connection hold before anything is authenticated: how many
/// connections, how long each may sit idle or dribble a request, and how large a body it
/// may send. Bounded by default, so nobody can exhaust memory or connections by merely
/// connecting.
package struct ServerLimits: Sendable, Hashable {
    /// Connections open at once on this listener; later ones are closed at accept.
    package var maximumConnections: Int
    /// A connection with no request in progress is closed after this long.
    package var idleTimeout: TimeAmount
    /// A request's head (request line and headers) must be complete this long after its first byte.
    package var headerTimeout: TimeAmount
    /// A request body must make progress (some bytes) at least this often.
    package var bodyTimeout: TimeAmount
    /// The default largest body; a responder may lower it per route (``HeadDecision``).
    package var maximumBody: Int
    /// Requests of one connection answered or waiting before its reading is paused.
    package var pipelineDepth: Int
    /// Request body bytes all connections of the listener may hold at once; a body that
    /// would exceed it is answered 503 (so many connections cannot each hold a large body).
    package var bufferedBodies: Int
    /// A request's line, headers and line ends together (also the bound of chunked trailers);
    /// beyond it the request is answered 431. NIO's decoder allowed 80 KiB.
    package var maximumHeadBytes: Int
    /// Header fields of one request (also the bound of chunked trailers); beyond it, 431.
    package var maximumHeaderCount: Int

    /// Creates limits; the defaults suit a loopback data plane.
    package init(
        maximumConnections: Int = 1024,
        idleTimeout: TimeAmount = .seconds(60),
        headerTimeout: TimeAmount = .seconds(10),
        bodyTimeout: TimeAmount = .seconds(10),
        maximumBody: Int = 1 << 20,
        pipelineDepth: Int = 4,
        bufferedBodies: Int = 256 << 20,
        maximumHeadBytes: Int = 64 << 10,
        maximumHeaderCount: Int = 100
    ) {
        self.maximumConnections = maximumConnections
        self.idleTimeout = idleTimeout
        self.headerTimeout = headerTimeout
        self.bodyTimeout = bodyTimeout
        self.maximumBody = maximumBody
        self.pipelineDepth = pipelineDepth
        self.bufferedBodies = bufferedBodies
        self.maximumHeadBytes = maximumHeadBytes
        self.maximumHeaderCount = maximumHeaderCount
    }

    /// These limits with another default body size.
    package func body(_ maximumBody: Int) -> ServerLimits {
        var copy = self
        copy.maximumBody = maximumBody
        return copy
    }
}
