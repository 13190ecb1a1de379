import Foundation
import GRDB
import SluiceCore

/// The controller's state in SQLite (WAL, `synchronous=FULL`): per model its rollout state,
/// the audit trail of events and measurements, and the intents of actions not yet done.
/// Every reconcile pass is saved in one transaction *before* it acts, so a controller killed
/// (or a save that fails) at any moment restarts at the same step: nothing lost, nothing twice.
public final class ControllerStore: Sendable {
    let database: DatabasePool
    /// Called before every write; tests make it throw to stop the controller at that write.
    let beforeWrite: (@Sendable (Write) throws -> Void)?
    /// Which events each notification target wants; they are queued with the event.
    let notificationRoutes: [NotificationRoute]

    /// What a write saves, as the fault seam of tests sees it.
    public enum Write: Sendable, Hashable {
        /// A reconcile pass's decisions, or what it applied.
        case pass
        /// A controller-wide setting (the monitor cursor).
        case setting
        /// A webhook delivery key.
        case delivery
        /// The outcome of a revert intent.
        case revert
        /// Monitor statuses, readings and events.
        case monitors
        /// An approval, or its use.
        case approval
        /// The notification outbox (a delivery or a failed attempt).
        case notification
        /// A controller-wide event (`reconcileError`, `reconcileRecovered`).
        case controllerEvent
    }

    /// Opens (creating and migrating) the database at `path`. The directory is made 0700 and
    /// the database files 0600: they hold the audit trail and are nobody else's business.
    /// - Parameter notificationRoutes: the events each notification target wants; every
    ///   recorded event a route wants is queued in the outbox in the same transaction.
    /// - Parameter beforeWrite: a fault seam for tests (a store that fails at write N); nil
    ///   in production.
    public init(
        path: String, notificationRoutes: [NotificationRoute] = [], beforeWrite: (@Sendable (Write) throws -> Void)? = nil
    ) throws {
        self.beforeWrite = beforeWrite
        self.notificationRoutes = notificationRoutes
        let directory = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(
            atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        var configuration = Configuration()
        configuration.busyMode = .timeout(5)
        // A committed pass must survive a power cut: the store is the record of what was
        // decided before anything is applied, so NORMAL's lost tail is not acceptable.
        // The cost is one fsync per pass (Benchmarks/README.md).
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        let mask = umask(0o077)
        defer { umask(mask) }
        database = try DatabasePool(path: path, configuration: configuration)
        // The pool sets NORMAL on its writer after `prepareDatabase`; the writer connection
        // lives as long as the pool, so setting it once here holds.
        try database.writeWithoutTransaction { try $0.execute(sql: "PRAGMA synchronous = FULL") }
        try Self.migrator.migrate(database)
        // Files written by an earlier version were created 0644.
        for suffix in ["", "-wal", "-shm"] where FileManager.default.fileExists(atPath: path + suffix) {
            chmod(path + suffix, 0o600)
        }
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.create(table: "modelState") { table in
                table.primaryKey("name", .text)
                table.column("state", .text).notNull()
                table.column("health", .text).notNull()
                table.column("synced", .boolean).notNull()
                table.column("updatedAt", .double).notNull()
            }
            try db.create(table: "event") { table in
                table.autoIncrementedPrimaryKey("id")
                table.column("model", .text).notNull().indexed()
                table.column("at", .double).notNull()
                table.column("kind", .text).notNull()
                table.column("message", .text).notNull()
                table.column("revision", .text)
                table.column("actor", .text).notNull()
            }
            try db.create(table: "measurement") { table in
                table.autoIncrementedPrimaryKey("id")
                table.column("model", .text).notNull().indexed()
                table.column("at", .double).notNull()
                table.column("revision", .text)
                table.column("weight", .integer).notNull()
                table.column("metric", .text).notNull()
                table.column("value", .double)
                table.column("stableValue", .double)
                table.column("threshold", .text).notNull()
                table.column("verdict", .text).notNull()
                table.column("detail", .text).notNull()
            }
            try db.create(table: "setting") { table in
                table.primaryKey("key", .text)
                table.column("value", .text).notNull()
            }
        }
        registerMonitorMigration(&migrator)
        registerIntentMigration(&migrator)
        registerOutboxMigration(&migrator)
        registerAuditMigration(&migrator)
        return migrator
    }

