import Foundation
import NIOPosix
import SluiceServe

/// Runs a controller with its API listener until cancelled.
public enum ControllerService {
    /// Starts the API on `config.listen` and reconciles until the task is cancelled.
    /// `onListening` receives the bound address.
    public static func run(config: ControllerConfig, log: @escaping @Sendable (String) -> Void, onListening: @Sendable (String) -> Void = { _ in }) async throws {
        try PrivateFiles.directory(config.stateDirectory)
        let token = try AdminToken.resolve(config.token, stateDirectory: config.stateDirectory, fileName: "controller-token")
        let secret = try config.webhookSecret.map { try AdminToken.resolve($0, stateDirectory: config.stateDirectory, fileName: "webhook-secret") }
        let controller = try await Controller(config: config, log: log)
        let metricsToken = try config.metricsToken.map {
            try AdminToken.resolve($0, stateDirectory: config.stateDirectory, fileName: "metrics-token", field: "controller.metrics")
        }
        let api = ControllerAPI(controller: controller, token: token, webhookSecret: secret, metricsToken: metricsToken)
        let server = try await APIServer.start(
            router: api.router(), address: config.listen, limits: ServerLimits(), group: MultiThreadedEventLoopGroup.singleton)
        let address: String
        switch config.listen {
        case .tcp(let host, let port): address = "\(host):\(server.port ?? port)"
        case .unix(let path): address = "unix:\(path)"
        }
        onListening(address)
        await withTaskCancellationHandler {
            await controller.run()
        } onCancel: {}
        await server.close()
    }
}
