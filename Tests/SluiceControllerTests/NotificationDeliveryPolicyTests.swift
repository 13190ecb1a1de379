import Foundation
import NIOConcurrencyHelpers
import SluiceConfig
@testable import SluiceController
import SluiceCore
import SluiceStore
import SluiceTestSupport
import Testing

/// A target's `delivery` policy made real against the loopback HTTPS receiver, on a manual
/// clock: the rate limit delays a burst without dropping any, the retry delay doubles up to
/// its cap, an undeliverable notification is given up after `giveUpAfter`, and the dedupe
/// records are pruned after their window.
@Suite("notification delivery policy", .timeLimit(.minutes(10)))
struct NotificationDeliveryPolicyTests {
    typealias Fixture = NotificationDeliveryTests.Fixture

    static func target(_ fixture: Fixture, _ delivery: NotificationTarget.DeliveryPolicy) -> [NotificationTarget] {
        var target = NotificationTarget(name: "chat", kind: .generic, url: .file(fixture.urlFile), caFile: fixture.server.caFile)
        target.delivery = delivery
        return [target]
    }

    static func messages(_ fixture: Fixture) throws -> [String] {
        try fixture.posts().map { try NotificationDeliveryTests.json($0.body)["message"] as? String ?? "" }
    }

    /// One target with `delivery`, its store, a manual clock at 10 s, a captured log and a deliverer.
    struct Rig {
        let targets: [NotificationTarget]
        let store: ControllerStore
        let clock = ManualClock(start: 10)
        let log = NIOLockedValueBox<[String]>([])
        let deliverer: NotificationDeliverer

        init(_ fixture: Fixture, _ delivery: NotificationTarget.DeliveryPolicy, dedupeWindow: Double = NotificationDeliverer.defaultDedupeWindow) throws {
            targets = NotificationDeliveryPolicyTests.target(fixture, delivery)
            store = try fixture.store(targets)
            deliverer = try fixture.deliverer(
                store, targets, log: log, backoff: Int64(delivery.retryInitial.milliseconds / 1000), clock: clock, dedupeWindow: dedupeWindow)
        }
    }

    @Test("a burst beyond ratePerMinute waits for the next minute, in order; none is dropped")
    func burstDelayed() async throws {
        let fixture = try await Fixture()
        defer { fixture.cleanUp() }
        let rig = try Rig(fixture, .init(ratePerMinute: 3, retryInitial: .seconds(2), retryMax: .seconds(600), giveUpAfter: .seconds(86_400)))
        let (store, clock, deliverer) = (rig.store, rig.clock, rig.deliverer)
        defer { Task { await deliverer.shutdown() } }
        try store.save(states: [], events: (1...7).map { NotificationDeliveryTests.event(.promoted, "burst \($0)") }, at: 5)
        #expect(await deliverer.deliverDue() == 3)
        #expect(await deliverer.deliverDue() == 0, "the minute's allowance is spent")
        clock.advance(by: 59)
        #expect(await deliverer.deliverDue() == 0)
        #expect(try store.pendingNotificationCounts() == ["chat": 4])
        clock.advance(by: 1)
        #expect(await deliverer.deliverDue() == 3)
        clock.advance(by: 60)
        #expect(await deliverer.deliverDue() == 1)
        #expect(try store.pendingNotificationCounts().isEmpty)
        #expect(try Self.messages(fixture) == (1...7).map { "burst \($0)" })
    }

