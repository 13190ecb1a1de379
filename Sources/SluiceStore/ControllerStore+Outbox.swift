import Foundation
import GRDB
import SluiceCore

/// The notification outbox: every event a configured target wants is queued in the same
/// transaction that records the event, delivered later by the controller's notifier, and
/// deleted when a target accepted it. A restart loses none (at-least-once delivery); an
/// event is queued at most once per target, even after it was delivered.
extension ControllerStore {
    /// The name controller-wide events (`reconcileError`, `reconcileRecovered`) are recorded
    /// under in the audit trail; no model can have it (names start with a letter or digit).
    public static let controllerScope = "_controller"
    /// The setting that remembers whether a reconcile error was recorded and not yet recovered.
    public static let reconcileErrorSetting = "reconcileError"

    /// Records a controller-wide event under ``controllerScope`` with `settings`, in one
    /// transaction; the targets that want its kind get it queued in the same transaction.
    public func recordControllerEvent(_ event: RolloutEvent, settings: [String: String], at now: Double) throws {
        try write(.controllerEvent) { db in
            for (key, value) in settings { try Self.setSetting(key, value, db: db) }
            try Self.insert([EventRecord(model: Self.controllerScope, event: event, actor: "controller")], at: now, routes: notificationRoutes, db: db)
        }
    }

    /// Which event kinds a notification target wants.
    public struct NotificationRoute: Sendable, Hashable {
        /// The target's name (`controller.notifications[].name`).
        public var target: String
        /// The kinds it wants.
        public var kinds: Set<RolloutEvent.Kind>

        /// Creates a route.
        public init(target: String, kinds: Set<RolloutEvent.Kind>) {
            self.target = target
            self.kinds = kinds
        }
    }

    /// A delivery that follows an event's first one, once its target accepted that.
    public enum DeliveryStep: String, Sendable, Codable, Hashable {
        /// GitHub: comment on the pull requests associated with the event's commit.
        case pullRequestComment
    }

    /// One queued notification: the event it reports, as recorded.
    public struct OutboxNotification: Sendable, Codable, Hashable {
        /// Deterministic: the event's row in the audit trail (`event-42`), the dedupe key.
        public var eventId: String
        public var model: String
        public var kind: RolloutEvent.Kind
        public var message: String
        public var revision: String?
        public var actor: String
        /// When the event happened (seconds since 1970).
        public var at: Double
        /// nil: the event's notification itself; else a follow-up (absent in older rows).
        public var step: DeliveryStep?

        /// Creates a notification.
        public init(
            eventId: String, model: String, kind: RolloutEvent.Kind, message: String, revision: String?, actor: String, at: Double,
            step: DeliveryStep? = nil
        ) {
            self.eventId = eventId
            self.model = model
            self.kind = kind
            self.message = message
            self.revision = revision
            self.actor = actor
            self.at = at
            self.step = step
        }
    }

    /// A row of the outbox that is due.
    public struct OutboxEntry: Sendable, Hashable {
        public var target: String
        public var notification: OutboxNotification
        /// Failed attempts so far.
        public var attempts: Int
        /// When it was queued (seconds since 1970): `giveUpAfter` counts from here.
        public var createdAt: Double
    }

