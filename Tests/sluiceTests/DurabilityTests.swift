import Foundation
import SluiceTestSupport
import Testing

/// What the controller records before it acts, and what a new release does with the state
/// directory an older one left.
@Suite("durability and upgrades", .serialized, .timeLimit(.minutes(10)))
struct DurabilityTests {
    @Test("a pass whose save fails applies nothing and writes no revert; once the store accepts writes, the abort and its revert happen exactly once")
    func failedSaveActsOnNothing() async throws {
        // Timed passes every 2 s: the marker that "a few more passes" ran at the end.
        let harness = try ControllerHarness(interval: "2s")
        try harness.repo.commit("fraud v1", files: ["manifests/fraud.yaml": ControllerHarness.fraud([("v1", "fraud-v2.1.json")], traffic: ["v1": 100])])
        try harness.start("serve")
        try harness.start("controller")
        defer { harness.forceStop("controller"); harness.forceStop("serve") }
        try await harness.waitFor(health: "Healthy")
        var load = harness.traffic()
        defer { load.cancel() }

        // Another process holds the database's write lock: every save fails (busy) as a full
        // disk would make it fail.
        let database = harness.directory.appendingPathComponent("state/controller/sluice.sqlite").path
        let locker = SpawnedProcess()
        locker.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        locker.arguments = ["python3", "-c", """
            import sqlite3, sys, time
            connection = sqlite3.connect(sys.argv[1], isolation_level=None)
            connection.execute("BEGIN IMMEDIATE")
            print("locked", flush=True)
            time.sleep(600)
            """, database]
        // Its output goes to a file that is polled: a read of a pipe would block a pool thread.
        let lockerLog = harness.directory.appendingPathComponent("locker.log")
        _ = FileManager.default.createFile(atPath: lockerLog.path, contents: nil)
        locker.standardOutput = try FileHandle(forWritingTo: lockerLog)
        try locker.run()
        // SIGKILL: the test runner's children may inherit a mask that blocks SIGTERM.
        defer { if locker.isRunning { locker.signal(SIGKILL) } }
        try await harness.waitUntil("the database locked") {
            (try String(contentsOf: lockerLog, encoding: .utf8)).contains("locked")
        }
        let recordFailures = #"sluice_reconcile_failures_total{step="record"}"#
        let failedBefore = try await harness.metric(recordFailures)

        let bad = try harness.repo.commit("fraud v2 (bad)", files: ["manifests/fraud.yaml": ControllerHarness.fraud(
            [("v1", "fraud-v2.1.json"), ("v2", "fraud-bad.json")], traffic: ["v1": 0, "v2": 100],
            rollout: ControllerHarness.quickCanary + "    onAbort: revert\n")])
        try await harness.waitUntil("a pass that could not save") {
            ((try await harness.get("/v1/status"))["error"] as? String)?.contains("saving the pass failed") == true
        }
        // Three passes that could not save (each waits out SQLite's busy timeout): each would
        // have applied the canary, which the load generator would have seen answer.
        try await harness.waitUntil("three passes that could not save", seconds: 120) {
            try await harness.metric(recordFailures) >= failedBefore + 3
        }
        // Every answer since before the commit came from v1: the canary never ran, not even
        // briefly (an applied canary could have been aborted again before a later check).
        load.cancel()
        let lockedAnswers = await load.value
        #expect(!lockedAnswers.isEmpty)
        #expect(!lockedAnswers.contains { $0.1 != "v1" }, "nothing the store does not hold may run: \(Set(lockedAnswers.map { $0.1 ?? "-" }))")
        load = harness.traffic()
        #expect(try harness.repo.git(["log", "-1", "--format=%H"]) == bad, "no revert before the abort is recorded")

        locker.signal(SIGKILL)
        #expect(await ProcessWait.exitOrKill(locker, within: .seconds(60)))
        try await harness.waitUntil("a revert commit", seconds: 120) {
            try harness.repo.git(["log", "-1", "--format=%s"]).hasPrefix("Revert \"fraud v2 (bad)\" for fraud")
        }
        try await harness.waitUntil("synced on the revert") { try await harness.model()["sync"] as? String == "Synced" }
        // A few more passes (counted, not slept for): nothing is done twice.
        let passes = try await harness.passes()
        try await harness.waitUntil("three more passes") { try await harness.passes() >= passes + 3 }
        let history = try await harness.history()
        #expect(history.filter { $0 == "aborted" }.count == 1, "\(history)")
        #expect(history.filter { $0 == "reverted" }.count == 1, "\(history)")
        let reverts = try harness.repo.git(["log", "--format=%s"]).split(separator: "\n").filter { $0.hasPrefix("Revert ") }
        #expect(reverts.count == 1)
    }

    @Test("a state directory left by the previous release with a canary paused at an approval resumes there, then promotes")
    func resumesTheEarlierFormat() async throws {
        // The fixture was written by the previous main's `sluice up` at this path (stored
        // states hold absolute artifact paths, as a real state directory does).
        let directory = URL(fileURLWithPath: "/tmp/sluice-upgrade-fixture")
        try? FileManager.default.removeItem(at: directory)
        let archive = SluiceBinary.packageRoot.appendingPathComponent("Tests/sluiceTests/Fixtures/upgrade-paused-canary.tar.gz")
        let tar = try await ChildProcess.run(URL(fileURLWithPath: "/usr/bin/env"), ["tar", "xzf", archive.path, "-C", "/tmp"])
        try #require(tar.status == 0, "\(tar.output)")
        let harness = try ControllerHarness(interval: "2s", existing: directory)
        try harness.start("up")
        defer { harness.forceStop("up") }
        try await harness.waitFor(health: "Paused", seconds: 120)
        let model = try await harness.model()
        #expect(model["stable"] as? String == "v1" || (model["stable"] as? [String: Any]) != nil, "\(model)")
        var seen: Set<String> = []
        try await harness.waitUntil("both versions serving at 70/30") {
            for _ in 0..<40 { if let version = try await harness.infer().1 { seen.insert(version) } }
            return seen == ["v1", "v2"]
        }
        let promoted = try await harness.cli(["promote", "fraud"])
        #expect(promoted.status == 0, "\(promoted.stdout)\(promoted.stderr)")
        try await harness.waitFor(health: "Healthy")
        try await harness.waitUntil("v2 takes all traffic") {
            var versions: Set<String> = []
            for _ in 0..<10 { if let version = try await harness.infer().1 { versions.insert(version) } }
            return versions == ["v2"]
        }
        let history = try await harness.history()
        #expect(history.filter { $0 == "rolloutStarted" }.count == 1, "the rollout resumed, it did not start again: \(history)")
        #expect(history.first == "deployed")
    }
}
