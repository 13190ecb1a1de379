import Foundation
import GRDB
import SluiceCore

/// The audit export: every event, across models, in the order recorded, a page at a time,
/// each with the analysis readings it reports.
extension ControllerStore {
    /// Links each measurement to the `analysis` event of its run. Rows written before are
    /// linked to the `analysis` event of their model at the same moment (a run and its event
    /// were always saved together, at the pass's time).
    static func registerAuditMigration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v5-audit") { db in
            try db.alter(table: "measurement") { table in table.add(column: "eventId", .integer) }
            try db.execute(sql: """
                UPDATE measurement SET eventId = (
                  SELECT event.id FROM event
                  WHERE event.model = measurement.model AND event.kind = 'analysis' AND event.at = measurement.at
                  ORDER BY event.id LIMIT 1)
                """)
            try db.create(index: "measurement_eventId", on: "measurement", columns: ["eventId"])
            try db.create(index: "event_at", on: "event", columns: ["at"])
        }
    }

    /// Which events a page holds.
    public struct AuditQuery: Sendable, Hashable {
        /// One model's (or `_controller`'s); nil: every model's.
        public var model: String?
        /// At or after this moment (seconds since 1970).
        public var since: Double?
        /// Before this moment.
        public var until: Double?
        /// After this event id (the previous page's ``AuditPage/next``).
        public var after: Int64?
        /// At most this many events.
        public var limit: Int

        public init(model: String? = nil, since: Double? = nil, until: Double? = nil, after: Int64? = nil, limit: Int = 500) {
            self.model = model
            self.since = since
            self.until = until
            self.after = after
            self.limit = limit
        }
    }

    /// One page of the audit trail: at most `query.limit` events (and their readings) are
    /// read, however long the history.
    public func audit(_ query: AuditQuery) throws -> AuditPage {
        var conditions = ["id > ?"]
        var values: [(any DatabaseValueConvertible)?] = [query.after ?? 0]
        if let model = query.model {
            conditions.append("model = ?")
            values.append(model)
        }
        if let since = query.since {
            conditions.append("at >= ?")
            values.append(since)
        }
        if let until = query.until {
            conditions.append("at < ?")
            values.append(until)
        }
        values.append(max(1, query.limit))
        let arguments = StatementArguments(values)
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return try database.read { db in
            var events = try Row.fetchAll(
                db, sql: "SELECT id, model, at, kind, message, revision, actor FROM event WHERE \(conditions.joined(separator: " AND ")) ORDER BY id LIMIT ?",
                arguments: arguments
            ).map { row in
                let at: Double = row["at"]
                return AuditEvent(
                    id: row["id"], model: row["model"], at: at, time: formatter.string(from: Date(timeIntervalSince1970: at)),
                    kind: RolloutEvent.Kind(rawValue: row["kind"]), message: row["message"], actor: row["actor"], revision: row["revision"])
            }
            let analysis = events.filter { $0.kind == .analysis }.map(\.id)
            if !analysis.isEmpty {
                var readings: [Int64: [AuditMeasurement]] = [:]
                let placeholders = Array(repeating: "?", count: analysis.count).joined(separator: ", ")
                for row in try Row.fetchAll(
                    db, sql: "SELECT * FROM measurement WHERE eventId IN (\(placeholders)) ORDER BY id", arguments: StatementArguments(analysis)) {
                    readings[row["eventId"], default: []].append(AuditMeasurement(
                        metric: row["metric"], value: row["value"], stableValue: row["stableValue"], threshold: row["threshold"],
                        verdict: row["verdict"], detail: row["detail"], weight: row["weight"]))
                }
                for index in events.indices { events[index].measurements = readings[events[index].id] ?? [] }
            }
            return AuditPage(events: events, next: events.count >= max(1, query.limit) ? events.last?.id : nil)
        }
    }

    /// Whether `model` has any event recorded (a model no longer in git keeps its history).
    public func hasHistory(_ model: String) throws -> Bool {
        try database.read { db in try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM event WHERE model = ?)", arguments: [model]) ?? false }
    }
}
