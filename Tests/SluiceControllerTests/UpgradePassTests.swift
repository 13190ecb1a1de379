import SluiceCore
@testable import SluiceStore
import SluiceTestSupport
import Testing
@testable import SluiceController

/// A controller started over a state directory left by an earlier release: its database in
/// the older format (Tests/SluiceStoreTests/Fixtures/README.md says what each format lacks).
@Suite("controller passes: a database from an earlier release", .timeLimit(.minutes(10)))
struct UpgradePassTests {
    /// What separates today's database from the first release's (commit cc6905b): the tables
    /// of the later migrations, their records in grdb_migrations, and the state fields added
    /// since. Run with SQLite itself on the file a controller wrote.
    static let toFirstFormat = """
        DROP TABLE monitorStatus; DROP TABLE monitorReading; DROP TABLE approval;
        DROP TABLE pendingRevert; DROP TABLE webhookDelivery; DROP TABLE notificationOutbox; DROP TABLE notificationSent;
        DROP INDEX measurement_eventId; DROP INDEX event_at; ALTER TABLE measurement DROP COLUMN eventId;
        DELETE FROM grdb_migrations WHERE identifier <> 'v1';
        UPDATE modelState SET state = json_remove(state, '$.candidate.weightChangedAt', '$.candidate.stepCount', '$.previousStable', '$.lastRollout');
        """

    @Test("a canary paused at an approval, saved in the first release's format, resumes at the same step after the upgrade: nothing re-applied or restarted, and promote finishes it")
    func resumesFromTheFirstFormat() async throws {
        let (fixture, commit) = try await CanaryPassTests.canary(Manifests.rollout(["weight: 30", "approval: {}"]))
        await fixture.settle()
        #expect(fixture.weights() == ["v1": 70, "v2": 30])
        #expect(await fixture.state()?.reason == .awaitingApproval)
        try await fixture.store.database.write { try $0.execute(sql: Self.toFirstFormat) }
        let stored = try await fixture.store.database.read { try String.fetchOne($0, sql: "SELECT state FROM modelState WHERE name = 'fraud'") }
        #expect(stored?.contains("weightChangedAt") == false)
        #expect(stored?.contains("stepCount") == false)
        let applied = fixture.backend.appliedSpecs.count
        let events = try fixture.kinds().count

        // The upgraded controller: a new store over the file (migrating it) and a new controller.
        try fixture.restart()
        let migrations = try await fixture.store.database.read { try String.fetchAll($0, sql: "SELECT identifier FROM grdb_migrations ORDER BY identifier") }
        #expect(migrations == ["v1", "v2-monitors", "v3-intents", "v4-notification-outbox", "v5-audit"])
        let start = await fixture.settle(.start)
        #expect(start.succeeded)
        let state = try #require(await fixture.state())
        #expect(state.reason == .awaitingApproval)
        #expect(state.candidate?.step == 1)
        #expect(state.candidate?.weight == 30)
        #expect(state.candidate?.target.revision == commit)
        #expect(fixture.weights() == ["v1": 70, "v2": 30])
        #expect(fixture.backend.appliedSpecs.count == applied, "the data plane already runs the resumed step")
        let resumed = try fixture.kinds()
        #expect(resumed.count == events, "nothing new happened: \(resumed)")

        #expect(await fixture.execute(.promote(model: "fraud", full: false, actor: "alice")) == .done("passed the current step of fraud"))
        await fixture.settle(.command)
        #expect(fixture.weights() == ["v1": 0, "v2": 100])
        #expect(await fixture.state()?.health == .healthy)
        let kinds = try fixture.kinds()
        #expect(kinds.filter { $0 == "rolloutStarted" }.count == 1, "resumed, not started again: \(kinds)")
        #expect(kinds.last == "promoted")
        #expect(await fixture.state()?.lastRollout?.kind == .promoted)
    }
}
