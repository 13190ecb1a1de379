import CSluiceSpawn
import Foundation
import Logging

/// Keeps every model server and all its descendants together so they stop together: a
/// cgroup v2 per instance where one can be made, always the instance's process group, and
/// `sluice serve` as the subreaper of whatever they orphan. Started servers are recorded
/// in the state directory for the next run to clean up after a SIGKILL.
final class Containment: @unchecked Sendable {
    private var parent: CgroupParent?
    private let ledger: ProcessLedger
    private let log: Logger
    private var serial = 0
    /// Whether orphaned descendants of model servers are reparented to this process.
    private(set) var isSubreaper = false
    /// Cgroups whose processes were killed but had not gone yet: removed on a later pass.
    private var emptying: Set<Cgroup> = []

    /// - Parameter cgroups: false contains by process group only (the fallback, for tests).
    init(stateDirectory: String, log: Logger, cgroups: Bool = true) {
        parent = cgroups ? CgroupParent.detect() : nil
        ledger = ProcessLedger(directory: stateDirectory)
        self.log = log
    }

    /// How model servers are contained, for the log.
    var summary: String {
        parent.map { "model servers each get a cgroup under \($0.path)" } ?? "model servers are contained by process group (no writable cgroup v2)"
    }

    /// Marks inherited descriptors close-on-exec, becomes the subreaper and stops what a
    /// previous run recorded.
    func begin() {
        sluice_cloexec_above_stderr()
        let result = sluice_become_subreaper()
        isSubreaper = result == 0
        if result != 0 { log.error("cannot become the subreaper of model servers' helpers: \(String(cString: strerror(-result)))") }
        ledger.stopLeftovers(log: log)
        parent?.removeAbandoned()
    }

    /// At shutdown: waits briefly for killed cgroups to empty, and removes them.
    func finish() {
        for _ in 0..<50 where !emptying.isEmpty {
            tidy()
            usleep(20_000)
        }
    }

    /// A fresh cgroup for the next instance, or nil when cgroups are not usable.
    func makeCgroup() -> Cgroup? {
        guard let parent else { return nil }
        serial += 1
        return parent.makeInstance(serial: serial)
    }

    /// The cgroup could not be joined: contain by process group from now on.
    func disableCgroups(_ cgroup: Cgroup, because reason: String) {
        cgroup.remove()
        parent = nil
        log.error("cgroups are not usable (\(reason)); model servers are contained by process group")
    }

    /// Records a started model server.
    func started(pid: Int32, cgroup: Cgroup?) {
        let start = ProcessStat.read(pid)?.startTime ?? 0
        ledger.add(ProcessRecord(pid: pid, processGroup: pid, startTime: start, cgroup: cgroup?.path))
    }

    /// Sends `signal` to the model server `pid` and everything it started.
    func signal(pid: Int32, cgroup: Cgroup?, _ signal: Int32) {
        kill(-pid, signal)
        cgroup?.signal(signal)
    }

    /// The model server `pid` exited: kill whatever it left running, remove its cgroup and
    /// forget the record. Called before it is reaped: its zombie keeps the group id from being
    /// given to another process, so the group signal reaches only what it left.
    func ended(pid: Int32, cgroup: Cgroup?) {
        kill(-pid, SIGKILL)
        if let cgroup {
            cgroup.signal(SIGKILL)
            if !cgroup.remove() { emptying.insert(cgroup) }
        }
        ledger.remove(pid: pid)
    }

    /// Removes cgroups that have emptied since.
    func tidy() {
        for cgroup in emptying where cgroup.remove() { emptying.remove(cgroup) }
    }
}
