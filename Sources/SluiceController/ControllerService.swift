import Foundation
import NIOPosix
import SluiceConfig
import SluiceServe

/// Runs a controller with its API listener until cancelled.
public enum ControllerService {
    /// Starts the API on `config.listen` and reconciles until the task is cancelled.
    /// `secrets` come resolved from the executable; `onListening` receives the bound address.
    public static func run(
        config: ControllerConfig, secrets: ControllerSecrets, log: @escaping @Sendable (String) -> Void,
        onListening: @Sendable (String) -> Void = { _ in }
    ) async throws {
        try PrivateFiles.directory(config.stateDirectory)
        let controller = try Controller(config: config, secrets: secrets, log: log)
        let api = ControllerAPI(
            controller: controller, token: secrets.apiToken, webhookSecret: secrets.webhookSecret, metricsToken: secrets.metricsToken)
        let server = try await HTTPServerHost.start(
            address: config.listen, group: MultiThreadedEventLoopGroup.singleton, limits: ServerLimits(), responder: api)
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
