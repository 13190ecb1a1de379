import Foundation
import SluiceCore
import SluiceStore
import Testing

@Suite("controller store")
struct ControllerStoreTests {
    func temporaryPath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("store-\(UUID().uuidString)/sluice.sqlite").path
    }

    func state(_ name: String, reason: String = "Deployed") -> RolloutState {
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
                events: [ControllerStore.EventRecord(model: "fraud", event: RolloutEvent("step", "step 3/3", revision: "abc"), actor: "controller")],
                measurements: [("fraud", "abc", run)], at: 10)
        }
        let reopened = try ControllerStore(path: path)
        let states = try reopened.states()
        #expect(states["fraud"] == saved)
        #expect(states["fraud"]?.candidate?.step == 2)
        #expect(states.keys.sorted() == ["fraud", "iris"])
        let history = try reopened.history(of: "fraud")
        #expect(history.map(\.kind) == ["step"])
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
}
