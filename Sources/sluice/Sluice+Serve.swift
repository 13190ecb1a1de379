import ArgumentParser
import Foundation
import SluiceConfig
import SluiceServe

extension Sluice {
    /// `sluice serve`: the data plane.
    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the data plane: model-server processes, the V2 inference gateway and the admin API.",
            discussion: """
                Runtimes, listeners, the state directory and the admin token come from the operator's \
                config file (see examples/sluice.yaml). The controller PUTs the runtime spec to the admin \
                API; the last applied spec is saved and served again after a restart. SIGTERM or SIGINT \
                stops the listeners and every model server (SIGTERM, then SIGKILL).
                """
        )

        @Option(name: .long, help: "The operator's config file.")
        var config: String = "sluice.yaml"

        @Flag(name: .long, help: "Log errors only.")
        var quiet = false

        func run() async throws {
            let serveConfig = try loadConfiguration(config, command: "sluice serve").serve
            try await runUntilSignalled { _ in
                let dataPlane = DataPlane(config: serveConfig, secrets: try ServeSecrets.resolve(serveConfig), quiet: quiet)
                try await dataPlane.run { listeners in
                    let line = "sluice serve: inference on \(listeners.inference), admin on \(listeners.admin)\n"
                    FileHandle.standardOutput.write(Data(line.utf8))
                }
            }
        }
    }
}
