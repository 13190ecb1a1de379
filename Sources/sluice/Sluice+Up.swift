import ArgumentParser
import Foundation
import SluiceConfig
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
            let configuration = try loadConfiguration(config)
            let controllerConfig = try requireController(configuration)
            let serveConfig = configuration.serve
            let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
            try PrivateFiles.directory(serveConfig.stateDirectory)
            let log = "\(serveConfig.stateDirectory)/serve.log"
            let request = SpawnRequest(
                command: [executable, "serve", "--config", URL(fileURLWithPath: config).standardizedFileURL.path],
                // Only what serve needs: its model servers must never see the controller's secrets.
                environment: serveConfig.serveEnvironment(from: ProcessInfo.processInfo.environment),
                workingDirectory: FileManager.default.currentDirectoryPath,
                logPath: log)
            let child = DataPlaneChild(request: request)
            let pid = try await child.start()
            FileHandle.standardOutput.write(Data("sluice up: data plane pid \(pid) (log \(log))\n".utf8))
            // A data plane that dies is started again; it restores its last spec from disk.
            let keeper = Task { await child.keepRunning() }
            defer {
                keeper.cancel()
                child.stop()
            }
            // The controller's first pass waits for the data plane's token and listener.
            let deadline = Date().addingTimeInterval(30)
            while Date() < deadline, !FileManager.default.fileExists(atPath: "\(serveConfig.stateDirectory)/admin-token") {
                if case .generated = serveConfig.adminToken {} else { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            try await runUntilSignalled { logLine in
                // The data plane's token is read when first needed: the child may still be writing it.
                let secrets = try ControllerSecrets.resolve(controllerConfig)
                try await ControllerService.run(config: controllerConfig, secrets: secrets, log: logLine) { address in
                    FileHandle.standardOutput.write(Data("sluice up: controller API on \(address)\n".utf8))
                }
            }
        }
    }
}

/// The `sluice serve` child of `sluice up`, restarted when it exits.
final class DataPlaneChild: @unchecked Sendable {
    private let request: SpawnRequest
    private let lock = NSLock()
    private var pid: Int32 = 0
    private var stopping = false

    init(request: SpawnRequest) {
        self.request = request
    }

    func start() async throws -> Int32 {
        let started = try await ProcessSpawner.shared.spawn(request)
        lock.withLock { pid = started }
        return started
    }

    /// Watches the child and starts it again when it exits, after a delay that doubles up
    /// to 30 s while it keeps exiting (and resets once it ran a minute).
    func keepRunning() async {
        var backoff = RestartBackoff()
        var startedAt = ContinuousClock.now
        while !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(500))
            let current = lock.withLock { pid }
            var status: Int32 = 0
            guard current > 0, waitpid(current, &status, WNOHANG) == current, !lock.withLock({ stopping }) else { continue }
            let delay = backoff.delay(afterRunOf: .now - startedAt)
            FileHandle.standardError.write(Data("sluice up: the data plane (pid \(current)) exited; starting it again in \(delay)\n".utf8))
            try? await Task.sleep(for: delay)
            guard !Task.isCancelled else { return }
            // A start that fails is tried again with the same growing delay.
            while !Task.isCancelled {
                startedAt = .now
                if let restarted = try? await start() {
                    FileHandle.standardOutput.write(Data("sluice up: data plane pid \(restarted)\n".utf8))
                    break
                }
                try? await Task.sleep(for: backoff.delay(afterRunOf: .zero))
            }
        }
    }

    /// SIGTERM, then wait for the child.
    func stop() {
        let current = lock.withLock { () -> Int32 in
            stopping = true
            return pid
        }
        guard current > 0 else { return }
        kill(current, SIGTERM)
        var status: Int32 = 0
        waitpid(current, &status, 0)
    }
}
