import ArgumentParser
import Foundation
import Logging
import SluiceConfig
import SluiceServe

extension Sluice {
    /// `sluice serve`: the data plane.
    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "serve",
            abstract: "Run the data plane: model-server processes, the V2 inference gateway and the admin API.",
            discussion: """
                Runtimes, listeners, the state directory and the admin token come from the operator's \
                config file (see examples/sluice.yaml). The controller PUTs the runtime spec to the admin \
                API; the last applied spec is saved and served again after a restart. SIGTERM or SIGINT \
                stops the listeners and every model server (SIGTERM, then SIGKILL).
                """
        )

        @Option(name: .long, help: "The operator's config file.", completion: .file(extensions: ["yaml", "yml"]))
        var config: String = "sluice.yaml"

        @Flag(name: .long, help: "Log errors only (the same as --log-level error).")
        var quiet = false

        @OptionGroup var logOptions: LogOptions

        func validate() throws {
            if quiet && logOptions.logLevel != nil { throw ValidationError("--quiet and --log-level: give one of them") }
        }

        func run() async throws {
            let serveConfig = try loadConfiguration(config, command: "sluice serve").serve
            let logger = LogOptions.bootstrap(level: quiet ? .error : try logOptions.level(), style: .leveled(component: "serve"))
            try await runServices(logger: logger) {
                let dataPlane = DataPlane(config: serveConfig, secrets: try ServeSecrets.resolve(serveConfig), logger: logger)
                let started = try await dataPlane.start()
                let grpc = started.listeners.grpc.map { ", gRPC on \($0)" } ?? ""
                let line = "sluice serve: inference on \(started.listeners.inference)\(grpc), admin on \(started.listeners.admin)\n"
                FileHandle.standardOutput.write(Data(line.utf8))
                return started.services
            }
        }
    }
}
