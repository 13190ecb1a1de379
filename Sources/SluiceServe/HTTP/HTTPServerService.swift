import ServiceLifecycle

/// A bound listener as a service of the process's `ServiceGroup`: it serves until the group
/// shuts down gracefully (SIGTERM, SIGINT) or is cancelled, then stops accepting and closes.
package struct HTTPServerService: Service, CustomStringConvertible {
    let server: any ClosableListener
    /// The listener's name in the group's logs ("inference gateway", "admin API").
    package let description: String

    /// Serves `server`, a listener already bound, under `name`.
    package init(server: any ClosableListener, name: String) {
        self.server = server
        description = name
    }

    /// Waits for the shutdown, then closes the listener.
    package func run() async {
        // Returns on graceful shutdown, throws on cancellation: either way the listener closes.
        try? await gracefulShutdown()
        await server.close()
    }
}

/// A bound listener the group closes at shutdown: the gateway's NIO host or a Hummingbird API.
package protocol ClosableListener: Sendable {
    /// Stops accepting, and closes the listener.
    func close() async
}

extension HTTPServerHost: ClosableListener {}
extension APIServer: ClosableListener {}
extension GRPCServerHost: ClosableListener {}
