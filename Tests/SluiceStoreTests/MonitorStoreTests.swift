import Foundation
import SluiceCore
@testable import SluiceStore
import Testing

/// Monitor statuses, readings and retraining approvals survive a restart (the file reopened),
/// as the controller reloads them at start.
@Suite("controller store: monitors and approvals", .timeLimit(.minutes(10)))
struct MonitorStoreTests {
    /// A store file in a fresh directory, and that directory (removed by the caller).
    static func temporaryPath() -> (path: String, directory: String) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("store-\(UUID().uuidString)").path
        return ("\(directory)/sluice.sqlite", directory)
    }

    static func reading(_ monitor: String, _ version: String, value: Double?, verdict: MonitorReading.Verdict, end: Int64) -> MonitorReading {
        MonitorReading(
            monitor: monitor, version: version, windowStart: end - 300, windowEnd: end, value: value, threshold: 0.2,
            criticalThreshold: 0.4, comparator: ">", samples: 812, errorBound: 0.01, estimated: true, verdict: verdict,
            detail: "psi \(value.map { "\($0)" } ?? "none") over 812 samples")
    }

    static func status(_ monitor: String, _ version: String, firing: Severity?, streak: Int, latest: MonitorReading) -> MonitorStatus {
        var status = MonitorStatus(monitor: monitor, version: version)
        status.breachStreak = streak
        status.criticalStreak = firing == .critical ? streak : 0
        status.firing = firing
        status.latest = latest
        return status
    }

    @Test("statuses (firing tier, streaks, latest reading), readings, events and the cursor read back the same after a reopen; a later save replaces a status")
    func monitorStatusRoundTrip() throws {
        let (path, directory) = Self.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let drift = Self.reading("drift", "v2", value: 0.47, verdict: .critical, end: 1_800_000_600)
        let errors = Self.reading("errors", "v1", value: nil, verdict: .insufficientData, end: 1_800_000_600)
        let firing = Self.status("drift", "v2", firing: .critical, streak: 3, latest: drift)
        let quiet = Self.status("errors", "v1", firing: nil, streak: 0, latest: errors)
        let iris = Self.status("drift", "v1", firing: .warning, streak: 1, latest: Self.reading("drift", "v1", value: 0.25, verdict: .breach, end: 1_800_000_600))
        do {
            let store = try ControllerStore(path: path)
            try store.saveMonitors(
                statuses: [("fraud", firing), ("fraud", quiet), ("iris", iris)],
                readings: [("fraud", drift), ("fraud", errors)],
                events: [.init(model: "fraud", event: RolloutEvent(.monitorFiring, "drift on v2: 0.47 > 0.4 (critical)", revision: "abc"), actor: "controller")],
                settings: ["monitorCursor": "1800000590"], at: 1_800_000_601)
        }
        let store = try ControllerStore(path: path)
        let statuses = try store.monitorStatuses()
        #expect(statuses.keys.sorted() == ["fraud", "iris"])
        #expect(statuses["fraud"] == [firing, quiet], "ordered by monitor, then version")
        #expect(statuses["iris"] == [iris])
        #expect(statuses["fraud"]?.first?.latest?.verdict == .critical)
        #expect(statuses["fraud"]?.last?.latest?.value == nil)
        #expect(try store.monitorReadings(of: "fraud") == [drift, errors])
        #expect(try store.monitorReadings(of: "iris").isEmpty)
        #expect(try store.history(of: "fraud").map(\.kind) == [.monitorFiring])
        #expect(try store.setting("monitorCursor") == "1800000590")
        // The next window resolves drift: one row per model, monitor and version, replaced.
        let resolved = Self.status("drift", "v2", firing: nil, streak: 0, latest: Self.reading("drift", "v2", value: 0.05, verdict: .ok, end: 1_800_000_900))
        try store.saveMonitors(statuses: [("fraud", resolved)], readings: [], events: [], at: 1_800_000_901)
        #expect(try store.monitorStatuses()["fraud"] == [resolved, quiet])
        // A monitor removed from the manifest, and a removed model, are forgotten.
        try store.retainMonitors(["fraud": ["errors"]])
        let reopened = try ControllerStore(path: path)
        #expect(try reopened.monitorStatuses() == ["fraud": [quiet]])
        #expect(try reopened.monitorReadings(of: "fraud").count == 2, "readings are history, kept")
    }

    @Test("approvals: the oldest unused one per model and monitor is pending, survives a reopen, and once used is never pending again")
    func approvalRoundTrip() throws {
        let (path, directory) = Self.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first: ControllerStore.Approval
        let second: ControllerStore.Approval
        do {
            let store = try ControllerStore(path: path)
            #expect(try store.pendingApproval(model: "fraud", monitor: "drift") == nil)
            first = try store.approve(model: "fraud", monitor: "drift", by: "alice", at: 100)
            second = try store.approve(model: "fraud", monitor: "drift", by: "bob", at: 200)
            _ = try store.approve(model: "iris", monitor: "drift", by: "carol", at: 300)
            #expect(first.id != second.id)
        }
        var store = try ControllerStore(path: path)
        let pending = try #require(try store.pendingApproval(model: "fraud", monitor: "drift"))
        #expect(pending == first)
        #expect(pending.approvedBy == "alice")
        #expect(pending.approvedAt == 100)
        #expect(try store.pendingApproval(model: "fraud", monitor: "errors") == nil, "an approval is for one monitor")
        #expect(try store.pendingApproval(model: "iris", monitor: "drift")?.approvedBy == "carol", "and one model")
        let approvals = try store.history(of: "fraud").filter { $0.kind == .retrainApproved }
        #expect(approvals.map(\.actor) == ["alice", "bob"])
        #expect(approvals.first?.message == "retraining on monitor drift approved by alice")
        try store.useApproval(first.id, for: "retrain request for drift on v2", at: 400)
        store = try ControllerStore(path: path)
        #expect(try store.pendingApproval(model: "fraud", monitor: "drift") == second)
        try store.useApproval(second.id, for: "retrain request for drift on v2", at: 500)
        #expect(try store.pendingApproval(model: "fraud", monitor: "drift") == nil)
        let usedAt = try store.database.read { try Double?.fetchAll($0, sql: "SELECT usedAt FROM approval WHERE model = 'fraud' ORDER BY id") }
        let usedFor = try store.database.read { try String?.fetchAll($0, sql: "SELECT usedFor FROM approval WHERE model = 'fraud' ORDER BY id") }
        #expect(usedAt == [400, 500])
        #expect(usedFor == ["retrain request for drift on v2", "retrain request for drift on v2"])
        #expect(try ControllerStore(path: path).pendingApproval(model: "iris", monitor: "drift")?.approvedBy == "carol")
    }
}
