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

        @Option(name: .long, help: "The operator's config file.")
        var config: String = "sluice.yaml"

        func run() async throws {
            let controllerConfig = try loadControllerConfig(config)
            try await runUntilSignalled { log in
                let secrets = try ControllerSecrets.resolve(controllerConfig)
                try await ControllerService.run(config: controllerConfig, secrets: secrets, log: log) { address in
                    FileHandle.standardOutput.write(Data("sluice controller: API on \(address)\n".utf8))
                }
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

/// Runs `body` until SIGTERM or SIGINT; `log` writes timestamped lines to standard error.
func runUntilSignalled(_ body: @escaping @Sendable (@escaping @Sendable (String) -> Void) async throws -> Void) async throws {
    let log: @Sendable (String) -> Void = { message in
        let stamp = ISO8601DateFormatter().string(from: Date())
        FileHandle.standardError.write(Data("\(stamp) \(message)\n".utf8))
    }
    let task = Task { try await body(log) }
    let signals = [SIGTERM, SIGINT].map { signalNumber in
        signal(signalNumber, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .main)
        source.setEventHandler { task.cancel() }
        source.resume()
        return source
    }
    defer { signals.forEach { $0.cancel() } }
    do {
        try await task.value
    } catch {
        FileHandle.standardError.write(Data("sluice: \(error)\n".utf8))
        throw ExitCode(1)
    }
}
