import ArgumentParser
import Foundation
import Logging
import SluiceConfig
import SluiceController
import SluiceServe

extension Sluice {
    /// `sluice up`: data plane and controller together on one machine.
    struct Up: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "up",
            abstract: "Run the data plane (as a child process) and the controller together.",
            discussion: """
                The data plane runs as its own process (`sluice serve`), so the controller can stop or \
                crash without dropping a request; it stops when `sluice up` stops, even on SIGKILL.
                """
        )

        @Option(name: .long, help: "The operator's config file (with `serve:`, `runtimes:` and `controller:`).", completion: .file(extensions: ["yaml", "yml"]))
        var config: String = "sluice.yaml"

        @OptionGroup var logOptions: LogOptions

        func run() async throws {
            let configuration = try loadConfiguration(config)
            let controllerConfig = try requireController(configuration)
            let serveConfig = configuration.serve
            let level = try logOptions.level()
            let logger = LogOptions.bootstrap(level: level, style: .plain)
            let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
            try PrivateFiles.directory(serveConfig.stateDirectory)
            let log = "\(serveConfig.stateDirectory)/serve.log"
            let request = SpawnRequest(
                command: [executable, "serve", "--config", URL(fileURLWithPath: config).standardizedFileURL.path, "--log-level", level.rawValue],
                // Only what serve needs: its model servers must never see the controller's secrets.
                environment: serveConfig.serveEnvironment(from: ProcessInfo.processInfo.environment),
                workingDirectory: FileManager.default.currentDirectoryPath,
                logPath: log)
            let child = DataPlaneChild(request: request, logger: logger)
            // Stops the child when the controller cannot start (the child's service stops it otherwise).
            defer { child.stop() }
            try await runServices(logger: logger) {
                let pid = try await child.start()
                FileHandle.standardOutput.write(Data("sluice up: data plane pid \(pid) (log \(log))\n".utf8))
                // The controller's first pass waits for the data plane's token and listener.
                let deadline = Date().addingTimeInterval(30)
                while Date() < deadline, !FileManager.default.fileExists(atPath: "\(serveConfig.stateDirectory)/admin-token") {
                    if case .generated = serveConfig.adminToken {} else { break }
                    try await Task.sleep(for: .milliseconds(50))
                }
                // The data plane's token is read when first needed: the child may still be writing it.
                let secrets = try ControllerSecrets.resolve(controllerConfig)
                let started = try await ControllerService.start(config: controllerConfig, secrets: secrets, logger: logger)
                FileHandle.standardOutput.write(Data("sluice up: controller API on \(started.address)\n".utf8))
                // The child first: the group stops it last, once the controller is done.
                return [child] + started.services
            }
        }
    }
}
