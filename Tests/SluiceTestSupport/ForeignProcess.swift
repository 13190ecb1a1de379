import Foundation
import SluiceServe

/// A process this test process did not start and does not reap (a model server of a
/// `sluice serve` child, a helper one forked), named by its pid *and* its start time.
///
/// Its parent reaps it whenever it exits, and from then on its pid may be any other process's
/// (the pid space wraps in a long run). So it is signalled only through a pidfd opened and
/// then checked against the start time seen when it was named: a process that got the pid
/// later can never receive the signal, however late a `defer` runs.
public struct ForeignProcess: Sendable, CustomStringConvertible {
    public let pid: Int32
    /// Clock ticks after boot at which it started (`/proc/PID/stat` field 22).
    public let startTime: UInt64

    /// Names the process with `pid` that started at `startTime` (seen earlier).
    public init(pid: Int32, startTime: UInt64) {
        self.pid = pid
        self.startTime = startTime
    }

    /// Names the process that has `pid` now; nil when there is none.
    public init?(_ pid: Int32) {
        guard let stat = ProcessStat.read(pid) else { return nil }
        self.pid = pid
        startTime = stat.startTime
    }

    public var description: String { "pid \(pid)" }

    /// Whether this same process still runs (a zombie counts as gone).
    public var isRunning: Bool {
        guard let stat = ProcessStat.read(pid) else { return false }
        return stat.startTime == startTime && !stat.isZombie
    }

    /// Sends `number` if `pid` still names this same process; returns whether it was sent.
    @discardableResult
    public func signal(_ number: Int32) -> Bool {
        // The pidfd holds on to whichever process had the pid when it was opened; the start
        // time read after it says whether that is this one.
        ProcessStat.signal(pid, startedAt: startTime, number)
    }
}
