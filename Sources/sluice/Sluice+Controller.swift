import ArgumentParser
import Foundation
import SluiceConfig
import SluiceController
import SluiceServe

extension Sluice {
    /// `sluice controller`: the control plane.
    struct Controller: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "controller",
            abstract: "Reconcile git against the data plane: deploy, canary with analysis, promote, roll back.",
            discussion: """
                Reads the `controller:` section of the config (repository, branch, path, interval, listen, \
                tokens, state directory, data plane). Serves the API used by `sluice status`, `promote`, \
                `abort`, `retry` and `history`, POST /hooks/git for webhooks, and /metrics.
                """
        )

        @Option(name: .long, help: "The operator's config file.", completion: .file(extensions: ["yaml", "yml"]))
        var config: String = "sluice.yaml"

        @OptionGroup var logOptions: LogOptions

        func run() async throws {
            let controllerConfig = try loadControllerConfig(config)
            let logger = LogOptions.bootstrap(level: try logOptions.level(), style: .plain)
            try await runServices(logger: logger) {
                let secrets = try ControllerSecrets.resolve(controllerConfig)
                let started = try await ControllerService.start(config: controllerConfig, secrets: secrets, logger: logger)
                FileHandle.standardOutput.write(Data("sluice controller: API on \(started.address)\n".utf8))
                return started.services
            }
        }
    }
}

/// Reads the config file, exiting 2 with every problem when it is invalid. `command`
/// prefixes the report (`sluice serve: invalid config`).
func loadConfiguration(_ path: String, command: String = "sluice") throws -> SluiceConfiguration {
    do {
        return try SluiceConfiguration.load(path: path)
    } catch {
        FileHandle.standardError.write(Data("\(command): invalid config\n\(error.description)\n".utf8))
        throw ExitCode(2)
    }
}

/// Reads the config file's controller section, exiting 2 when the file is invalid or has none.
func loadControllerConfig(_ path: String) throws -> ControllerConfig {
    try requireController(loadConfiguration(path))
}

/// The controller section of a config, exiting 2 when there is none.
func requireController(_ configuration: SluiceConfiguration) throws -> ControllerConfig {
    do {
        return try configuration.controller()
    } catch {
        FileHandle.standardError.write(Data("sluice: invalid config\n\(error.description)\n".utf8))
        throw ExitCode(2)
    }
}
