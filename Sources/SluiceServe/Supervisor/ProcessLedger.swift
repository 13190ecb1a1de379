import Foundation
import Logging
import SluiceCore

/// The model servers this data plane runs, kept in `stateDirectory/processes.json`
/// (mode 0600, replaced atomically), so that a `sluice serve` killed with SIGKILL has its
/// leftovers (forked helpers the parent-death signal does not reach) stopped by the next.
final class ProcessLedger: @unchecked Sendable {
    let path: String
    private var records: [Int32: ProcessRecord] = [:]
    private let lock = NSLock()

    init(directory: String) {
        path = "\(directory)/processes.json"
    }

    /// Records a started model server.
    func add(_ record: ProcessRecord) {
        lock.withLock {
            records[record.pid] = record
            save()
        }
    }

    /// Forgets a model server whose whole tree is stopped.
    func remove(pid: Int32) {
        lock.withLock {
            guard records.removeValue(forKey: pid) != nil else { return }
            save()
        }
    }

    /// The records a previous run left.
    func load() -> [ProcessRecord] {
        guard let data = FileManager.default.contents(atPath: path), let json = try? JSONParser.parse(String(decoding: data, as: UTF8.self)),
              case .array(let items)? = json["processes"] else { return [] }
        return items.compactMap(ProcessRecord.init(json:))
    }

    /// Stops every process a previous run recorded and is still running: its cgroup
    /// whole, and the members of its process group that started no earlier than it did.
    /// A group whose leader's pid now belongs to a process with another start time is
    /// left alone (the pid was reused). Returns how many processes were signalled.
    @discardableResult
    func stopLeftovers(log: Logger) -> Int {
        var signalled = 0
        for record in load() {
            if let path = record.cgroup, Cgroup.isInstancePath(path) {
                let cgroup = Cgroup(path: path)
                let members = cgroup.members.count
                if members > 0 {
                    cgroup.signal(SIGKILL)
                    signalled += members
                }
                waitUntilEmpty(cgroup)
                cgroup.remove()
            }
            signalled += Self.stopGroup(of: record)
        }
        if signalled > 0 { log.info("stopped \(signalled) leftover model-server processes of a previous run") }
        lock.withLock { save() }
        return signalled
    }

    /// SIGKILLs what is left of `record`'s process group, checking start times.
    static func stopGroup(of record: ProcessRecord) -> Int {
        if let leader = ProcessStat.read(record.pid), leader.startTime != record.startTime {
            return 0
        }
        // Never our own group (a tampered record naming it would stop this very process).
        guard record.processGroup != getpgrp() else { return 0 }
        var signalled = 0
        for member in ProcessStat.members(of: record.processGroup) where member.stat.startTime >= record.startTime && member.pid != getpid() {
            // Not our child: by pidfd and start time, so a pid reused meanwhile is left alone.
            if ProcessStat.signal(member.pid, startedAt: member.stat.startTime, SIGKILL) { signalled += 1 }
        }
        return signalled
    }

    private func waitUntilEmpty(_ cgroup: Cgroup) {
        for _ in 0..<100 where cgroup.isPopulated { usleep(20_000) }
    }

    /// Writes the records: a temporary file (0600), fsync, rename, fsync the directory.
    private func save() {
        let document = JSONValue.object([("processes", .array(records.values.sorted { $0.pid < $1.pid }.map(\.json)))])
        let bytes = Array((document.serialized(indent: 2) + "\n").utf8)
        let directory = (path as NSString).deletingLastPathComponent
        let temporary = "\(directory)/.processes.json.\(getpid()).tmp"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard descriptor >= 0 else { return }
        var written = 0
        while written < bytes.count {
            let result = bytes[written...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            if result < 0 {
                if errno == EINTR { continue }
                break
            }
            written += result
        }
        fsync(descriptor)
        close(descriptor)
        guard written == bytes.count, rename(temporary, path) == 0 else {
            unlink(temporary)
            return
        }
        let directoryDescriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directoryDescriptor >= 0 {
            fsync(directoryDescriptor)
            close(directoryDescriptor)
        }
    }
}
