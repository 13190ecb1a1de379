import Foundation
import GRDB
import SluiceCore

/// Monitors: each one's status per version, the history of its readings, and approvals
/// for retraining (`sluice approve MODEL --monitor NAME`).
extension ControllerStore {
    static func registerMonitorMigration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v2-monitors") { db in
            try db.create(table: "monitorStatus") { table in
                table.column("model", .text).notNull()
                table.column("monitor", .text).notNull()
                table.column("version", .text).notNull()
                table.column("status", .text).notNull()
                table.column("updatedAt", .double).notNull()
                table.primaryKey(["model", "monitor", "version"])
            }
            try db.create(table: "monitorReading") { table in
                table.autoIncrementedPrimaryKey("id")
                table.column("model", .text).notNull().indexed()
                table.column("monitor", .text).notNull()
                table.column("version", .text).notNull()
                table.column("reading", .text).notNull()
                table.column("at", .double).notNull()
            }
            try db.create(table: "approval") { table in
                table.autoIncrementedPrimaryKey("id")
                table.column("model", .text).notNull()
                table.column("monitor", .text).notNull()
                table.column("approvedBy", .text).notNull()
                table.column("approvedAt", .double).notNull()
                table.column("usedAt", .double)
                table.column("usedFor", .text)
            }
        }
    }

    /// Every monitor status, by model.
    public func monitorStatuses() throws -> [String: [MonitorStatus]] {
        try database.read { db in
            var statuses: [String: [MonitorStatus]] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT model, status FROM monitorStatus ORDER BY model, monitor, version") {
                let json: String = row["status"]
                statuses[row["model"], default: []].append(try JSONDecoder().decode(MonitorStatus.self, from: Data(json.utf8)))
            }
            return statuses
        }
    }

    /// Saves monitor statuses, readings and events in one transaction, with the rollbacks
    /// they decided (changed states and revert intents) and settings (the collection
    /// cursor): all of a monitor pass is saved, or none of it.
    public func saveMonitors(
        statuses: [(model: String, status: MonitorStatus)], readings: [(model: String, reading: MonitorReading)],
        events: [EventRecord], states: [RolloutState] = [], reverts: [PendingRevert] = [], settings: [String: String] = [:],
        at now: Double
    ) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let encodedStates = try Self.encode(states)
        try write(.monitors) { db in
            try Self.upsert(encodedStates, at: now, db: db)
            try Self.insert(reverts, at: now, db: db)
            for (key, value) in settings { try Self.setSetting(key, value, db: db) }
            for (model, status) in statuses {
                try db.execute(
                    sql: """
                        INSERT INTO monitorStatus (model, monitor, version, status, updatedAt) VALUES (?, ?, ?, ?, ?)
                        ON CONFLICT(model, monitor, version) DO UPDATE SET status = excluded.status, updatedAt = excluded.updatedAt
                        """,
                    arguments: [model, status.monitor, status.version, String(decoding: try encoder.encode(status), as: UTF8.self), now])
            }
            for (model, reading) in readings {
                try db.execute(
                    sql: "INSERT INTO monitorReading (model, monitor, version, reading, at) VALUES (?, ?, ?, ?, ?)",
                    arguments: [model, reading.monitor, reading.version, String(decoding: try encoder.encode(reading), as: UTF8.self), now])
            }
            try Self.pruneReadings(Set(readings.map { [$0.model, $0.reading.monitor, $0.reading.version] }), at: now, db: db)
            try Self.insert(events, at: now, routes: notificationRoutes, db: db)
        }
    }

    /// Readings kept per model, monitor and version (the newest; the dashboard charts them).
    public static let readingsKept = 1000
    /// Readings older than this (seconds) are dropped.
    public static let readingsMaximumAge: Double = 30 * 24 * 3600

    /// Keeps the readings table bounded: per series written now, the newest ``readingsKept``
    /// younger than ``readingsMaximumAge``.
    static func pruneReadings(_ series: Set<[String]>, at now: Double, db: Database) throws {
        guard !series.isEmpty else { return }
        try db.execute(sql: "DELETE FROM monitorReading WHERE at < ?", arguments: [now - readingsMaximumAge])
        for key in series {
            try db.execute(
                sql: """
                    DELETE FROM monitorReading WHERE model = ? AND monitor = ? AND version = ? AND id <= (
                      SELECT id FROM monitorReading WHERE model = ? AND monitor = ? AND version = ? ORDER BY id DESC LIMIT 1 OFFSET ?)
                    """,
                arguments: [key[0], key[1], key[2], key[0], key[1], key[2], readingsKept])
        }
    }

    /// Drops the statuses of monitors (or models) that no longer exist.
    public func retainMonitors(_ keep: [String: Set<String>]) throws {
        try write(.monitors) { db in
            for row in try Row.fetchAll(db, sql: "SELECT DISTINCT model, monitor FROM monitorStatus") {
                let model: String = row["model"]
                let monitor: String = row["monitor"]
                if keep[model]?.contains(monitor) != true {
                    try db.execute(sql: "DELETE FROM monitorStatus WHERE model = ? AND monitor = ?", arguments: [model, monitor])
                }
            }
        }
    }

    /// The newest `limit` readings of a model's monitors, oldest first.
    public func monitorReadings(of model: String, limit: Int = 100) throws -> [MonitorReading] {
        try database.read { db in
            try Row.fetchAll(
                db, sql: "SELECT reading FROM monitorReading WHERE model = ? ORDER BY id DESC LIMIT ?", arguments: [model, limit]
            ).reversed().map { row in
                let json: String = row["reading"]
                return try JSONDecoder().decode(MonitorReading.self, from: Data(json.utf8))
            }
        }
    }

    /// A recorded approval to retrain.
    public struct Approval: Sendable, Codable, Hashable {
        public var id: Int64
        public var model: String
        public var monitor: String
        public var approvedBy: String
        public var approvedAt: Double
    }

    /// Records an approval (with its event) and returns it.
    public func approve(model: String, monitor: String, by actor: String, at now: Double) throws -> Approval {
        try write(.approval) { db in
            try db.execute(
                sql: "INSERT INTO approval (model, monitor, approvedBy, approvedAt) VALUES (?, ?, ?, ?)",
                arguments: [model, monitor, actor, now])
            let id = db.lastInsertedRowID
            try Self.insert(
                [EventRecord(model: model, event: RolloutEvent(.retrainApproved, "retraining on monitor \(monitor) approved by \(actor)"), actor: actor)],
                at: now, routes: notificationRoutes, db: db)
            return Approval(id: id, model: model, monitor: monitor, approvedBy: actor, approvedAt: now)
        }
    }

    /// The oldest unused approval for a monitor.
    public func pendingApproval(model: String, monitor: String) throws -> Approval? {
        try database.read { db in
            try Row.fetchOne(
                db, sql: "SELECT * FROM approval WHERE model = ? AND monitor = ? AND usedAt IS NULL ORDER BY id LIMIT 1",
                arguments: [model, monitor]
            ).map { Approval(id: $0["id"], model: $0["model"], monitor: $0["monitor"], approvedBy: $0["approvedBy"], approvedAt: $0["approvedAt"]) }
        }
    }

    /// Marks an approval used (one approval, one retraining request).
    public func useApproval(_ id: Int64, for purpose: String, at now: Double) throws {
        try write(.approval) { db in
            try db.execute(sql: "UPDATE approval SET usedAt = ?, usedFor = ? WHERE id = ?", arguments: [now, purpose, id])
        }
    }

    /// Returns the events' ids, in order.
    @discardableResult
    static func insert(_ events: [EventRecord], at now: Double, routes: [NotificationRoute], db: Database) throws -> [Int64] {
        var ids: [Int64] = []
        for record in events {
            try db.execute(
                sql: "INSERT INTO event (model, at, kind, message, revision, actor) VALUES (?, ?, ?, ?, ?, ?)",
                arguments: [record.model, now, record.event.kind.rawValue, record.event.message, record.event.revision, record.actor])
            ids.append(db.lastInsertedRowID)
            guard !routes.isEmpty else { continue }
            let notification = OutboxNotification(
                eventId: "event-\(db.lastInsertedRowID)", model: record.model, kind: record.event.kind,
                message: record.event.message, revision: record.event.revision, actor: record.actor, at: now)
            try enqueue(notification, routes: routes, at: now, db: db)
        }
        return ids
    }
}
