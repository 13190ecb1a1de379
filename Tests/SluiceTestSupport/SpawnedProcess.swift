import CSluiceSpawn
import Foundation

/// A child process for tests, started without Foundation's `Process`.
///
/// Foundation's `Process.run()` on Linux (Swift 6.3.1) copies 256 bytes out of each
/// `readdir` record while it lists /proc/self/fd; a short record at the end of glibc's
/// buffer makes that copy read an unmapped page, and the whole test process dies with
/// SIGSEGV now and then (swift-corelibs-foundation #5472, fixed after this toolchain).
/// This starts children through Sluice's own fork and exec (CSluiceSpawn, which neither
/// allocates nor lists directories after the fork) and keeps the part of `Process`'s
/// interface the tests use, with the same meanings: the child gets its own process group,
/// exactly descriptors 0, 1 and 2, and this process's environment unless one is given.
public final class SpawnedProcess: @unchecked Sendable {
    /// How the child ended.
    public enum TerminationReason: Sendable {
        case exit
        case uncaughtSignal
    }

    /// A failure to start: the program is missing, not executable, or the directory is.
    public struct StartError: Error, CustomStringConvertible {
        public var description: String
    }

    /// The program (an absolute path).
    public var executableURL: URL?
    public var arguments: [String]?
    /// The child's whole environment; nil: this process's.
    public var environment: [String: String]?
    public var currentDirectoryURL: URL?
    /// A `FileHandle` or a `Pipe`; nil: /dev/null.
    public var standardInput: Any?
    /// A `FileHandle` or a `Pipe`; nil: this process's own stdout.
    public var standardOutput: Any?
    /// A `FileHandle` or a `Pipe`; nil: this process's own stderr.
    public var standardError: Any?
    /// Called once, on a thread of its own, when the child has exited and been reaped.
    public var terminationHandler: (@Sendable (SpawnedProcess) -> Void)? {
        get { lock.withLock { handler } }
        set { lock.withLock { handler = newValue } }
    }

    private let lock = NSCondition()
    private var handler: (@Sendable (SpawnedProcess) -> Void)?
    private var pid: Int32 = 0
    /// The started child: the one place that reaps it and signals it (see ``OwnedChild``).
    private var child: OwnedChild?
    private var running = false
    private var status: Int32 = 0
    private var reason = TerminationReason.exit

    public init() {}

    /// The child's pid (0 before `run()`), for messages: signal it with ``signal(_:)`` or
    /// ``signalGroup(_:)``, never `kill(pid, …)`, which can hit a recycled pid once it is reaped.
    public var processIdentifier: Int32 { lock.withLock { pid } }
    /// Whether the child was started and has not been reaped yet.
    public var isRunning: Bool { lock.withLock { running } }
    /// The exit code, or the signal that ended it (see ``terminationReason``).
    public var terminationStatus: Int32 { lock.withLock { status } }
    public var terminationReason: TerminationReason { lock.withLock { reason } }

    /// Starts the child; throws when it could not be started.
    public func run() throws {
        guard let program = executableURL?.path, program.hasPrefix("/") else {
            throw StartError(description: "an absolute executableURL is needed, not \(executableURL?.path ?? "nil")")
        }
        var openedNull: [FileHandle] = []
        func descriptor(_ stream: Any?, input: Bool) throws -> Int32 {
            switch stream {
            case let pipe as Pipe:
                return (input ? pipe.fileHandleForReading : pipe.fileHandleForWriting).fileDescriptor
            case let handle as FileHandle where handle !== FileHandle.nullDevice:
                return handle.fileDescriptor
            case is FileHandle:
                let null = try FileHandle(forUpdating: URL(fileURLWithPath: "/dev/null"))
                openedNull.append(null)
                return null.fileDescriptor
            default:
                return -1
            }
        }
        let io = sluice_spawn_io(
            stdin_fd: try descriptor(standardInput, input: true),
            stdout_fd: try descriptor(standardOutput, input: false),
            stderr_fd: try descriptor(standardError, input: false),
            die_with_parent: 0)
        defer { openedNull.forEach { try? $0.close() } }
        let environment = (self.environment ?? ProcessInfo.processInfo.environment).map { "\($0.key)=\($0.value)" }
        let argv = ([program] + (arguments ?? [])).map { strdup($0) } + [nil]
        let envp = environment.map { strdup($0) } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var failedStep: Int32 = 0
        let started: Int32 =
            if let directory = currentDirectoryURL?.path {
                directory.withCString { sluice_spawn_with(argv, envp, $0, io, -1, &failedStep) }
            } else {
                sluice_spawn_with(argv, envp, nil, io, -1, &failedStep)
            }
        guard started > 0 else {
            let place = failedStep == Int32(SLUICE_SPAWN_STEP_DIRECTORY) ? " in \(currentDirectoryURL?.path ?? "")" : ""
            throw StartError(description: "cannot start \(program)\(place): \(String(cString: strerror(-started)))")
        }
        // The child has its own copies now; like Process, close the ends it uses.
        (standardInput as? Pipe).map { try? $0.fileHandleForReading.close() }
        (standardOutput as? Pipe).map { try? $0.fileHandleForWriting.close() }
        (standardError as? Pipe).map { try? $0.fileHandleForWriting.close() }
        let owned = OwnedChild(started)
        lock.withLock {
            pid = started
            child = owned
            running = true
        }
        let reaper = Thread { [self] in reap(owned) }
        reaper.name = "spawned-process-reaper"
        reaper.start()
    }

    /// Blocks until the child has exited and been reaped.
    public func waitUntilExit() {
        lock.lock()
        defer { lock.unlock() }
        while running { lock.wait() }
    }

    /// Sends SIGTERM.
    public func terminate() { signal(SIGTERM) }

    /// Sends SIGINT.
    public func interrupt() { signal(SIGINT) }

    /// Sends `number` to the child while it is unreaped; afterwards (or before `run()`) it
    /// sends nothing. Returns whether it was sent.
    @discardableResult
    public func signal(_ number: Int32) -> Bool {
        lock.withLock { child }?.signal(number) ?? false
    }

    /// Sends `number` to the child's process group (it leads its own) while the leader is
    /// unreaped. Returns whether it was sent.
    @discardableResult
    public func signalGroup(_ number: Int32) -> Bool {
        lock.withLock { child }?.signalGroup(number) ?? false
    }

    /// Waits for the child on this thread (never the cooperative pool), then reports.
    private func reap(_ child: OwnedChild) {
        let raw = child.waitAndReap()
        let signaled = sluice_signaled(raw) != 0
        lock.lock()
        status = signaled ? sluice_term_signal(raw) : sluice_exit_code(raw)
        reason = signaled ? .uncaughtSignal : .exit
        running = false
        let handler = self.handler
        self.handler = nil
        lock.broadcast()
        lock.unlock()
        handler?(self)
    }
}
