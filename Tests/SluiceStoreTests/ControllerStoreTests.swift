import Foundation
import SluiceCore
@testable import SluiceStore
import Testing

@Suite("controller store", .timeLimit(.minutes(10)))
struct ControllerStoreTests {
    func temporaryPath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("store-\(UUID().uuidString)/sluice.sqlite").path
    }

    func state(_ name: String, reason: RolloutState.Reason = .deployed) -> RolloutState {
        var state = RolloutState(name: name, now: 1)
        state.stable = ServingSet(
            digest: "sha256:\(name)", revision: "abc",
            versions: [ServingSet.Version(name: "v1", runtime: "python-v2", artifact: "/a/v1.json", digest: nil)],
            weights: ["v1": 100])
        state.reason = reason
        state.health = .healthy
        state.stableHistory = ["sha256:\(name)"]
        return state
    }

    @Test("states, events and measurements survive reopening the file (a restart)")
    func roundTrip() throws {
        let path = temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        var saved = state("fraud")
        saved.candidate = RolloutState.Candidate(target: saved.stable!, startedAt: 5)
        saved.candidate?.step = 2
        saved.candidate?.weight = 40
        let run = AnalysisRun(at: 9, candidateWeight: 40, checks: [
            CheckMeasurement(metric: "error_rate", value: 0.2, stableValue: 0.01, threshold: "max 0.05", verdict: .failed, detail: "0.2 > max 0.05"),
        ])
        do {
            let store = try ControllerStore(path: path)
            try store.save(
                states: [saved, state("iris")],
                events: [ControllerStore.EventRecord(model: "fraud", event: RolloutEvent(.step, "step 3/3", revision: "abc"), actor: "controller")],
                measurements: [("fraud", "abc", run)], at: 10)
        }
        let reopened = try ControllerStore(path: path)
        let states = try reopened.states()
        #expect(states["fraud"] == saved)
        #expect(states["fraud"]?.candidate?.step == 2)
        #expect(states.keys.sorted() == ["fraud", "iris"])
        let history = try reopened.history(of: "fraud")
        #expect(history.map(\.kind) == [.step])
        #expect(history.first?.actor == "controller")
        let measurements = try reopened.measurements(of: "fraud")
        #expect(measurements.count == 1)
        #expect(measurements.first?.value == 0.2)
        #expect(measurements.first?.verdict == "Failed")
        try reopened.save(states: [], removed: ["iris"], at: 11)
        #expect(try reopened.states().keys.sorted() == ["fraud"])
        try reopened.setSetting("lastCommit", "abc")
        #expect(try reopened.setting("lastCommit") == "abc")
    }

    @Test("the database is in WAL mode, so readers never block the reconcile loop")
    func walMode() throws {
        let path = temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        _ = try ControllerStore(path: path)
        let output = try String(contentsOfFile: path, encoding: .isoLatin1)
        #expect(output.hasPrefix("SQLite format 3"))
        // WAL databases have header bytes 18 and 19 set to 2.
        let header = try Data(contentsOf: URL(fileURLWithPath: path)).prefix(20)
        #expect(header[18] == 2 && header[19] == 2)
    }

    @Test("every connection runs synchronous=FULL, and the database files and directory are private")
    func durableAndPrivate() throws {
        let path = temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        let store = try ControllerStore(path: path)
        try store.save(states: [state("fraud")], at: 1)
        // 2 is FULL (0 OFF, 1 NORMAL): asked on the writer and on a reader connection.
        #expect(try store.database.write { try Int.fetchOne($0, sql: "PRAGMA synchronous") } == 2)
        #expect(try store.database.read { try Int.fetchOne($0, sql: "PRAGMA synchronous") } == 2)
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? Int).map { $0 & 0o777 } == 0o600)
        let directory = try FileManager.default.attributesOfItem(atPath: (path as NSString).deletingLastPathComponent)
        #expect((directory[.posixPermissions] as? Int).map { $0 & 0o777 } == 0o700)
    }

    @Test("a revert intent is saved with the pass that decided it and forgotten with the event that records its outcome")
    func revertIntents() throws {
        let path = temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        let intent = ControllerStore.PendingRevert(model: "fraud", revision: "abc123")
        do {
            let store = try ControllerStore(path: path)
            try store.save(states: [state("fraud", reason: .aborted)], reverts: [intent], at: 1)
            // Saving the same intent again (a pass decided it twice) keeps one.
            try store.save(states: [], reverts: [intent], at: 2)
        }
        // A crash here: the reopened store still knows what is to be done.
        let store = try ControllerStore(path: path)
        #expect(try store.pendingReverts() == [intent])
        let event = ControllerStore.EventRecord(model: "fraud", event: RolloutEvent(.reverted, "committed def456", revision: "def456"), actor: "controller")
        try store.completeRevert(intent, event: event, at: 3)
        #expect(try store.pendingReverts().isEmpty)
        #expect(try store.history(of: "fraud").map(\.kind) == [.reverted])
    }

    @Test("a database written by the previous release (migrations v1, v2-monitors, a canary paused at an approval) opens with its state, history and a private mode")
    func upgradesTheEarlierFormat() throws {
        let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/sluice-v2-monitors.sqlite")
        let path = temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: fixture.path, toPath: path)
        chmod(path, 0o644)
        let store = try ControllerStore(path: path)
        let fraud = try #require(try store.states()["fraud"])
        #expect(fraud.health == .paused)
        #expect(fraud.reason == .awaitingApproval)
        #expect(fraud.stable?.primary == "v1")
        #expect(fraud.candidate?.weight == 30)
        #expect(try store.history(of: "fraud").map(\.kind) == [.deployed, .rolloutStarted, .step, .awaitingApproval])
        #expect(try store.pendingReverts().isEmpty)
        let migrations = try store.database.read { try String.fetchAll($0, sql: "SELECT identifier FROM grdb_migrations ORDER BY identifier") }
        #expect(migrations == ["v1", "v2-monitors", "v3-intents", "v4-notification-outbox", "v5-audit"])
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? Int).map { $0 & 0o777 } == 0o600)
    }

    @Test("reasons and event kinds are stored as their bare words, and ones this version does not know survive a save and a reopen")
    func vocabularyIsStoredAsWords() throws {
        let path = temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        let future = RolloutState.Reason(rawValue: "ShadowTraffic")
        let newer = RolloutEvent.Kind(rawValue: "shadowStarted")
        do {
            let store = try ControllerStore(path: path)
            try store.save(
                states: [state("fraud", reason: future), state("iris", reason: .kept)],
                events: [
                    .init(model: "fraud", event: RolloutEvent(newer, "written by a newer sluice"), actor: "controller"),
                    .init(model: "fraud", event: RolloutEvent(.selfHeal, "replaced"), actor: "controller"),
                ],
                at: 1)
        }
        let store = try ControllerStore(path: path)
        #expect(try store.states()["fraud"]?.reason == future)
        #expect(try store.states()["iris"]?.reason == .kept)
        #expect(try store.history(of: "fraud").map(\.kind) == [newer, .selfHeal])
        // The columns hold the words themselves, as earlier versions wrote and read them.
        let kinds = try store.database.read { try String.fetchAll($0, sql: "SELECT kind FROM event ORDER BY id") }
        #expect(kinds == ["shadowStarted", "selfHeal"])
        let json = try store.database.read { try String.fetchAll($0, sql: "SELECT state FROM modelState ORDER BY name") }
        #expect(json.first?.contains(#""reason":"ShadowTraffic""#) == true)
        #expect(json.last?.contains(#""reason":"Kept""#) == true)
    }

    @Test("a database in the first release's format (migration v1 only, states without the fields added since) opens with its data, gains the later tables, and they work")
    func upgradesTheFirstFormat() throws {
        let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/sluice-v1.sqlite")
        let path = temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: fixture.path, toPath: path)
        let store = try ControllerStore(path: path)
        let migrations = try store.database.read { try String.fetchAll($0, sql: "SELECT identifier FROM grdb_migrations ORDER BY identifier") }
        #expect(migrations == ["v1", "v2-monitors", "v3-intents", "v4-notification-outbox", "v5-audit"])
        let fraud = try #require(try store.states()["fraud"])
        #expect(fraud.health == .paused)
        #expect(fraud.reason == .awaitingApproval)
        #expect(fraud.message == "step 2/2, candidate at 30% of the way to v2 100%")
        #expect(fraud.stable?.split == "v1 100%")
        #expect(fraud.stable?.revision == "96b04d829211eec3e701057dbb4fd87f9738c25e")
        let candidate = try #require(fraud.candidate)
        #expect(candidate.step == 1)
        #expect(candidate.weight == 30)
        #expect(candidate.awaitingPromotion)
        #expect(candidate.target.revision == "ae80f6dd4472d98fdf720656cc5f366921da94c7")
        #expect(candidate.target.versions.map(\.name) == ["v1", "v2"])
        #expect(candidate.target.weights == ["v1": 0, "v2": 100])
        #expect(candidate.weightChangedAt == nil, "the first format did not have it")
        #expect(fraud.previousStable == nil)
        #expect(fraud.stableHistory == ["sha256:4743d351287ca5f93e5c6306b819480ddb38cca3dba997575b604e2fe583e953"])
        let history = try store.history(of: "fraud")
        #expect(history.map(\.kind) == [.deployed, .rolloutStarted, .step, .awaitingApproval])
        #expect(history.map(\.message).first == "first deployment of fraud: v1 100%")
        // What later releases added works on the upgraded file, and a saved state reads back whole.
        try store.save(states: [fraud], reverts: [.init(model: "fraud", revision: "ae80f6d")], at: 2)
        #expect(try store.pendingReverts() == [.init(model: "fraud", revision: "ae80f6d")])
        _ = try store.approve(model: "fraud", monitor: "drift", by: "alice", at: 3)
        #expect(try store.pendingApproval(model: "fraud", monitor: "drift")?.approvedBy == "alice")
        try store.saveMonitors(statuses: [("fraud", MonitorStatus(monitor: "drift", version: "v2"))], readings: [], events: [], at: 4)
        #expect(try store.monitorStatuses()["fraud"]?.map(\.monitor) == ["drift"])
        #expect(try store.recordDelivery(keys: ["delivery-1"], at: 5))
        #expect(try ControllerStore(path: path).states()["fraud"] == fraud)
    }
}
