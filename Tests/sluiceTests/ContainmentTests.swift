import Foundation
import SluiceTestSupport
import Testing

/// Attacks from a model server on its supervisor: inherited descriptors, inherited
/// secrets, helpers that outlive it; and a controller sending its token to the wrong place.
@Suite("model-server containment", .timeLimit(.minutes(10)))
struct ContainmentTests {
    static let probe = SluiceBinary.packageRoot.appendingPathComponent("Tests/sluiceTests/Fixtures/probe_runtime.py").path
    /// The interpreter itself: `python3` on PATH may be a shell shim (pyenv) that adds
    /// descriptors and variables of its own to what the probe would report. Found on PATH
    /// without running anything when it is a binary; only a script shim is asked for
    /// `sys.executable` (a short blocking run, once per test process).
    static let python: String = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/python3"
            guard access(candidate, X_OK) == 0, let resolved = realpath(candidate, nil) else { continue }
            defer { free(resolved) }
            let binary = String(cString: resolved)
            let head = FileHandle(forReadingAtPath: binary).flatMap { try? $0.read(upToCount: 2) }
            return head == Data("#!".utf8) ? askedInterpreter() : binary
        }
        return "python3"
    }()

    private static func askedInterpreter() -> String {
        let process = SpawnedProcess()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", "import sys; print(sys.executable)"]
        let output = Pipe()
        process.standardOutput = output
        try? process.run()
        process.waitUntilExit()
        let path = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return path.isEmpty ? "python3" : path
    }
    static let probeSpec = #"{"revision":"r1","models":[{"name":"probe","versions":[{"name":"v1","runtime":"probe","artifact":"models/fraud-v2.1.json"}],"route":{"weights":{"v1":100}}}]}"#

    /// Secrets an operator may well have in the environment of `sluice serve` or `sluice up`.
    static let secrets = ["GIT_TOKEN": "secret-git-token", "AWS_SECRET_ACCESS_KEY": "secret-aws-key", "SLUICE_GIT_TOKEN": "secret-sluice"]

    /// A serve harness with the `probe` runtime (reports in DIR/reports) and, as
    /// `forking`, the same probe behind a shell that leaves a `sleep 600` behind.
    static func harness(listen: String = "127.0.0.1:0", adminListen: String = "127.0.0.1:0") throws -> ServeHarness {
        let interpreter = python
        // Relative: runtimes run in the config's directory.
        let runtimes = """
              probe:
                command: [\(interpreter), \(probe)]
                env: {PROBE_REPORT_DIR: reports, LC_TIME: C}
              forking:
                command: [sh, -c, "sleep 600 & echo $! > \\"$PROBE_REPORT_DIR/grandchild.pid\\"; exec \(interpreter) \(probe)"]
                env: {PROBE_REPORT_DIR: reports}
              escaping:
                command: [sh, -c, "setsid sleep 600 & echo $! > \\"$PROBE_REPORT_DIR/escaped.pid\\"; exec \(interpreter) \(probe)"]
                env: {PROBE_REPORT_DIR: reports}
            """
        // Connections held open across a model server's start stay open however long a
        // loaded machine takes to start it (the default idle timeout, 60 s, closed them in a
        // CI run whose start took longer, and left only the listeners to count).
        let serve = try ServeHarness(extraConfig: "  limits:\n    idleTimeout: 1h", extraRuntimes: runtimes, listen: listen, adminListen: adminListen)
        try FileManager.default.createDirectory(at: serve.directory.appendingPathComponent("reports"), withIntermediateDirectories: true)
        return serve
    }

    /// The reports the probe wrote in `directory/reports`.
    static func reports(in directory: URL) -> [[String: Any]] {
        let path = directory.appendingPathComponent("reports").path
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        return names.filter { $0.hasPrefix("report-") && $0.hasSuffix(".json") }.sorted().compactMap { name in
            FileManager.default.contents(atPath: "\(path)/\(name)").flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] }
        }
    }

    @Test("a model server starts with exactly fds 0, 1, 2: no listener or connection of the gateway or admin API to accept() on")
    func onlyStandardDescriptors() async throws {
        let serve = try Self.harness()
        try await serve.start()
        defer { serve.forceStop() }
        // Connections held open while the model server is started: accepted sockets exist.
        let held = try [serve.inferenceURL, serve.adminURL].map { try openConnection(to: $0) }
        defer { held.forEach { close($0) } }
        try await serve.apply(Self.probeSpec)
        try await serve.waitReady("probe", ["v1"])
        let report = try #require(Self.reports(in: serve.directory).first)
        #expect(report["fds"] as? [Int] == [0, 1, 2], "inherited: \(report["fds"] ?? "")")
        #expect(report["accepting"] as? [Int] == [], "accept() worked on inherited fds \(report["accepting"] ?? "")")
        // Every socket of sluice serve (listeners, accepted connections, any it inherited) is close-on-exec.
        let pid = try #require(serve.process?.processIdentifier)
        let sockets = socketDescriptors(of: pid)
        #expect(sockets.count >= 4, "listeners plus held connections: \(sockets)")
        for (fd, target, flags) in sockets {
            #expect(flags & 0o2000000 != 0, "socket fd \(fd) (\(target)) of sluice serve is not close-on-exec (flags \(String(flags, radix: 8)))")
        }
    }

    @Test("a model server sees only PATH, HOME, LANG, LC_*, TZ, TMPDIR, its runtime's env and SLUICE_MODEL/VERSION/PORT")
    func allowlistedEnvironment() async throws {
        let serve = try Self.harness()
        try await serve.start(environment: Self.secrets.merging(["LANG": "C.UTF-8"]) { $1 })
        defer { serve.forceStop() }
        try await serve.apply(Self.probeSpec)
        try await serve.waitReady("probe", ["v1"])
        let report = try #require(Self.reports(in: serve.directory).first)
        let environment = try #require(report["environment"] as? [String: String])
        for (name, value) in Self.secrets {
            #expect(environment[name] == nil, "\(name) reached the model server")
            #expect(!environment.values.contains(value))
        }
        #expect(environment["LANG"] == "C.UTF-8")
        #expect(environment["LC_TIME"] == "C")
        #expect(environment["PROBE_REPORT_DIR"] != nil)
        #expect(environment["SLUICE_MODEL"] == "probe")
        #expect(environment["SLUICE_VERSION"] == "v1")
        #expect(environment["SLUICE_PORT"].flatMap(Int.init) != nil)
        let allowed: Set<String> = ["PATH", "HOME", "LANG", "TZ", "TMPDIR", "PROBE_REPORT_DIR", "SLUICE_MODEL", "SLUICE_VERSION", "SLUICE_PORT"]
        let unexpected = environment.keys.filter { !allowed.contains($0) && !$0.hasPrefix("LC_") }
        // python3 may add LC_CTYPE itself under a C locale; anything else came from outside.
        #expect(unexpected.isEmpty, "unexpected variables: \(unexpected.sorted())")
    }

    @Test("helpers a model server forks are stopped with it; after kill -9 of sluice serve the next one on the same ports stops them")
    func forkedHelpersAreContained() async throws {
        // Fixed ports, so that the second `sluice serve` finds the first one's leftovers: below
        // Linux's ephemeral range and apart from the harnesses' ranges (20000-32700).
        let base = freePortBlock(in: 16000..<19900, size: 2)
        defer { releasePortBlock(base) }
        let serve = try Self.harness(listen: "127.0.0.1:\(base)", adminListen: "127.0.0.1:\(base + 1)")
        let spec = Self.probeSpec.replacingOccurrences(of: #""runtime":"probe""#, with: #""runtime":"forking""#)
        try await serve.start()
        try await serve.apply(spec)
        try await serve.waitReady("probe", ["v1"])
        let pidFile = serve.directory.appendingPathComponent("reports/grandchild.pid").path
        // Not our child: signalled only while its pid still names it (see ForeignProcess).
        let first = try #require(readPID(pidFile).flatMap(ForeignProcess.init))
        defer { first.signal(SIGKILL) }
        #expect(first.isRunning)
        try await serve.kill9()
        try FileManager.default.removeItem(atPath: pidFile)
        // Same ports, same state directory: it starts, stops the leftover and serves again.
        try await serve.start()
        try await waitUntil("the leftover helper \(first) is stopped") { !first.isRunning }
        try await serve.waitReady("probe", ["v1"])
        #expect(try await serve.infer("probe").status == 200)
        // A normal stop takes the helpers of the new model server along too.
        try await waitUntil("the new helper's pid file") { readPID(pidFile) != nil }
        let second = try #require(readPID(pidFile).flatMap(ForeignProcess.init))
        defer { second.signal(SIGKILL) }
        #expect(second.isRunning)
        await serve.stop(signal: SIGTERM)
        try await waitUntil("the helper \(second) is stopped with sluice serve") { !second.isRunning }
    }

    /// Whether this machine has a cgroup v2 hierarchy that this (root or delegated) user may write.
    static let cgroupsWritable: Bool = {
        guard let mounts = try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8) else { return false }
        return mounts.split(separator: "\n").contains { line in
            let halves = line.components(separatedBy: " - ")
            guard halves.count == 2, halves[1].hasPrefix("cgroup2 ") else { return false }
            let fields = halves[0].split(separator: " ")
            return fields.count > 4 && access("\(fields[4])/cgroup.procs", W_OK) == 0
        }
    }()

    @Test("with cgroup v2, a helper that leaves the process group (setsid) is stopped with its model server",
          .enabled(if: cgroupsWritable, "needs a writable cgroup v2 hierarchy"))
    func setsidHelperIsContained() async throws {
        let serve = try Self.harness()
        let spec = Self.probeSpec.replacingOccurrences(of: #""runtime":"probe""#, with: #""runtime":"escaping""#)
        try await serve.start()
        defer { serve.forceStop() }
        #expect(serve.serveLog.contains("each get a cgroup"), "\(serve.serveLog)")
        try await serve.apply(spec)
        try await serve.waitReady("probe", ["v1"])
        let escaped = try #require(readPID(serve.directory.appendingPathComponent("reports/escaped.pid").path).flatMap(ForeignProcess.init))
        defer { escaped.signal(SIGKILL) }
        #expect(escaped.isRunning)
        #expect(processGroup(of: escaped.pid) == escaped.pid, "setsid made it a group of its own")
        // Removing the version stops the model server and, through its cgroup, the escaped helper.
        try await serve.apply(#"{"revision":"r2","models":[]}"#)
        try await waitUntil("the escaped helper \(escaped) is stopped") { !escaped.isRunning }
    }

    @Test("at start, a recorded process is stopped only if its start time matches: a reused pid is never killed")
    func reusedPidIsNotKilled() async throws {
        let serve = try Self.harness()
        let leftover = try await startSleeper()
        defer { leftover.signal(SIGKILL) }
        let bystander = try await startSleeper()
        defer { bystander.signal(SIGKILL) }
        let leftoverStart = try #require(startTime(of: leftover.processIdentifier))
        let bystanderStart = try #require(startTime(of: bystander.processIdentifier))
        let records = [
            #"{"pid":\#(leftover.processIdentifier),"pgid":\#(leftover.processIdentifier),"startTime":\#(leftoverStart)}"#,
            #"{"pid":\#(bystander.processIdentifier),"pgid":\#(bystander.processIdentifier),"startTime":\#(bystanderStart + 1)}"#,
        ]
        let state = serve.directory.appendingPathComponent("state")
        try FileManager.default.createDirectory(at: state, withIntermediateDirectories: true)
        try #"{"processes":[\#(records.joined(separator: ","))]}"#.write(to: state.appendingPathComponent("processes.json"), atomically: true, encoding: .utf8)
        try await serve.start()
        defer { serve.forceStop() }
        try await waitUntil("the recorded leftover is stopped") { !leftover.isRunning }
        #expect(bystander.isRunning, "a process whose start time differs from the record was killed")
    }

    // MARK: - helpers

    /// A `sleep` in its own process group, like a model server's.
    private func startSleeper() async throws -> SpawnedProcess {
        let process = SpawnedProcess()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", "import os, time; os.setpgrp(); time.sleep(300)"]
        try process.run()
        try await waitUntil("a sleeper in its own process group") { processGroup(of: process.processIdentifier) == process.processIdentifier }
        return process
    }

    private func readPID(_ path: String) -> Int32? {
        (try? String(contentsOfFile: path, encoding: .utf8)).flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    private func waitUntil(_ what: String, seconds: Double = 60, _ condition: () -> Bool) async throws {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw HarnessError("timed out waiting for \(what)")
    }
}

/// `/proc/PID/stat` fields after the command name: field N is at index N - 3.
private func statFields(of pid: Int32) -> [Substring]? {
    guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = text.lastIndex(of: ")") else { return nil }
    return text[text.index(after: close)...].split(separator: " ")
}

func startTime(of pid: Int32) -> UInt64? { statFields(of: pid).flatMap { $0.count > 19 ? UInt64($0[19]) : nil } }
func processGroup(of pid: Int32) -> Int32? { statFields(of: pid).flatMap { $0.count > 2 ? Int32($0[2]) : nil } }

/// The socket descriptors of `pid` with their open flags (octal in /proc/PID/fdinfo).
func socketDescriptors(of pid: Int32) -> [(Int, String, Int)] {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")) ?? []
    return names.compactMap { name -> (Int, String, Int)? in
        guard let fd = Int(name),
              let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\(name)"), target.hasPrefix("socket:"),
              let info = try? String(contentsOfFile: "/proc/\(pid)/fdinfo/\(name)", encoding: .utf8),
              let line = info.split(separator: "\n").first(where: { $0.hasPrefix("flags:") }),
              let flags = Int(line.dropFirst("flags:".count).trimmingCharacters(in: .whitespaces), radix: 8) else { return nil }
        return (fd, target, flags)
    }.sorted { $0.0 < $1.0 }
}

/// A TCP connection to `url`'s host and port, left open.
func openConnection(to url: URL) throws -> Int32 {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(url.port ?? 0).bigEndian)
    address.sin_addr.s_addr = inet_addr(url.host ?? "127.0.0.1")
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
    }
    guard connected else {
        close(descriptor)
        throw HarnessError("cannot connect to \(url)")
    }
    return descriptor
}