    /// Every model's saved state.
    public func states() throws -> [String: RolloutState] {
        try database.read { db in
            var states: [String: RolloutState] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT name, state FROM modelState") {
                let name: String = row["name"]
                let json: String = row["state"]
                states[name] = try JSONDecoder().decode(RolloutState.self, from: Data(json.utf8))
            }
            return states
        }
    }

    /// One event to record.
    public struct EventRecord: Sendable {
        public var model: String
        public var event: RolloutEvent
        public var actor: String

        public init(model: String, event: RolloutEvent, actor: String) {
            self.model = model
            self.event = event
            self.actor = actor
        }
    }

    /// Saves a pass: changed states, removed models, events, measurements, the intents of
    /// the actions it decided (revert commits to write) and settings (where the recorded scale
    /// events end), atomically.
    public func save(
        states: [RolloutState],
        removed: [String] = [],
        events: [EventRecord] = [],
        measurements: [(model: String, revision: String?, run: AnalysisRun)] = [],
        reverts: [PendingRevert] = [],
        settings: [String: String] = [:],
        at now: Double
    ) throws {
        let encoded = try Self.encode(states)
        try write(.pass) { db in
            try Self.upsert(encoded, at: now, db: db)
            for (key, value) in settings { try Self.setSetting(key, value, db: db) }
            for name in removed {
                try db.execute(sql: "DELETE FROM modelState WHERE name = ?", arguments: [name])
            }
            let ids = try Self.insert(events, at: now, routes: notificationRoutes, db: db)
            try Self.insert(reverts, at: now, db: db)
            // Each run's readings belong to the `analysis` event the engine wrote for it, in the
            // same order (the audit export shows them together).
            var analysisEvents: [String: [Int64]] = [:]
            for (record, id) in zip(events, ids) where record.event.kind == .analysis { analysisEvents[record.model, default: []].append(id) }
            for (model, revision, run) in measurements {
                let eventId = analysisEvents[model]?.isEmpty == false ? analysisEvents[model]?.removeFirst() : nil
                for check in run.checks {
                    try db.execute(
                        sql: """
                            INSERT INTO measurement (model, at, revision, weight, metric, value, stableValue, threshold, verdict, detail, eventId)
                            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                            """,
                        arguments: [model, run.at, revision, run.candidateWeight, check.metric, check.value, check.stableValue,
                                    check.threshold, check.verdict.rawValue, check.detail, eventId])
                }
            }
        }
    }

    /// States with their JSON, encoded before a transaction starts (keeps it short).
    static func encode(_ states: [RolloutState]) throws -> [(RolloutState, String)] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return try states.map { state in (state, String(decoding: try encoder.encode(state), as: UTF8.self)) }
    }

    /// Inserts or replaces states inside a transaction.
    static func upsert(_ encoded: [(RolloutState, String)], at now: Double, db: Database) throws {
        for (state, json) in encoded {
            try db.execute(
                sql: """
                    INSERT INTO modelState (name, state, health, synced, updatedAt) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT(name) DO UPDATE SET state = excluded.state, health = excluded.health,
                      synced = excluded.synced, updatedAt = excluded.updatedAt
                    """,
                arguments: [state.name, json, state.health.rawValue, state.isSynced, now])
        }
    }

    /// Stores a setting inside a transaction.
    static func setSetting(_ key: String, _ value: String, db: Database) throws {
        try db.execute(
            sql: "INSERT INTO setting (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            arguments: [key, value])
    }

    /// One row of a model's history.
    public struct HistoryEntry: Sendable, Codable {
        public var at: Double
        /// The kind as stored; one this version does not know is kept as it is.
        public var kind: RolloutEvent.Kind
        public var message: String
        public var revision: String?
        public var actor: String
    }

    /// The newest `limit` events of `model`, oldest first.
    public func history(of model: String, limit: Int = 100) throws -> [HistoryEntry] {
        try database.read { db in
            try Row.fetchAll(
                db, sql: "SELECT at, kind, message, revision, actor FROM event WHERE model = ? ORDER BY id DESC LIMIT ?",
                arguments: [model, limit]
            ).reversed().map { row in
                HistoryEntry(at: row["at"], kind: RolloutEvent.Kind(rawValue: row["kind"]), message: row["message"], revision: row["revision"], actor: row["actor"])
            }
        }
    }

    /// One stored measurement.
    public struct MeasurementEntry: Sendable, Codable {
        public var at: Double
        public var revision: String?
        public var weight: Int
        public var metric: String
        public var value: Double?
        public var stableValue: Double?
        public var threshold: String
        public var verdict: String
        public var detail: String
    }

    /// The newest `limit` measurements of `model`, oldest first.
    public func measurements(of model: String, limit: Int = 100) throws -> [MeasurementEntry] {
        try database.read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM measurement WHERE model = ? ORDER BY id DESC LIMIT ?", arguments: [model, limit]
            ).reversed().map { row in
                MeasurementEntry(
                    at: row["at"], revision: row["revision"], weight: row["weight"], metric: row["metric"], value: row["value"],
                    stableValue: row["stableValue"], threshold: row["threshold"], verdict: row["verdict"], detail: row["detail"])
            }
        }
    }

    /// One write transaction, after the fault seam.
    func write<T>(_ kind: Write, _ updates: (Database) throws -> T) throws -> T {
        try beforeWrite?(kind)
        return try database.write(updates)
    }

    /// A controller-wide setting.
    public func setting(_ key: String) throws -> String? {
        try database.read { db in try String.fetchOne(db, sql: "SELECT value FROM setting WHERE key = ?", arguments: [key]) }
    }

    /// Stores a controller-wide setting.
    public func setSetting(_ key: String, _ value: String) throws {
        try write(.setting) { db in try Self.setSetting(key, value, db: db) }
    }
}