    static func registerOutboxMigration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v4-notification-outbox") { db in
            try db.create(table: "notificationOutbox") { table in
                table.column("target", .text).notNull()
                table.column("eventId", .text).notNull()
                table.column("payload", .text).notNull()
                table.column("attempts", .integer).notNull().defaults(to: 0)
                table.column("nextAttemptAt", .double).notNull().indexed()
                table.column("createdAt", .double).notNull()
                table.primaryKey(["target", "eventId"])
            }
            // Delivered (target, event) pairs: a duplicate of a delivered event is not queued again.
            try db.create(table: "notificationSent") { table in
                table.column("target", .text).notNull()
                table.column("eventId", .text).notNull()
                table.column("at", .double).notNull().indexed()
                table.primaryKey(["target", "eventId"])
            }
        }
    }

    /// Queues `notification` for each route that wants its kind, inside a transaction.
    static func enqueue(_ notification: OutboxNotification, routes: [NotificationRoute], at now: Double, db: Database) throws {
        let wanting = routes.filter { $0.kinds.contains(notification.kind) }
        guard !wanting.isEmpty else { return }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let payload = String(decoding: try encoder.encode(notification), as: UTF8.self)
        for route in wanting {
            try db.execute(
                sql: """
                    INSERT OR IGNORE INTO notificationOutbox (target, eventId, payload, attempts, nextAttemptAt, createdAt)
                    SELECT ?, ?, ?, 0, ?, ?
                    WHERE NOT EXISTS (SELECT 1 FROM notificationSent WHERE target = ? AND eventId = ?)
                    """,
                arguments: [route.target, notification.eventId, payload, now, now, route.target, notification.eventId])
        }
    }

    /// Queues a notification outside an event's transaction (a duplicate of one queued or
    /// delivered before is ignored). Returns whether it was queued.
    @discardableResult
    public func enqueueNotification(_ notification: OutboxNotification, routes: [NotificationRoute], at now: Double) throws -> Bool {
        try write(.notification) { db in
            try Self.enqueue(notification, routes: routes, at: now, db: db)
            return db.changesCount > 0
        }
    }

    /// Notifications due at `now`, oldest first, at most `limit` per target.
    public func dueNotifications(at now: Double, limitPerTarget: Int) throws -> [OutboxEntry] {
        try database.read { db in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT target, payload, attempts, createdAt FROM (
                      SELECT target, payload, attempts, createdAt, ROW_NUMBER() OVER (PARTITION BY target ORDER BY createdAt, rowid) AS n
                      FROM notificationOutbox WHERE nextAttemptAt <= ?)
                    WHERE n <= ? ORDER BY target, n
                    """,
                arguments: [now, limitPerTarget])
            return try rows.map { row in
                let payload: String = row["payload"]
                return OutboxEntry(
                    target: row["target"], notification: try JSONDecoder().decode(OutboxNotification.self, from: Data(payload.utf8)),
                    attempts: row["attempts"], createdAt: row["createdAt"])
            }
        }
    }

    /// How many notifications wait, per target.
    public func pendingNotificationCounts() throws -> [String: Int] {
        try database.read { db in
            var counts: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT target, COUNT(*) AS n FROM notificationOutbox GROUP BY target") {
                let target: String = row["target"]
                counts[target] = row["n"]
            }
            return counts
        }
    }

    /// Removes a delivered notification and remembers it, so a duplicate is not queued again;
    /// queues `followUp` for the same target in the same transaction (a crash loses neither).
    public func notificationDelivered(target: String, eventId: String, at now: Double, followUp: OutboxNotification? = nil) throws {
        try write(.notification) { db in
            if let followUp {
                try Self.enqueue(followUp, routes: [NotificationRoute(target: target, kinds: [followUp.kind])], at: now, db: db)
            }
            try db.execute(sql: "DELETE FROM notificationOutbox WHERE target = ? AND eventId = ?", arguments: [target, eventId])
            try db.execute(
                sql: "INSERT INTO notificationSent (target, eventId, at) VALUES (?, ?, ?) ON CONFLICT(target, eventId) DO NOTHING",
                arguments: [target, eventId, now])
        }
    }

    /// Records a failed attempt; the next one waits until `retryAt`.
    public func notificationFailed(target: String, eventId: String, retryAt: Double) throws {
        try write(.notification) { db in
            try db.execute(
                sql: "UPDATE notificationOutbox SET attempts = attempts + 1, nextAttemptAt = ? WHERE target = ? AND eventId = ?",
                arguments: [retryAt, target, eventId])
        }
    }

    /// Drops a notification its target never accepted (given up); it is not remembered as
    /// delivered.
    public func notificationDropped(target: String, eventId: String) throws {
        try write(.notification) { db in
            try db.execute(sql: "DELETE FROM notificationOutbox WHERE target = ? AND eventId = ?", arguments: [target, eventId])
        }
    }

    /// Forgets the records of notifications delivered before `cutoff` (seconds since 1970), so
    /// the table does not grow for ever; a duplicate within the window is still suppressed.
    /// Returns how many were forgotten.
    @discardableResult
    public func pruneDeliveredNotifications(before cutoff: Double) throws -> Int {
        try write(.notification) { db in
            try db.execute(sql: "DELETE FROM notificationSent WHERE at < ?", arguments: [cutoff])
            return db.changesCount
        }
    }

    /// How many delivered notifications are remembered (the dedupe records).
    public func deliveredNotificationCount() throws -> Int {
        try database.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM notificationSent") ?? 0 }
    }
}