    @Test("a failing receiver is retried after retryInitial, doubling up to retryMax")
    func backoffGrows() async throws {
        let fixture = try await Fixture()
        defer { fixture.cleanUp() }
        let rig = try Rig(fixture, .init(ratePerMinute: 60, retryInitial: .seconds(2), retryMax: .seconds(8), giveUpAfter: .seconds(86_400)))
        let (store, clock, log, deliverer) = (rig.store, rig.clock, rig.log, rig.deliverer)
        defer { Task { await deliverer.shutdown() } }
        try fixture.server.setRoutes([NotificationDeliveryTests.webhookPath: .status(503)])
        try store.save(states: [], events: [NotificationDeliveryTests.event(.aborted, "analysis failed")], at: 5)
        await deliverer.deliverDue()
        #expect(fixture.posts().count == 1)
        // Each retry comes no sooner than its delay: 2 s, 4 s, 8 s, then 8 s again (the cap).
        for (number, delay) in [2.0, 4, 8, 8].enumerated() {
            clock.advance(by: delay - 1)
            await deliverer.deliverDue()
            #expect(fixture.posts().count == number + 1, "retry \(number + 1) before its \(delay) s")
            clock.advance(by: 1)
            await deliverer.deliverDue()
            #expect(fixture.posts().count == number + 2, "retry \(number + 1) after its \(delay) s")
        }
        let retrying = log.withLockedValue { $0 }.compactMap { line in line.range(of: "retrying in ").map { String(line[$0.upperBound...]) } }
        #expect(retrying == ["2s", "4s", "8s", "8s", "8s"])
        #expect(try store.pendingNotificationCounts() == ["chat": 1], "still kept: not given up yet")
    }

    @Test("a notification undeliverable for giveUpAfter is dropped with a log line that names neither the URL nor a secret")
    func givenUp() async throws {
        let fixture = try await Fixture()
        defer { fixture.cleanUp() }
        let rig = try Rig(fixture, .init(ratePerMinute: 60, retryInitial: .seconds(2), retryMax: .seconds(8), giveUpAfter: .seconds(60)))
        let (store, clock, log, deliverer) = (rig.store, rig.clock, rig.log, rig.deliverer)
        defer { Task { await deliverer.shutdown() } }
        try fixture.server.setRoutes([NotificationDeliveryTests.webhookPath: .status(503)])
        try store.save(states: [], events: [NotificationDeliveryTests.event(.aborted, "analysis failed")], at: 5)
        await deliverer.deliverDue()
        #expect(try store.pendingNotificationCounts() == ["chat": 1])
        clock.advance(by: 60)
        await deliverer.deliverDue()
        #expect(fixture.posts().count == 2)
        #expect(try store.pendingNotificationCounts().isEmpty)
        let lines = log.withLockedValue { $0 }
        #expect(lines.contains { $0.contains("notification event-1 (aborted of fraud) to chat dropped after 2 attempts over 1m (delivery.giveUpAfter): the receiver answered 503") })
        #expect(lines.allSatisfy { !$0.contains(NotificationDeliveryTests.webhookPath) && !$0.contains("secretPath") && !$0.contains("127.0.0.1") })
        // The receiver back: nothing more is sent.
        try fixture.server.setRoutes([:])
        clock.advance(by: 600)
        #expect(await deliverer.deliverDue() == 0)
        #expect(fixture.posts().count == 2)
    }

    @Test("delivered records are pruned after the dedupe window; within it a duplicate is suppressed")
    func dedupeRecordsPruned() async throws {
        let fixture = try await Fixture()
        defer { fixture.cleanUp() }
        let rig = try Rig(fixture, .defaults, dedupeWindow: 3600)
        let (store, clock, deliverer) = (rig.store, rig.clock, rig.deliverer)
        defer { Task { await deliverer.shutdown() } }
        try store.save(states: [], events: [NotificationDeliveryTests.event(.promoted, "v2 is stable")], at: 5)
        #expect(await deliverer.deliverDue() == 1)
        #expect(try store.deliveredNotificationCount() == 1)
        let duplicate = ControllerStore.OutboxNotification(
            eventId: "event-1", model: "fraud", kind: .promoted, message: "v2 is stable", revision: NotificationDeliveryTests.sha, actor: "controller", at: 5)
        clock.advance(by: 3000)
        await deliverer.deliverDue()
        #expect(try store.deliveredNotificationCount() == 1, "within the window the record stays")
        #expect(try store.enqueueNotification(duplicate, routes: NotificationDeliverer.routes(rig.targets), at: clock.now()) == false)
        clock.advance(by: 700)
        await deliverer.deliverDue()
        #expect(try store.deliveredNotificationCount() == 0, "past the window it is forgotten")
        #expect(fixture.posts().count == 1)
    }
}
