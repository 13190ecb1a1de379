import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import UnixSignals

/// Runs the long-running parts of this process as one `ServiceGroup` until SIGTERM or SIGINT,
/// which shut them down gracefully, last started first (listeners close, the loops finish,
/// model servers stop); the command then exits 0. `start` builds the services (binding the
/// listeners). A failure to start, or a service that fails, prints `sluice: <error>` and
/// exits 1.
func runServices(logger: Logger, _ start: () async throws -> [any Service]) async throws {
    do {
        let services = try await start()
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    } catch {
        FileHandle.standardError.write(Data("sluice: \(error)\n".utf8))
        throw ExitCode(1)
    }
}
