import Foundation
import GRDB
import SluiceCore

/// Intents: actions decided and saved with the pass that decided them, done after the save,
/// and deleted in the same transaction that records their outcome. A crash or a failed save
/// between deciding and acting leaves the intent in the store, and the next pass does it.
extension ControllerStore {
    /// A revert commit to write for a model whose rollout was aborted (`onAbort: revert`).
    public struct PendingRevert: Sendable, Hashable {
        /// The model whose manifest is reverted.
        public var model: String
        /// The commit that introduced the failed spec.
        public var revision: String

        /// Creates an intent.
        public init(model: String, revision: String) {
            self.model = model
            self.revision = revision
        }
    }

    static func registerIntentMigration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v3-intents") { db in
            try db.create(table: "pendingRevert") { table in
                table.column("model", .text).notNull()
                table.column("revision", .text).notNull()
                table.column("createdAt", .double).notNull()
                table.primaryKey(["model", "revision"])
            }
            // Webhook deliveries already acted on, by delivery id and by body signature.
            try db.create(table: "webhookDelivery") { table in
                table.primaryKey("key", .text)
                table.column("at", .double).notNull().indexed()
            }
        }
    }

    /// Records a webhook delivery under each of `keys` (its delivery id, its signature) and
    /// says whether it is new: false when any key was seen before, i.e. a replay. Keys older
    /// than `retention` seconds are forgotten.
    public func recordDelivery(keys: [String], at now: Double, retention: Double = 30 * 86_400) throws -> Bool {
        try write(.delivery) { db in
            try db.execute(sql: "DELETE FROM webhookDelivery WHERE at < ?", arguments: [now - retention])
            for key in keys {
                if try Bool.fetchOne(db, sql: "SELECT 1 FROM webhookDelivery WHERE key = ?", arguments: [key]) == true { return false }
            }
            for key in keys {
                try db.execute(sql: "INSERT INTO webhookDelivery (key, at) VALUES (?, ?)", arguments: [key, now])
            }
            return true
        }
    }

    /// Whether a webhook delivery was recorded under any of `keys`: a read, no write, so that
    /// a new delivery's pass can start before ``recordDelivery(keys:at:retention:)`` makes it
    /// durable (which still decides, atomically, whether it was new).
    public func hasDelivery(keys: [String]) throws -> Bool {
        try database.read { db in
            for key in keys where try Bool.fetchOne(db, sql: "SELECT 1 FROM webhookDelivery WHERE key = ?", arguments: [key]) == true {
                return true
            }
            return false
        }
    }

    static func insert(_ reverts: [PendingRevert], at now: Double, db: Database) throws {
        for revert in reverts {
            try db.execute(
                sql: "INSERT INTO pendingRevert (model, revision, createdAt) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                arguments: [revert.model, revert.revision, now])
        }
    }

    /// The reverts decided and not yet done, oldest first.
    public func pendingReverts() throws -> [PendingRevert] {
        try database.read { db in
            try Row.fetchAll(db, sql: "SELECT model, revision FROM pendingRevert ORDER BY createdAt, model").map {
                PendingRevert(model: $0["model"], revision: $0["revision"])
            }
        }
    }

    /// Records what became of a revert (its event, and the model's state that shows it) and
    /// forgets the intent, in one transaction.
    public func completeRevert(_ revert: PendingRevert, event: EventRecord, state: RolloutState? = nil, at now: Double) throws {
        let encoded = try Self.encode(state.map { [$0] } ?? [])
        try write(.revert) { db in
            try Self.upsert(encoded, at: now, db: db)
            try Self.insert([event], at: now, routes: notificationRoutes, db: db)
            try db.execute(
                sql: "DELETE FROM pendingRevert WHERE model = ? AND revision = ?", arguments: [revert.model, revert.revision])
        }
    }
}
