import CSluiceSpawn
import Foundation

/// What `/proc/PID/stat` says about a process: enough to tell one process from a later
/// one that reuses its pid.
package struct ProcessStat: Equatable {
    /// The process group (field 5).
    package var processGroup: Int32
    /// Start time in clock ticks after boot (field 22): a reused pid has another one.
    package var startTime: UInt64
    /// Whether it exited and waits to be reaped (state `Z`, field 3).
    package var isZombie = false

    /// Reads `/proc/PID/stat`; nil when the process does not exist (or is unreadable).
    package static func read(_ pid: Int32) -> ProcessStat? {
        guard pid > 0, let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return nil }
        return parse(text)
    }

    /// Parses a stat line. The command name (field 2) is in parentheses and may itself hold
    /// spaces and parentheses, so fields are counted after the last `)`.
    static func parse(_ text: String) -> ProcessStat? {
        guard let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        // fields[0] is field 3 (state), so field N is fields[N - 3].
        guard fields.count > 19, let group = Int32(fields[2]), let start = UInt64(fields[19]) else { return nil }
        return ProcessStat(processGroup: group, startTime: start, isZombie: fields[0] == "Z")
    }

    /// Sends `signal` to `pid` only while `isStill` holds for the process that has the pid,
    /// checked after a pidfd for it was opened and the signal sent through that pidfd (Linux
    /// 5.3 and later): a process given the pid after the check can never receive it. For a
    /// process this one does not reap (its pid may be reused at any moment). Without pidfds,
    /// the check and a plain `kill` (a short window). Returns whether it was sent.
    package static func signal(_ pid: Int32, _ signal: Int32, ifStill isStill: () -> Bool) -> Bool {
        guard pid > 0 else { return false }
        let descriptor = sluice_pidfd_open(pid)
        guard descriptor >= 0 else {
            return descriptor == -ENOSYS && isStill() && kill(pid, signal) == 0
        }
        defer { close(descriptor) }
        return isStill() && sluice_pidfd_send_signal(descriptor, signal) == 0
    }

    /// Sends `signal` to `pid` only if it is still the process that started at `startTime`
    /// (see ``signal(_:_:ifStill:)``).
    package static func signal(_ pid: Int32, startedAt startTime: UInt64, _ signal: Int32) -> Bool {
        Self.signal(pid, signal) { read(pid)?.startTime == startTime }
    }

    /// Every process now in process group `group`, with its stat.
    static func members(of group: Int32) -> [(pid: Int32, stat: ProcessStat)] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { name in
            guard let pid = Int32(name), let stat = read(pid), stat.processGroup == group else { return nil }
            return (pid, stat)
        }
    }
}
