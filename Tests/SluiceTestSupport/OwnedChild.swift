import CSluiceSpawn
import Foundation

/// A child process of this test process, and the only way tests signal or reap it.
///
/// Why signals go through the owner: once a child is reaped its pid is free, and a long run
/// (~1,300 tests, each starting children, `pid_max` 32768) wraps the pid space, so a late
/// `kill(pid, …)` in a `defer` or `deinit` can hit another test's child that was given the
/// recycled pid (seen as a `sleep 30` that "ended by itself" under a 200 ms limit). Here a
/// signal is sent only while the child is known to be unreaped, under the same lock as the
/// reaping; after the reap it is a no-op. A zombie keeps its pid (and, as a group leader, its
/// process group id) reserved, so signalling up to the reap is safe.
public final class OwnedChild: @unchecked Sendable {
    /// The pid, for messages and for looking the child up; never `kill` it directly.
    public let pid: Int32
    private let lock = NSLock()
    private var waitStatus: Int32?

    /// Takes ownership of `pid`, a child just started that nobody else waits for.
    public init(_ pid: Int32) {
        self.pid = pid
    }

    /// The raw wait status once reaped, nil before.
    public var status: Int32? { lock.withLock { waitStatus } }
    /// Whether the child has been reaped.
    public var isReaped: Bool { status != nil }

    /// Sends `number` to the child while it is unreaped; returns whether it was sent.
    @discardableResult
    public func signal(_ number: Int32) -> Bool {
        lock.withLock { waitStatus == nil && kill(pid, number) == 0 }
    }

    /// Sends `number` to the child's process group (the spawner made it the leader) while
    /// the leader is unreaped (its zombie keeps the group id from being reused); returns
    /// whether it was sent.
    @discardableResult
    public func signalGroup(_ number: Int32) -> Bool {
        lock.withLock { waitStatus == nil && kill(-pid, number) == 0 }
    }

    /// Reaps the child if it has exited, without blocking; returns its wait status once
    /// reaped. With `killingGroup`, whatever it left in its process group gets SIGKILL
    /// first, while its zombie still reserves the group id.
    @discardableResult
    public func tryReap(killingGroup: Bool = false) -> Int32? {
        lock.withLock {
            if let waitStatus { return waitStatus }
            guard sluice_peek_exited(pid, 1) == pid else { return nil }
            return reapExited(killingGroup: killingGroup)
        }
    }

    /// Blocks this thread (never call it on the cooperative pool) until the child exits, then
    /// reaps it; returns its wait status.
    @discardableResult
    public func waitAndReap(killingGroup: Bool = false) -> Int32 {
        // Wait outside the lock (signals may still be sent meanwhile), reap inside it.
        let waited = sluice_peek_exited(pid, 0)
        return lock.withLock {
            if let waitStatus { return waitStatus }
            guard waited == pid else {
                // Not our child any more (ECHILD): someone else reaped it. Never signal it again.
                waitStatus = 0
                return 0
            }
            return reapExited(killingGroup: killingGroup)
        }
    }

    /// SIGKILL to the group and the child, then reaps it (blocking for the moment it takes to die).
    @discardableResult
    public func killGroupAndReap() -> Int32 {
        signalGroup(SIGKILL)
        signal(SIGKILL)
        return waitAndReap()
    }

    /// With the lock held and the child exited: kills its group if asked, then reaps.
    private func reapExited(killingGroup: Bool) -> Int32 {
        if killingGroup { kill(-pid, SIGKILL) }
        var raw: Int32 = 0
        let reaped = sluice_try_wait(pid, &raw)
        waitStatus = reaped == pid ? raw : 0
        return waitStatus ?? 0
    }
}
