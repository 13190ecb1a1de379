import ServiceLifecycle

/// A bound listener as a service of the process's `ServiceGroup`: it serves until the group
/// shuts down gracefully (SIGTERM, SIGINT) or is cancelled, then stops accepting and closes.
package struct HTTPServerService: Service, CustomStringConvertible {
    let server: HTTPServerHost
    /// The listener's name in the group's logs ("inference gateway", "admin API").
    package let description: String

    /// Serves `server`, a listener already bound, under `name`.
    package init(server: HTTPServerHost, name: String) {
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
