import Foundation
import SluiceCore
@testable import SluiceStore
import Testing

@Suite("notification outbox", .timeLimit(.minutes(10)))
struct NotificationOutboxTests {
    let routes = [
        ControllerStore.NotificationRoute(target: "chat", kinds: [.promoted, .aborted]),
        ControllerStore.NotificationRoute(target: "statuses", kinds: [.promoted]),
    ]

    func temporaryPath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("outbox-\(UUID().uuidString)/sluice.sqlite").path
    }

    func event(_ kind: RolloutEvent.Kind) -> ControllerStore.EventRecord {
        ControllerStore.EventRecord(model: "fraud", event: RolloutEvent(kind, "\(kind.rawValue) happened", revision: "abc"), actor: "controller")
    }

    @Test("an event is queued with the pass that records it, per target that wants its kind, and survives a reopen")
    func queuedWithTheEvent() throws {
        let path = temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        do {
            let store = try ControllerStore(path: path, notificationRoutes: routes)
            try store.save(states: [], events: [event(.promoted), event(.aborted), event(.step)], at: 10)
        }
        let store = try ControllerStore(path: path, notificationRoutes: routes)
        #expect(try store.pendingNotificationCounts() == ["chat": 2, "statuses": 1])
        let due = try store.dueNotifications(at: 10, limitPerTarget: 10)
        #expect(due.filter { $0.target == "chat" }.map(\.notification.kind) == [.promoted, .aborted])
        #expect(due.first?.notification.eventId == "event-1")
        #expect(due.first?.notification.message == "promoted happened")
    }

    @Test("a duplicate is suppressed, before and after delivery; a failure waits for its retry time")
    func dedupeAndBackoff() throws {
        let path = temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        let store = try ControllerStore(path: path)
        let notification = ControllerStore.OutboxNotification(
            eventId: "event-7", model: "fraud", kind: .promoted, message: "v2 is stable", revision: "abc", actor: "controller", at: 1)
        #expect(try store.enqueueNotification(notification, routes: routes, at: 1))
        #expect(try store.enqueueNotification(notification, routes: routes, at: 2) == false)
        #expect(try store.pendingNotificationCounts() == ["chat": 1, "statuses": 1])
        try store.notificationFailed(target: "chat", eventId: "event-7", retryAt: 50)
        #expect(try store.dueNotifications(at: 10, limitPerTarget: 10).map(\.target) == ["statuses"])
        #expect(try store.dueNotifications(at: 50, limitPerTarget: 10).first { $0.target == "chat" }?.attempts == 1)
        try store.notificationDelivered(target: "chat", eventId: "event-7", at: 51)
        #expect(try store.pendingNotificationCounts() == ["statuses": 1])
        // Queued again after delivery (a replayed pass): still not sent twice.
        #expect(try store.enqueueNotification(notification, routes: routes, at: 52) == false)
        #expect(try store.pendingNotificationCounts() == ["statuses": 1])
    }

    @Test("at most the rate limit per target is due at once; the rest wait in order")
    func rateLimited() throws {
        let path = temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        let store = try ControllerStore(path: path, notificationRoutes: routes)
        try store.save(states: [], events: (0..<5).map { _ in event(.promoted) }, at: 10)
        let due = try store.dueNotifications(at: 10, limitPerTarget: 2)
        #expect(due.filter { $0.target == "chat" }.map(\.notification.eventId) == ["event-1", "event-2"])
        #expect(due.filter { $0.target == "statuses" }.count == 2)
    }
}
