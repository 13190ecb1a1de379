import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle

/// Runs the long-running parts of this process as one `ServiceGroup` until SIGTERM or SIGINT,
/// which shut them down gracefully, last started first (listeners close, the loops finish,
/// model servers stop); the command then exits 0. `start` builds the services (opening the
/// store and repository, binding the listeners). A failure to start, or a service that
/// fails, prints `sluice: <error>` and exits 1.
///
/// The signals are trapped here rather than by the group, from before `start`: a signal that
/// arrives while the command is still starting is remembered, and the services then start
/// and stop at once, as gracefully as later.
func runServices(logger: Logger, _ start: () async throws -> [any Service]) async throws {
    let shutdown = ShutdownRequest()
    let queue = DispatchQueue(label: "sluice-signals")
    let sources = [SIGTERM, SIGINT].map { signalNumber in
        signal(signalNumber, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: queue)
        source.setEventHandler { shutdown.request() }
        source.resume()
        return source
    }
    defer { sources.forEach { $0.cancel() } }
    do {
        let services = try await start()
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(services: services, logger: logger))
        await shutdown.attach(group)
        try await group.run()
    } catch {
        FileHandle.standardError.write(Data("sluice: \(error)\n".utf8))
        throw ExitCode(1)
    }
}

/// A shutdown asked for by a signal, handed to the group once there is one.
private final class ShutdownRequest: @unchecked Sendable {
    private let lock = NSLock()
    private var group: ServiceGroup?
    private var requested = false

    func request() {
        let group = lock.withLock { () -> ServiceGroup? in
            requested = true
            return self.group
        }
        if let group { Task { await group.triggerGracefulShutdown() } }
    }

    /// From now on a signal shuts `group` down; one that came before does so at once (the
    /// group remembers it and shuts down as soon as it runs).
    func attach(_ group: ServiceGroup) async {
        let pending = lock.withLock { () -> Bool in
            self.group = group
            return requested
        }
        if pending { await group.triggerGracefulShutdown() }
    }
}
