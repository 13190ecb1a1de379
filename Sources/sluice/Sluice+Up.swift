import ArgumentParser
import Foundation
import SluiceController
import SluiceServe

extension Sluice {
    /// `sluice up`: data plane and controller together on one machine.
    struct Up: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the data plane (as a child process) and the controller together.",
            discussion: """
                The data plane runs as its own process (`sluice serve`), so the controller can stop or \
                crash without dropping a request; it stops when `sluice up` stops, even on SIGKILL.
                """
        )

        @Option(name: .long, help: "The operator's config file (with `serve:`, `runtimes:` and `controller:`).")
        var config: String = "sluice.yaml"

        func run() async throws {
            let controllerConfig = try loadControllerConfig(config)
            let serveConfig = try ServeConfig.load(path: config)
            let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
            try FileManager.default.createDirectory(atPath: serveConfig.stateDirectory, withIntermediateDirectories: true)
            let log = "\(serveConfig.stateDirectory)/serve.log"
            let pid = try await ProcessSpawner.shared.spawn(SpawnRequest(
                command: [executable, "serve", "--config", URL(fileURLWithPath: config).standardizedFileURL.path],
                environment: ProcessInfo.processInfo.environment,
                workingDirectory: FileManager.default.currentDirectoryPath,
                logPath: log))
            FileHandle.standardOutput.write(Data("sluice up: data plane pid \(pid) (log \(log))\n".utf8))
            defer {
                kill(pid, SIGTERM)
                var status: Int32 = 0
                waitpid(pid, &status, 0)
            }
            // The controller's first pass waits for the data plane's token and listener.
            let deadline = Date().addingTimeInterval(30)
            while Date() < deadline, !FileManager.default.fileExists(atPath: "\(serveConfig.stateDirectory)/admin-token") {
                if case .generated = serveConfig.adminToken {} else { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            try await runUntilSignalled { logLine in
                try await ControllerService.run(config: controllerConfig, log: logLine) { address in
                    FileHandle.standardOutput.write(Data("sluice up: controller API on \(address)\n".utf8))
                }
            }
        }
    }
}
