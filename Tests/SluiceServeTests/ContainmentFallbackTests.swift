import Foundation
import Logging
@testable import SluiceServe
import SluiceTestSupport
import Testing

/// The process-group fallback, used where no cgroup v2 is writable, with real processes.
@Suite("containment without cgroups", .timeLimit(.minutes(10)))
struct ContainmentFallbackTests {
    @Test("a model server that exits leaves no helper behind: its process group is killed and its record dropped")
    func helpersOfAnExitedServerAreKilled() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("containment-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let containment = Containment(stateDirectory: directory, log: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }, cgroups: false)
        // The "model server" forks a helper into its group, then exits on its own.
        let request = SpawnRequest(
            command: ["/bin/sh", "-c", "sleep 120 & echo $! > helper.pid; while [ ! -e go ]; do sleep 0.05; done; exit 3"],
            environment: ["PATH": "/usr/bin:/bin"], workingDirectory: directory, logPath: "\(directory)/log")
        let pid = try await ProcessSpawner.shared.spawn(request)
        containment.started(pid: pid, cgroup: nil)
        let ledger = "\(directory)/processes.json"
        #expect((try? String(contentsOfFile: ledger, encoding: .utf8))?.contains("\"pid\": \(pid)") == true)
        let mode = try FileManager.default.attributesOfItem(atPath: ledger)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        // Not our child (init reaps it once orphaned): signalled only while its pid still names it.
        let helper = try #require(await waitForPID("\(directory)/helper.pid").flatMap(ForeignProcess.init))
        defer { helper.signal(SIGKILL) }
        #expect(helper.isRunning)
        _ = FileManager.default.createFile(atPath: "\(directory)/go", contents: nil)
        // Exited and not yet reaped, as the supervisor calls `ended`: the zombie keeps the group
        // id reserved. Polled: a blocking wait would hold a thread of the cooperative pool.
        let deadline = ContinuousClock.now + .seconds(120)
        while ProcessStat.read(pid)?.isZombie != true, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(helper.isRunning, "the helper outlives its parent until the supervisor acts")
        containment.ended(pid: pid, cgroup: nil)
        var status: Int32 = 0
        #expect(waitpid(pid, &status, 0) == pid)
        #expect(await waitUntilGone(helper), "helper \(helper) survived its model server")
        #expect((try? String(contentsOfFile: ledger, encoding: .utf8))?.contains("\"pid\": \(pid)") == false)
    }

    private func waitForPID(_ path: String) async -> Int32? {
        for _ in 0..<200 {
            if let text = try? String(contentsOfFile: path, encoding: .utf8), let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
                return pid
            }
            await sleepEvenIfCancelled(for: .milliseconds(25))
        }
        return nil
    }

    /// Gone or a zombie (it is reparented to init, which reaps it in its own time).
    private func waitUntilGone(_ helper: ForeignProcess) async -> Bool {
        for _ in 0..<200 {
            if !helper.isRunning { return true }
            await sleepEvenIfCancelled(for: .milliseconds(25))
        }
        return false
    }
}
