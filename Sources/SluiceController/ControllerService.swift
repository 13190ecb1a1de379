import Foundation
import Logging
import NIOPosix
import ServiceLifecycle
import SluiceConfig
import SluiceServe

/// Builds a controller with its API listener, as services for the process's `ServiceGroup`.
public enum ControllerService {
    /// A controller whose API listener is bound, and the services that run it.
    public struct Started: Sendable {
        /// Where the API listens (the real port even when the config said 0).
        public var address: String
        /// The API, the reconcile loop, the branch watcher and the monitor loop, in the order
        /// they start: the group stops them in reverse, so the API answers until the loop is
        /// done.
        public var services: [any Service]
    }

    /// Opens the controller and binds the API on `config.listen`; `secrets` come resolved
    /// from the executable.
    public static func start(config: ControllerConfig, secrets: ControllerSecrets, logger: Logger) async throws -> Started {
        try PrivateFiles.directory(config.stateDirectory)
        let environment = try await ControllerEnvironment.live(config: config, secrets: secrets, logger: logger)
        let controller: Controller
        let server: APIServer
        do {
            controller = try Controller(environment: environment)
            let api = ControllerAPI(
                controller: controller, tokens: APICredentials.tokens(of: secrets), webhookSecret: secrets.webhookSecret,
                metricsToken: secrets.metricsToken, collector: environment.collector)
            server = try await APIServer.start(
                router: api.router(), address: config.listen, limits: ServerLimits(), group: MultiThreadedEventLoopGroup.singleton)
        } catch {
            // The HTTP client of the metrics provider must be closed before it is released.
            try? await environment.metricsProvider?.close?()
            await environment.closeBackend()
            await environment.closeArtifacts()
            await environment.notifier?.shutdown()
            throw error
        }
        let address: String
        switch config.listen {
        case .tcp(let host, let port): address = "\(host):\(server.port ?? port)"
        case .unix(let path): address = "unix:\(path)"
        }
        let closeArtifacts = environment.closeArtifacts
        let closers: [any Service] = (environment.metricsProvider?.close.map { [MetricsProviderService(close: $0)] } ?? [])
            + [MetricsProviderService(close: { await closeArtifacts() })]
        // The backend's services stop last (after the loop's final pass), the closers just before.
        var services: [any Service] = environment.backendServices + closers + [
            HTTPServerService(server: server, name: "controller API"),
            ControllerLoopService(controller: controller),
            BranchWatcherService(controller: controller),
            MonitorLoopService(controller: controller),
        ]
        // Stops first: what is still queued waits in the store for the next start.
        if let notifier = environment.notifier { services.append(NotificationService(deliverer: notifier)) }
        return Started(address: address, services: services)
    }
}
