import Foundation
import Logging
import NIOPosix
import ServiceLifecycle
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

    /// Resolves the tokens, opens the controller and binds the API on `config.listen`.
    public static func start(config: ControllerConfig, logger: Logger) async throws -> Started {
        try PrivateFiles.directory(config.stateDirectory)
        let token = try AdminToken.resolve(config.token, stateDirectory: config.stateDirectory, fileName: "controller-token")
        let secret = try config.webhookSecret.map { try AdminToken.resolve($0, stateDirectory: config.stateDirectory, fileName: "webhook-secret") }
        let controller = try await Controller(config: config, logger: logger)
        let metricsToken = try config.metricsToken.map {
            try AdminToken.resolve($0, stateDirectory: config.stateDirectory, fileName: "metrics-token", field: "controller.metrics")
        }
        let api = ControllerAPI(controller: controller, token: token, webhookSecret: secret, metricsToken: metricsToken)
        let server = try await HTTPServerHost.start(
            address: config.listen, group: MultiThreadedEventLoopGroup.singleton, limits: ServerLimits(), responder: api)
        let address: String
        switch config.listen {
        case .tcp(let host, let port): address = "\(host):\(server.port ?? port)"
        case .unix(let path): address = "unix:\(path)"
        }
        let services: [any Service] = [
            HTTPServerService(server: server, name: "controller API"),
            ControllerLoopService(controller: controller),
            BranchWatcherService(controller: controller),
            MonitorLoopService(controller: controller),
        ]
        return Started(address: address, services: services)
    }
}
