import CSluiceSpawn
import Foundation

/// Runs a short-lived tool that checks or makes a signature (`gpg`, `ssh-keygen`) to its end:
/// with a minimal environment, its input from a file and its output to files of a private
/// directory (so a full pipe never blocks it), killed with its process group when it runs
/// longer than its time limit or writes more than its output limit. Nothing secret goes in
/// its arguments: key material and data are files (mode 0600) whose paths are passed.
struct ToolRun: Sendable {
    /// How a run ended.
    struct Result: Sendable {
        /// The exit status (meaningful when ``exited``).
        var status: Int32
        /// Whether the tool exited by itself (not killed by a signal or by the limits).
        var exited: Bool
        /// Standard output, at most the output limit.
        var output: [UInt8]
        /// Standard error, at most the output limit.
        var errors: [UInt8]

        /// Whether it exited with status 0.
        var succeeded: Bool { exited && status == 0 }
        /// Standard output as text.
        var outputText: String { String(decoding: output, as: UTF8.self) }
        /// The first lines of standard error, for a message.
        var errorSummary: String {
            let lines = String(decoding: errors, as: UTF8.self).split(whereSeparator: \.isNewline).prefix(3)
            return lines.joined(separator: "; ")
        }
    }

    /// A tool that could not be run, or ran past its limits.
    struct Failure: Error, Sendable, CustomStringConvertible {
        var description: String
    }

    /// The directory (mode 0700) that holds the runs' files and is the tools' `HOME`.
    let directory: String
    /// How long one run may take.
    var timeout: Duration = .seconds(10)
    /// How many bytes each of stdout and stderr may hold.
    var maxOutput = 1 << 20

    /// The environment every tool gets: a search path, the C locale (stable messages) and a
    /// home of its own, nothing of the controller's.
    var environment: [String] {
        ["PATH=\(Self.searchPath)", "LANG=C", "LC_ALL=C", "HOME=\(directory)"]
    }

    static let searchPath = "/usr/local/bin:/usr/bin:/bin"

    /// The absolute path of `program` in the search path, nil when absent.
    static func locate(_ program: String) -> String? {
        for entry in searchPath.split(separator: ":") where access("\(entry)/\(program)", X_OK) == 0 {
            return "\(entry)/\(program)"
        }
        return nil
    }

    /// Makes a private directory (0700) under the system's temporary directory.
    static func privateDirectory(prefix: String) throws(Failure) -> String {
        var template = Array((NSTemporaryDirectory() + "/\(prefix)-XXXXXX").utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ buffer in buffer.baseAddress.flatMap { mkdtemp($0) } }) else {
            throw Failure(description: "cannot make a private directory: \(String(cString: strerror(errno)))")
        }
        let path = String(cString: made)
        chmod(path, 0o700)
        return path
    }

    /// Writes `bytes` to a new file of ``directory`` (mode 0600) and returns its path.
    func writeFile(_ name: String, _ bytes: [UInt8]) throws(Failure) -> String {
        let path = "\(directory)/\(name)"
        unlink(path)
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw Failure(description: "cannot write \(path): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            if written < 0, errno == EINTR { continue }
            guard written > 0 else { throw Failure(description: "cannot write \(path): \(String(cString: strerror(errno)))") }
            offset += written
        }
        return path
    }

    /// Runs `program` (found in the search path) with `arguments`, its stdin from the file
    /// `input` (nil: /dev/null), and waits for it without holding a thread.
    func run(_ program: String, _ arguments: [String], input: String? = nil) async throws(Failure) -> Result {
        guard let executable = Self.locate(program) else {
            throw Failure(description: "\(program) is not installed (looked in \(Self.searchPath))")
        }
        let name = UUID().uuidString
        let outputPath = "\(directory)/\(name).out", errorPath = "\(directory)/\(name).err"
        let outputFD = open(outputPath, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        let errorFD = open(errorPath, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        let inputFD = input.map { open($0, O_RDONLY | O_CLOEXEC) } ?? -1
        defer {
            for descriptor in [outputFD, errorFD, inputFD] where descriptor >= 0 { close(descriptor) }
            unlink(outputPath)
            unlink(errorPath)
        }
        guard outputFD >= 0, errorFD >= 0, input == nil || inputFD >= 0 else {
            throw Failure(description: "cannot prepare the files of \(program) in \(directory): \(String(cString: strerror(errno)))")
        }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup($0) } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var failedStep: Int32 = 0
        let io = sluice_spawn_io(stdin_fd: inputFD, stdout_fd: outputFD, stderr_fd: errorFD, die_with_parent: 0)
        let pid = directory.withCString { sluice_spawn_with(argv, envp, $0, io, -1, &failedStep) }
        guard pid > 0 else { throw Failure(description: "cannot start \(program): \(String(cString: strerror(-pid)))") }
        let status = try await wait(for: pid, watching: [outputFD, errorFD])
        guard let status else {
            throw Failure(description: "\(program) was stopped: it ran longer than \(timeout) or wrote more than \(maxOutput) bytes")
        }
        return Result(
            status: sluice_exit_code(status), exited: sluice_exited(status) != 0,
            output: Self.read(outputFD, limit: maxOutput), errors: Self.read(errorFD, limit: maxOutput))
    }

    /// The child's wait status, or nil when it was killed for passing a limit (or the task
    /// was cancelled). Polls, so no thread blocks while the tool runs.
    ///
    /// This function is the child's only reaper and its only signaller: it signals only after a
    /// poll found it unreaped, so a signal never reaches a process given its pid later.
    private func wait(for pid: Int32, watching outputs: [Int32]) async throws(Failure) -> Int32? {
        let deadline = ContinuousClock.now + timeout
        var pause = Duration.milliseconds(1)
        var status: Int32 = 0
        while true {
            let polled = sluice_try_wait(pid, &status)
            if polled == pid { return status }
            // Not our child any more (something else in this process waited for any child):
            // its pid may be another process's now, so it is never signalled.
            if polled < 0 { throw Failure(description: "lost track of the tool (pid \(pid)): \(String(cString: strerror(errno)))") }
            let tooLong = ContinuousClock.now > deadline || Task.isCancelled
            let tooMuch = outputs.contains { descriptor in
                var info = stat()
                return fstat(descriptor, &info) == 0 && Int(info.st_size) > maxOutput
            }
            if tooLong || tooMuch {
                // The tool leads its own process group: helpers it started go too.
                kill(-pid, SIGKILL)
                kill(pid, SIGKILL)
                while waitpid(pid, &status, 0) < 0, errno == EINTR {}
                return nil
            }
            try? await Task.sleep(for: pause)
            pause = min(pause * 2, .milliseconds(20))
        }
    }

    private static func read(_ descriptor: Int32, limit: Int) -> [UInt8] {
        var info = stat()
        let size = fstat(descriptor, &info) == 0 ? min(Int(info.st_size), limit) : 0
        var bytes = [UInt8](repeating: 0, count: size)
        var count = 0
        while count < size {
            let got = bytes[count...].withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, off_t(count)) }
            if got < 0, errno == EINTR { continue }
            guard got > 0 else { break }
            count += got
        }
        return Array(bytes.prefix(count))
    }
}
