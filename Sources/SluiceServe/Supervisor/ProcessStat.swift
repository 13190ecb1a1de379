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

    /// Every process now in process group `group`, with its stat.
    static func members(of group: Int32) -> [(pid: Int32, stat: ProcessStat)] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { name in
            guard let pid = Int32(name), let stat = read(pid), stat.processGroup == group else { return nil }
            return (pid, stat)
        }
    }
}
