import Foundation
import Logging
import ServiceLifecycle
import SluiceServe

/// The `sluice serve` child of `sluice up`, restarted when it exits. As a service it keeps
/// the child running until the group shuts down, then stops it.
final class DataPlaneChild: Service, CustomStringConvertible, @unchecked Sendable {
    private let request: SpawnRequest
    private let logger: Logger
    private let lock = NSLock()
    private var pid: Int32 = 0
    private var stopping = false

    var description: String { "data plane child" }

    init(request: SpawnRequest, logger: Logger) {
        self.request = request
        self.logger = logger
    }

    func run() async {
        // A data plane that dies is started again; it restores its last spec from disk.
        await cancelWhenGracefulShutdown { [self] in await keepRunning() }
        stop()
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
            // Reaped under the lock that `stop()` signals under: once reaped, its pid may be
            // another process's, which must never be signalled.
            let current = lock.withLock { () -> Int32 in
                var status: Int32 = 0
                guard pid > 0, !stopping, waitpid(pid, &status, WNOHANG) == pid else { return 0 }
                defer { pid = 0 }
                return pid
            }
            guard current > 0 else { continue }
            let delay = backoff.delay(afterRunOf: .now - startedAt)
            logger.error("sluice up: the data plane (pid \(current)) exited; starting it again in \(delay)")
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

    /// SIGTERM, then wait for the child (the data plane drains and stops its model servers).
    /// Stopping twice signals nothing: the pid of a reaped child may belong to another process.
    func stop() {
        let current = lock.withLock { () -> Int32 in
            stopping = true
            defer { pid = 0 }
            // Still unreaped (only a holder of this lock reaps it), so the pid is still the child's.
            if pid > 0 { kill(pid, SIGTERM) }
            return pid
        }
        guard current > 0 else { return }
        var status: Int32 = 0
        waitpid(current, &status, 0)
    }
}
