import NIOConcurrencyHelpers
import NIOCore

/// The first thing every listener (the gateway's and the APIs') does with an accepted
/// socket: make it close-on-exec, so a model server started from now on cannot inherit it,
/// and admit it under the listener's connection cap, so a connection beyond it is refused
/// before it costs anything.
struct ConnectionAdmission: Sendable {
    /// Connections of this listener open now.
    private let open = NIOLockedValueBox(0)
    let maximumConnections: Int

    init(maximumConnections: Int) {
        self.maximumConnections = maximumConnections
    }

    /// Marks `channel` close-on-exec and counts it until it closes; throws
    /// ``ConnectionLimitReached`` when the listener is full.
    func admit(_ channel: any Channel) throws {
        try channel.pipeline.syncOperations.markCloseOnExec()
        guard take() else { throw ConnectionLimitReached() }
        channel.closeFuture.whenComplete { _ in leave() }
    }

    /// Counts one more connection open, unless `maximumConnections` are: then false.
    func take() -> Bool {
        open.withLockedValue { count -> Bool in
            guard count < maximumConnections else { return false }
            count += 1
            return true
        }
    }

    /// Connections open now.
    var count: Int { open.withLockedValue { $0 } }

    /// Counts a connection ``take()`` admitted as closed.
    func leave() {
        open.withLockedValue { $0 -= 1 }
    }

    /// Admits `channel`, then sets up its pipeline with `configure`: a listener's child
    /// channel initializer.
    func admit(_ channel: any Channel, configure: () throws -> Void) -> EventLoopFuture<Void> {
        do {
            try admit(channel)
        } catch {
            return channel.eventLoop.makeFailedFuture(error)
        }
        return channel.eventLoop.makeCompletedFuture(withResultOf: configure)
    }
}

/// A connection refused because the listener already holds its maximum.
struct ConnectionLimitReached: Error {}
