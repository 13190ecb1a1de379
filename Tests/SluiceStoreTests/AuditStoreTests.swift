import Foundation
import SluiceCore
@testable import SluiceStore
import Testing

/// The audit export's store side: readings linked to their analysis event (when saved, and
/// for rows an earlier release wrote, by the migration), pages bounded by their limit.
@Suite("controller store: audit export", .timeLimit(.minutes(10)))
struct AuditStoreTests {
    func temporaryPath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("audit-\(UUID().uuidString)/sluice.sqlite").path
    }

    func run(at: Double, value: Double) -> AnalysisRun {
        AnalysisRun(
            at: at, candidateWeight: 20,
            checks: [CheckMeasurement(metric: "error_rate", value: value, stableValue: nil, threshold: "max 0.1", verdict: .failed, detail: "too many errors")])
    }

    func analysis(_ model: String, _ message: String) -> ControllerStore.EventRecord {
        .init(model: model, event: RolloutEvent(.analysis, message, revision: "abc"), actor: "controller")
    }

    @Test("two runs saved at the same moment keep their own readings; other events have none")
    func readingsBelongToTheirRun() throws {
        let path = temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        let store = try ControllerStore(path: path)
        try store.save(
            states: [], events: [analysis("a", "first"), .init(model: "a", event: RolloutEvent(.aborted, "aborted"), actor: "controller"), analysis("b", "other")],
            measurements: [("a", "abc", run(at: 5, value: 0.2)), ("b", "abc", run(at: 5, value: 0.7))], at: 5)
        try store.save(states: [], events: [analysis("a", "second")], measurements: [("a", "abc", run(at: 5, value: 0.3))], at: 5)
        let events = try store.audit(.init()).events
        #expect(events.map(\.message) == ["first", "aborted", "other", "second"])
        #expect(events.map { $0.measurements.compactMap(\.value) } == [[0.2], [], [0.7], [0.3]])
    }

    @Test("readings an earlier release stored (no link) are linked to the analysis event of their model and moment by the migration")
    func migrationLinksOldReadings() throws {
        let path = temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        do {
            let store = try ControllerStore(path: path)
            try store.save(
                states: [], events: [analysis("m", "Failed at 20%")], measurements: [("m", "abc", run(at: 100, value: 0.2))], at: 100)
            try store.save(
                states: [], events: [.init(model: "m", event: RolloutEvent(.step, "step 2"), actor: "controller")], at: 200)
            // As the release before the export left it: no column, no migration recorded.
            try store.database.write { db in
                try db.execute(sql: """
                    DROP INDEX measurement_eventId; DROP INDEX event_at; ALTER TABLE measurement DROP COLUMN eventId;
                    DELETE FROM grdb_migrations WHERE identifier = 'v5-audit'
                    """)
            }
        }
        let store = try ControllerStore(path: path)
        let events = try store.audit(.init()).events
        #expect(events.map(\.kind) == [.analysis, .step])
        #expect(events.first?.measurements.map(\.value) == [0.2])
        #expect(events.first?.measurements.first?.verdict == "Failed")
        #expect(events.last?.measurements.isEmpty == true)
    }

    @Test("a page reads at most its limit; next is the last id while the page is full, absent after")
    func pagesAreBounded() throws {
        let path = temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        let store = try ControllerStore(path: path)
        let many = (0..<25).map { ControllerStore.EventRecord(model: "m\($0 % 3)", event: RolloutEvent(.step, "step \($0)"), actor: "controller") }
        try store.save(states: [], events: many, at: 1)
        var after: Int64?
        var messages: [String] = []
        repeat {
            let page = try store.audit(.init(after: after, limit: 10))
            #expect(page.events.count <= 10)
            messages += page.events.map(\.message)
            after = page.next
        } while after != nil
        #expect(messages == (0..<25).map { "step \($0)" })
        #expect(try store.audit(.init(model: "m1", limit: 100)).events.count == 8)
        #expect(try store.audit(.init(since: 2)).events.isEmpty)
        #expect(try store.audit(.init(until: 1)).events.isEmpty)
        #expect(try store.audit(.init(since: 1, until: 2)).events.count == 25)
        #expect(try store.hasHistory("m2"))
        #expect(try !store.hasHistory("nope"))
    }
}
