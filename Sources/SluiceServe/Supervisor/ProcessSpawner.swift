import CSluiceSpawn
import Foundation

/// What to start.
package struct SpawnRequest: Sendable {
    package var command: [String]
    package var environment: [String: String]
    package var workingDirectory: String
    package var logPath: String
    /// A cgroup v2 directory the child joins before exec (with all its descendants), or nil.
    package var cgroup: String?

    package init(command: [String], environment: [String: String], workingDirectory: String, logPath: String, cgroup: String? = nil) {
        self.command = command
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.logPath = logPath
        self.cgroup = cgroup
    }
}

/// A program that could not be started.
package struct SpawnError: Error, Sendable, CustomStringConvertible {
    /// Which step of starting failed.
    package enum Step: Sendable {
        /// Finding the program, opening files, forking.
        case prepare
        /// Joining the instance's cgroup (the cgroup is unusable; the caller may start without it).
        case cgroup
        /// Changing to the working directory.
        case directory
        /// The exec itself (program not executable, bad interpreter).
        case exec
    }

    var program: String
    var reason: String
    /// Where it failed.
    package var step: Step = .prepare
    package var description: String { "cannot start '\(program)': \(reason)" }
}

/// Starts child processes from one thread that lives as long as the process.
///
/// Linux delivers the parent-death signal when the *thread* that forked exits, so forking
/// from a pooled thread could kill a healthy child when the pool retires that thread.
/// All forks therefore happen on this dedicated thread, and a `sluice serve` killed with
/// SIGKILL still takes its model servers with it.
package final class ProcessSpawner: @unchecked Sendable {
    package static let shared = ProcessSpawner()

    private let condition = NSCondition()
    private var queue: [(SpawnRequest, CheckedContinuation<Result<Int32, SpawnError>, Never>)] = []

    private init() {
        let thread = Thread { [unowned self] in self.run() }
        thread.name = "sluice-spawner"
        thread.start()
    }

    /// Starts `request` and returns the child's pid.
    package func spawn(_ request: SpawnRequest) async throws(SpawnError) -> Int32 {
        let result = await withCheckedContinuation { continuation in
            condition.lock()
            queue.append((request, continuation))
            condition.signal()
            condition.unlock()
        }
        return try result.get()
    }

    private func run() {
        while true {
            condition.lock()
            while queue.isEmpty { condition.wait() }
            let (request, continuation) = queue.removeFirst()
            condition.unlock()
            continuation.resume(returning: Self.start(request))
        }
    }

    private static func start(_ request: SpawnRequest) -> Result<Int32, SpawnError> {
        guard let program = request.command.first else {
            return .failure(SpawnError(program: "", reason: "empty command"))
        }
        guard let executable = resolve(program, directory: request.workingDirectory, environment: request.environment) else {
            return .failure(SpawnError(program: program, reason: "not found (looked in PATH and \(request.workingDirectory))"))
        }
        let logDescriptor = open(request.logPath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        defer { if logDescriptor >= 0 { close(logDescriptor) } }
        var arguments = [executable] + request.command.dropFirst()
        let environment = request.environment.map { "\($0.key)=\($0.value)" }.sorted()
        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.map { strdup($0) } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        arguments.removeAll()
        let cgroupDescriptor = request.cgroup.map { open("\($0)/cgroup.procs", O_WRONLY | O_CLOEXEC) } ?? -1
        defer { if cgroupDescriptor >= 0 { close(cgroupDescriptor) } }
        if request.cgroup != nil, cgroupDescriptor < 0 {
            return .failure(SpawnError(program: program, reason: "cannot open \(request.cgroup ?? "")/cgroup.procs: \(String(cString: strerror(errno)))", step: .cgroup))
        }
        var failedStep: Int32 = 0
        let pid = request.workingDirectory.withCString { directory in
            sluice_spawn(argv, envp, directory, logDescriptor, cgroupDescriptor, &failedStep)
        }
        guard pid > 0 else {
            let step: SpawnError.Step = switch failedStep {
            case Int32(SLUICE_SPAWN_STEP_CGROUP): .cgroup
            case Int32(SLUICE_SPAWN_STEP_DIRECTORY): .directory
            case Int32(SLUICE_SPAWN_STEP_EXEC): .exec
            default: .prepare
            }
            let context = step == .cgroup ? " (joining cgroup \(request.cgroup ?? ""))" : step == .directory ? " (directory \(request.workingDirectory))" : ""
            return .failure(SpawnError(program: program, reason: String(cString: strerror(-pid)) + context, step: step))
        }
        return .success(pid)
    }

    /// The absolute path of `program`: as given when it has a slash (relative to the
    /// working directory), else the first executable match in PATH.
    static func resolve(_ program: String, directory: String, environment: [String: String]) -> String? {
        if program.contains("/") {
            let path = program.hasPrefix("/") ? program : URL(fileURLWithPath: directory).appendingPathComponent(program).path
            return access(path, X_OK) == 0 ? path : nil
        }
        let searchPath = environment["PATH"] ?? ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for entry in searchPath.split(separator: ":") {
            let candidate = "\(entry)/\(program)"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }
}
