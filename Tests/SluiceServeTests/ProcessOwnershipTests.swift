import Foundation
@testable import SluiceServe
import SluiceTestSupport
import Testing

/// Signals go through the owner of a child, and only while it is unreaped: after the reap its
/// pid (and a group id equal to it) may be another process's, and a late `kill` from a
/// `defer` or `deinit` once hit another test's `sleep 30` that way. These check the owners'
/// state machines directly, since wrapping the pid space on purpose takes minutes.
@Suite("process ownership: no signal after the reap", .timeLimit(.minutes(5)))
struct ProcessOwnershipTests {
    @Test("SpawnedProcess signals its child while it runs, and sends nothing once it was reaped")
    func spawnedProcessRefusesLateSignals() async throws {
        let running = try Self.spawn(["/bin/sleep", "30"])
        #expect(running.signal(SIGKILL))
        #expect(await ProcessWait.exit(of: running, within: .seconds(60)))
        #expect(running.terminationReason == .uncaughtSignal && running.terminationStatus == SIGKILL)

        let exited = try Self.spawn(["/bin/sh", "-c", "exit 3"])
        #expect(await ProcessWait.exit(of: exited, within: .seconds(60)))
        #expect(exited.terminationReason == .exit && exited.terminationStatus == 3)
        #expect(!exited.signal(SIGKILL), "a reaped child's pid is no longer its own")
        #expect(!exited.signalGroup(SIGKILL), "nor is its group id")
        #expect(!SpawnedProcess().signal(SIGKILL), "nothing started, nothing signalled")
    }

    @Test("OwnedChild: an exited child stays signallable until the reap, its group is killed before it, and nothing after")
    func ownedChildSignalsOnlyUntilTheReap() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ownership-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // The leader forks a helper into its group, then exits on its own.
        let pid = try await ProcessSpawner.shared.spawn(SpawnRequest(
            command: ["/bin/sh", "-c", "sleep 120 & echo $! > helper.pid; exit 5"],
            environment: ["PATH": "/usr/bin:/bin"], workingDirectory: directory, logPath: "\(directory)/log"))
        let child = OwnedChild(pid)
        defer { child.killGroupAndReap() }
        let helper = try #require(await Self.poll { Self.readPID("\(directory)/helper.pid").flatMap(ForeignProcess.init) })
        defer { helper.signal(SIGKILL) }
        #expect(await Self.poll { ProcessStat.read(pid)?.isZombie == true ? true : nil } == true, "the leader exited")
        // A zombie keeps its pid: the owner may still signal it (signal 0 only checks).
        #expect(!child.isReaped)
        #expect(child.signal(0))
        #expect(helper.isRunning, "the helper outlives its leader until the owner reaps")

        let status = try #require(child.tryReap(killingGroup: true))
        #expect((status >> 8) & 0xff == 5, "exited with 5: \(status)")
        #expect(await Self.poll { helper.isRunning ? nil : true } == true, "the group was killed before the reap")
        #expect(child.isReaped)
        #expect(!child.signal(0), "after the reap nothing is sent, not even a check")
        #expect(!child.signalGroup(SIGKILL))
        #expect(child.tryReap() == status, "the status is kept")
    }

    @Test("a foreign pid is signalled only while it names the process that was seen: a recycled pid is left alone")
    func foreignProcessChecksItsStartTime() async throws {
        let sleeper = try Self.spawn(["/bin/sleep", "30"])
        defer { sleeper.signal(SIGKILL) }
        let seen = try #require(ForeignProcess(sleeper.processIdentifier))
        #expect(seen.isRunning)
        // The same pid with another start time is what a recycled pid looks like.
        let recycled = ForeignProcess(pid: seen.pid, startTime: seen.startTime + 1)
        #expect(!recycled.isRunning)
        #expect(!recycled.signal(SIGKILL), "not the process that was seen")
        #expect(sleeper.isRunning)
        #expect(seen.signal(SIGKILL))
        #expect(await ProcessWait.exit(of: sleeper, within: .seconds(60)))
        #expect(sleeper.terminationStatus == SIGKILL)
        #expect(!seen.isRunning)
        #expect(!seen.signal(SIGKILL), "gone, and its pid is nobody's to signal through this name")
    }

    /// Whether this process may choose the next pid of its namespace (root in a container).
    static let canRecyclePids = access(lastPidFile, W_OK) == 0
    static let lastPidFile = "/proc/sys/kernel/ns_last_pid"

    @Test("a reaped child's pid given to a new process: the old owner's late signal, and a named foreign process's, never reach it",
          .enabled(if: canRecyclePids, "needs a writable /proc/sys/kernel/ns_last_pid"))
    func recycledPidIsNeverSignalled() async throws {
        // Other tests fork meanwhile and may take the pid first: a few tries.
        for _ in 0..<20 {
            let first = try Self.spawn(["/bin/sleep", "30"])
            let named = try #require(ForeignProcess(first.processIdentifier))
            #expect(first.signal(SIGKILL))
            #expect(await ProcessWait.exit(of: first, within: .seconds(60)))
            // The next process started in this pid namespace gets the reaped child's pid.
            try String(first.processIdentifier - 1).write(toFile: Self.lastPidFile, atomically: false, encoding: .utf8)
            let second = try Self.spawn(["/bin/sleep", "30"])
            defer { second.signal(SIGKILL) }
            guard second.processIdentifier == first.processIdentifier else { continue }
            #expect(kill(first.processIdentifier, 0) == 0, "the old pid names a live process again: a raw kill(pid) would reach it")
            #expect(!first.signal(SIGKILL), "the reaped child's owner sends nothing")
            #expect(!first.signalGroup(SIGKILL))
            #expect(!named.signal(SIGKILL), "the start time tells the new process from the one named")
            #expect(second.isRunning, "the process with the recycled pid was not signalled")
            return
        }
        Issue.record("the reaped pid went to another process 20 times in a row")
    }

    private static func spawn(_ command: [String]) throws -> SpawnedProcess {
        let process = SpawnedProcess()
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst())
        try process.run()
        return process
    }

    private static func readPID(_ path: String) -> Int32? {
        (try? String(contentsOfFile: path, encoding: .utf8)).flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    /// Polls `probe` until it gives a value (at most 60 s).
    private static func poll<Value>(_ probe: () -> Value?) async -> Value? {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            if let value = probe() { return value }
            await sleepEvenIfCancelled(for: .milliseconds(20))
        }
        return nil
    }
}
