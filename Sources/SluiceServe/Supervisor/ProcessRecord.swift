import SluiceCore

/// One running model server as written to the state directory, so a later `sluice serve`
/// can stop what a killed one left behind, and nothing else.
struct ProcessRecord: Equatable, Sendable {
    /// The model server (also its process group: it leads one).
    var pid: Int32
    /// Its process group.
    var processGroup: Int32
    /// Its start time (`/proc/PID/stat` field 22): a pid now held by a process that started
    /// at another time is someone else's.
    var startTime: UInt64
    /// Its cgroup, when it has one.
    var cgroup: String?

    var json: JSONValue {
        var members: [(String, JSONValue)] = [
            ("pid", .int(Int(pid))), ("pgid", .int(Int(processGroup))), ("startTime", .int(Int(startTime))),
        ]
        if let cgroup { members.append(("cgroup", .string(cgroup))) }
        return .object(members)
    }

    /// Reads one record; nil for anything malformed (a damaged file never leads to a kill).
    init?(json: JSONValue) {
        guard case .int(let pid)? = json["pid"], case .int(let group)? = json["pgid"], case .int(let start)? = json["startTime"],
              pid > 1, group > 1, start >= 0, pid <= Int(Int32.max), group <= Int(Int32.max) else { return nil }
        self.pid = Int32(pid)
        processGroup = Int32(group)
        startTime = UInt64(start)
        if case .string(let path)? = json["cgroup"] { cgroup = path }
    }

    init(pid: Int32, processGroup: Int32, startTime: UInt64, cgroup: String?) {
        self.pid = pid
        self.processGroup = processGroup
        self.startTime = startTime
        self.cgroup = cgroup
    }
}
