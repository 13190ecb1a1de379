import Foundation

/// Waiting for a child to exit without holding a thread of Swift's cooperative pool.
///
/// `SpawnedProcess.waitUntilExit()` blocks its thread for as long as the child runs; on a 2-core
/// machine the pool has two threads, so two tests waiting for a graceful shutdown stop
/// every other test in the process (their servers, their timeouts) for that long.
public enum ProcessWait {
    /// Returns once `process` has exited (true), or after `limit` (false), polling `isRunning`.
    @discardableResult
    public static func exit(of process: SpawnedProcess, within limit: Duration = .seconds(120)) async -> Bool {
        let clock = ContinuousClock()
        let end = clock.now + limit
        while process.isRunning {
            guard clock.now < end else { return false }
            await sleepEvenIfCancelled(for: .milliseconds(10))
        }
        return true
    }

    /// Waits for `process` like ``exit(of:within:)``; one still running after `limit` is
    /// killed with SIGKILL (and waited for a little longer), so that a hung child costs a
    /// test its time limit instead of hanging the whole run. Returns whether it exited by
    /// itself; afterwards its `terminationStatus` is the one it ended with.
    @discardableResult
    public static func exitOrKill(_ process: SpawnedProcess, within limit: Duration = .seconds(120)) async -> Bool {
        if await exit(of: process, within: limit) { return true }
        process.signal(SIGKILL)
        await exit(of: process, within: .seconds(30))
        return false
    }
}
