import Foundation

/// A cgroup v2 directory that holds one model server and every process it starts, so all
/// of them can be stopped together however they fork or detach.
struct Cgroup: Hashable, Sendable {
    /// The directory (`/sys/fs/cgroup/…/sluice-PID-N`).
    let path: String

    /// Instance cgroups are named with this prefix; a recorded path without it is never touched.
    static let prefix = "sluice-"

    /// Whether `path` looks like a cgroup this program made (so a tampered record cannot
    /// make `sluice serve` kill a whole foreign cgroup).
    static func isInstancePath(_ path: String) -> Bool {
        let name = (path as NSString).lastPathComponent
        return name.hasPrefix(prefix) && !path.contains("/../") && FileManager.default.fileExists(atPath: "\(path)/cgroup.procs")
    }

    /// The pids now in the cgroup.
    var members: [Int32] {
        guard let text = try? String(contentsOfFile: "\(path)/cgroup.procs", encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { Int32($0) }
    }

    /// Whether any process is left.
    var isPopulated: Bool {
        guard let text = try? String(contentsOfFile: "\(path)/cgroup.events", encoding: .utf8) else { return !members.isEmpty }
        return text.contains("populated 1")
    }

    /// Sends `signal` to every process in the cgroup: SIGKILL through `cgroup.kill`
    /// (Linux 5.14 and later; atomic, so a process forking at that moment is caught too),
    /// anything else, or SIGKILL on older kernels, to each listed member.
    func signal(_ signal: Int32) {
        if signal == SIGKILL, Self.write("1", to: "\(path)/cgroup.kill") { return }
        // A member may exit, be reaped and its pid reused outside the cgroup after the listing:
        // each is signalled through a pidfd, only if still listed once the pidfd holds it.
        for pid in members {
            _ = ProcessStat.signal(pid, signal) { members.contains(pid) }
        }
    }

    /// Removes the directory once it is empty; false while processes remain.
    @discardableResult
    func remove() -> Bool {
        rmdir(path) == 0 || errno == ENOENT
    }

    /// Writes `text` to a control file.
    static func write(_ text: String, to file: String) -> Bool {
        let descriptor = open(file, O_WRONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        return text.withCString { Foundation.write(descriptor, $0, strlen($0)) } == text.utf8.count
    }
}

/// Makes instance cgroups under the cgroup `sluice serve` runs in, when cgroup v2 is
/// mounted there and writable; otherwise nil and the process group is the containment.
struct CgroupParent: Sendable {
    /// The directory of the serving process's own cgroup.
    let path: String

    /// The cgroup v2 directory of this process, if it may create cgroups below it and
    /// move processes into them.
    static func detect() -> CgroupParent? {
        guard let mounts = try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8),
              let own = try? String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8) else { return nil }
        // mountinfo: ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS… - FSTYPE SOURCE SUPER
        var mountPoint: String?
        for line in mounts.split(separator: "\n") {
            let halves = line.components(separatedBy: " - ")
            guard halves.count == 2, halves[1].hasPrefix("cgroup2 ") else { continue }
            let fields = halves[0].split(separator: " ")
            if fields.count > 4, fields[3] == "/" { mountPoint = String(fields[4]); break }
        }
        guard let mountPoint,
              let line = own.split(separator: "\n").first(where: { $0.hasPrefix("0::") }) else { return nil }
        let relative = String(line.dropFirst(3))
        let path = relative == "/" ? mountPoint : mountPoint + relative
        // Moving a child needs write access to the common ancestor's cgroup.procs (here).
        guard access("\(path)/cgroup.procs", W_OK) == 0, access(path, W_OK) == 0 else { return nil }
        return CgroupParent(path: path)
    }

    /// Removes empty instance cgroups whose `sluice serve` is gone (left by one killed with
    /// SIGKILL whose state directory was never used again). Populated ones are left: only
    /// the owner's ledger says what its processes are.
    func removeAbandoned() {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        for name in names where name.hasPrefix(Cgroup.prefix) {
            let owner = name.dropFirst(Cgroup.prefix.count).split(separator: "-").first.flatMap { Int32($0) }
            guard let owner, owner != getpid(), kill(owner, 0) != 0, errno == ESRCH else { continue }
            let cgroup = Cgroup(path: "\(path)/\(name)")
            if !cgroup.isPopulated { cgroup.remove() }
        }
    }

    /// Creates a fresh, empty cgroup for one instance.
    func makeInstance(serial: Int) -> Cgroup? {
        let directory = "\(path)/\(Cgroup.prefix)\(getpid())-\(serial)"
        if mkdir(directory, 0o755) != 0 {
            // A leftover of a previous process with the same pid: reuse it only when empty.
            guard errno == EEXIST, !Cgroup(path: directory).isPopulated else { return nil }
        }
        return Cgroup(path: directory)
    }
}
