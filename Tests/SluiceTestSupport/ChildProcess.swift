import Foundation

/// Runs a short-lived tool (promtool, openssl) and waits for it without holding a thread:
/// tests share a cooperative pool of as many threads as cores (two here), and a blocking
/// wait starves every server and load generator of the other tests meanwhile.
public enum ChildProcess {
    /// What a run ended with.
    public struct Result: Sendable {
        public var status: Int32
        /// stdout and stderr, interleaved.
        public var output: String
        /// Whether the tool was killed for running longer than its time limit.
        public var timedOut: Bool
    }

    /// Runs `executable` with `arguments` in `directory`, its stdin from `input` (nil: none),
    /// its output to a file (so a full pipe can never block it), and waits for its exit. A
    /// tool still running after `timeout` is killed (SIGKILL) and reported as ``Result/timedOut``.
    public static func run(
        _ executable: URL, _ arguments: [String], in directory: URL? = nil, input: URL? = nil,
        timeout: Duration = .seconds(300)
    ) async throws -> Result {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-tool-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: log) }
        let handle = try FileHandle(forWritingTo: log)
        defer { try? handle.close() }
        let process = SpawnedProcess()
        process.executableURL = executable
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        process.standardInput = try FileHandle(forReadingFrom: input ?? URL(fileURLWithPath: "/dev/null"))
        process.standardOutput = handle
        process.standardError = handle
        let watchdog = Watchdog()
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { ended in continuation.resume(returning: ended.terminationStatus) }
            do {
                try process.run()
                watchdog.arm(process, after: timeout)
            } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: error)
            }
        }
        let timedOut = watchdog.disarm()
        var output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        if timedOut { output += "\n[killed after running longer than \(timeout)]" }
        return Result(status: status, output: output, timedOut: timedOut)
    }
}

/// Kills a child (and its process group) that outlives its time limit, from a detached task
/// (never a thread of its own).
private final class Watchdog: @unchecked Sendable {
    private let lock = NSLock()
    private var task: Task<Void, Never>?
    private var fired = false
    private var done = false

    func arm(_ process: SpawnedProcess, after limit: Duration) {
        lock.lock()
        defer { lock.unlock() }
        guard !done else { return }  // it exited before it could be watched
        task = Task.detached { [self] in
            try? await Task.sleep(for: limit)
            let kill = lock.withLock { () -> Bool in
                guard !done, !Task.isCancelled else { return false }
                fired = true
                return true
            }
            // The child leads its own process group (SpawnedProcess): its helpers go too. Through
            // the owner: a child reaped meanwhile has a pid (and group id) someone else may have now.
            if kill { process.signalGroup(SIGKILL) }
        }
    }

    /// Stops the watchdog; returns whether it killed the child.
    func disarm() -> Bool {
        lock.withLock {
            done = true
            task?.cancel()
            return fired
        }
    }
}
