import Foundation
import Logging
import NIOConcurrencyHelpers
import SluiceConfig
@testable import SluiceController
import SluiceCore
import SluiceStore
import SluiceTestSupport
import Testing

/// Notifications delivered for real: events recorded through the store's pass save are
/// queued in its outbox and POSTed over HTTPS to a loopback server whose certificate comes
/// from a throwaway CA (`caFile`).
@Suite("notification delivery", .timeLimit(.minutes(10)))
struct NotificationDeliveryTests {
    static let sha = "0123456789abcdef0123456789abcdef01234567"
    static let webhookPath = "/services/T000/B000/secretPathXYZ"
    static let token = "ghp_notARealTokenButSecret"

    /// A state directory with the webhook URL and the token in 0600 files.
    struct Fixture {
        let directory: URL
        let server: LoopbackHTTPSServer
        var databasePath: String { directory.appendingPathComponent("sluice.sqlite").path }
        var urlFile: String { directory.appendingPathComponent("slack-url").path }
        var tokenFile: String { directory.appendingPathComponent("github-token").path }

        init() async throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("notify-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            server = try await LoopbackHTTPSServer()
            for (path, value) in [(urlFile, server.url(NotificationDeliveryTests.webhookPath)), (tokenFile, NotificationDeliveryTests.token)] {
                try Data((value + "\n").utf8).write(to: URL(fileURLWithPath: path))
                chmod(path, 0o600)
            }
        }

        func targets(events: Set<NotificationEvent> = Set(NotificationEvent.allCases)) -> [NotificationTarget] {
            [
                NotificationTarget(name: "chat", kind: .slack, url: .file(urlFile), caFile: server.caFile, dashboardURL: "https://sluice.example/ui", events: events),
                NotificationTarget(
                    name: "statuses", kind: .github, api: server.url("/api"), token: .file(tokenFile), repository: "acme/models",
                    caFile: server.caFile, dashboardURL: "https://sluice.example/ui", events: events),
            ]
        }

        func store(_ targets: [NotificationTarget]) throws -> ControllerStore {
            try ControllerStore(path: databasePath, notificationRoutes: NotificationDeliverer.routes(targets))
        }

        /// A deliverer on a clock that stands still unless `clock` is given and advanced (by
        /// default at 10 s, just after the events the tests save at 5 s); `backoff`: the
        /// targets' first retry delay (0: a failed one is due again at once).
        func deliverer(
            _ store: ControllerStore, _ targets: [NotificationTarget], log: NIOLockedValueBox<[String]>, backoff: Int64 = 0,
            clock: ManualClock = ManualClock(start: 10), dedupeWindow: Double = NotificationDeliverer.defaultDedupeWindow
        ) throws -> NotificationDeliverer {
            let paced = targets.map { target in
                var target = target
                target.delivery.retryInitial = .seconds(backoff)
                return target
            }
            return try NotificationDeliverer(
                store: store, targets: paced, stateDirectory: directory.path, clock: clock, logger: CapturedLog.logger(into: log),
                dedupeWindow: dedupeWindow)
        }

        func posts() -> [LoopbackHTTPSServer.Request] { server.requests().filter { $0.method == "POST" } }

        func cleanUp() {
            server.stop()
            try? FileManager.default.removeItem(at: directory)
        }
    }

    static func event(_ kind: RolloutEvent.Kind, _ message: String, model: String = "fraud") -> ControllerStore.EventRecord {
        ControllerStore.EventRecord(model: model, event: RolloutEvent(kind, message, revision: sha), actor: "controller")
    }

    static func json(_ text: String?) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data((text ?? "").utf8)) as? [String: Any])
    }

    /// Delivers until the outbox is empty or the deadline passes.
    static func drain(_ deliverer: NotificationDeliverer, _ store: ControllerStore) async throws {
        let deadline = ContinuousClock.now + .seconds(120)
        while try !store.pendingNotificationCounts().isEmpty, ContinuousClock.now < deadline {
            await deliverer.deliverDue()
            // Not a spin: other tests share the two cores.
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    @Test("a Slack message has blocks and a text fallback; a GitHub status goes to /repos/OWNER/REPO/statuses/SHA")
    func slackAndGitHubShapes() async throws {
        let fixture = try await Fixture()
        defer { fixture.cleanUp() }
        let targets = fixture.targets()
        let store = try fixture.store(targets)
        let log = NIOLockedValueBox<[String]>([])
        let deliverer = try fixture.deliverer(store, targets, log: log)
        defer { Task { await deliverer.shutdown() } }
        var aborted = RolloutState(name: "fraud", now: 1)
        aborted.lastRollout = RolloutOutcome(
            kind: .abortedByAnalysis, at: 3, revision: Self.sha, split: "v1 100%", message: "error_rate failed",
            failedChecks: [CheckMeasurement(metric: "error_rate", value: 0.2, stableValue: 0.01, threshold: "max 0.05", verdict: .failed, detail: "0.2 > max 0.05")])
        try store.save(states: [aborted], events: [Self.event(.rolloutStarted, "rollout of v2 started")], at: 2)
        try store.save(states: [], events: [Self.event(.aborted, "analysis failed: error_rate; 100% back to stable")], at: 3)
        try await Self.drain(deliverer, store)

        let posts = fixture.posts()
        let slack = posts.filter { $0.path == Self.webhookPath }
        #expect(slack.count == 2)
        let message = try Self.json(slack.last?.body)
        let text = try #require(message["text"] as? String)
        #expect(text.contains("fraud") && text.contains("aborted"))
        let blocks = try #require(message["blocks"] as? [[String: Any]])
        #expect(blocks.first?["type"] as? String == "header")
        #expect(blocks.contains { ($0["text"] as? [String: Any])?["text"] as? String == "*Failed checks*\n• `error_rate` 0.2 vs threshold max 0.05: Failed" })

        let statuses = posts.filter { $0.path == "/api/repos/acme/models/statuses/\(Self.sha)" }
        #expect(statuses.count == 2)
        #expect(statuses.allSatisfy { $0.authorization == "Bearer \(Self.token)" })
        let states = try statuses.map { try Self.json($0.body)["state"] as? String }
        #expect(states == ["pending", "failure"])
        let failure = try Self.json(statuses.last?.body)
        #expect(failure["context"] as? String == "sluice/fraud")
        #expect(failure["target_url"] as? String == "https://sluice.example/ui")
        #expect((failure["description"] as? String)?.contains("0.2 > max 0.05") == true)
        #expect(log.withLockedValue { $0 }.allSatisfy { !$0.contains(Self.webhookPath) && !$0.contains(Self.token) })
    }

    @Test("every event kind reaches a generic receiver, each once")
    func everyEventKind() async throws {
        let fixture = try await Fixture()
        defer { fixture.cleanUp() }
        let targets = [NotificationTarget(name: "hook", kind: .generic, url: .file(fixture.urlFile), caFile: fixture.server.caFile)]
        let store = try fixture.store(targets)
        let log = NIOLockedValueBox<[String]>([])
        let deliverer = try fixture.deliverer(store, targets, log: log)
        defer { Task { await deliverer.shutdown() } }
        let events = NotificationEvent.allCases.compactMap { event in event.kinds.first.map { Self.event($0, "an event of kind \($0.rawValue)") } }
        // Kinds no target asked for (a scale event) are not queued.
        try store.save(states: [], events: events + [Self.event(.scaled, "v1 1 -> 2 replicas")], at: 5)
        try await Self.drain(deliverer, store)
        let received = try fixture.posts().map { try Self.json($0.body) }
        #expect(Set(received.compactMap { $0["event"] as? String }) == Set(NotificationEvent.allCases.map(\.rawValue)))
        #expect(received.count == NotificationEvent.allCases.count)
        #expect(received.allSatisfy { $0["kind"] as? String == "sluice.notification" && $0["model"] as? String == "fraud" })
    }

    @Test("a receiver that is down gets the notification once it is up, after a controller restart; a duplicate is not sent")
    func downThenUpAcrossRestart() async throws {
        let fixture = try await Fixture()
        defer { fixture.cleanUp() }
        let targets = [NotificationTarget(name: "chat", kind: .slack, url: .file(fixture.urlFile), caFile: fixture.server.caFile, events: [.promoted])]
        let log = NIOLockedValueBox<[String]>([])
        try fixture.server.setRoutes([Self.webhookPath: .status(503)])
        do {
            let store = try fixture.store(targets)
            let deliverer = try fixture.deliverer(store, targets, log: log, backoff: 0)
            try store.save(states: [], events: [Self.event(.promoted, "v2 is stable")], at: 5)
            await deliverer.deliverDue()
            await deliverer.shutdown()
            #expect(fixture.posts().map(\.status) == [503])
            #expect(try store.pendingNotificationCounts() == ["chat": 1])
        }
        #expect(log.withLockedValue { $0 }.contains { $0.contains("answered 503") })
        // The controller restarts (a new store on the same file); the receiver is back.
        try fixture.server.setRoutes([:])
        let store = try fixture.store(targets)
        let deliverer = try fixture.deliverer(store, targets, log: log)
        defer { Task { await deliverer.shutdown() } }
        try await Self.drain(deliverer, store)
        #expect(fixture.posts().map(\.status) == [503, 200])
        #expect(try store.pendingNotificationCounts().isEmpty)
        // The same event queued again (a replayed pass) is suppressed.
        let duplicate = ControllerStore.OutboxNotification(
            eventId: "event-1", model: "fraud", kind: .promoted, message: "v2 is stable", revision: Self.sha, actor: "controller", at: 5)
        #expect(try store.enqueueNotification(duplicate, routes: NotificationDeliverer.routes(targets), at: 6) == false)
        #expect(await deliverer.deliverDue() == 0)
        #expect(fixture.posts().count == 2)
        #expect(log.withLockedValue { $0 }.allSatisfy { !$0.contains(Self.webhookPath) && !$0.contains("secretPath") })
    }

    @Test("a receiver that refuses connections is retried, and the error names neither the URL nor the token")
    func refusedConnectionRedacted() async throws {
        let fixture = try await Fixture()
        defer { fixture.cleanUp() }
        let targets = fixture.targets(events: [.rolloutStarted])
        let store = try fixture.store(targets)
        let log = NIOLockedValueBox<[String]>([])
        let deliverer = try fixture.deliverer(store, targets, log: log)
        defer { Task { await deliverer.shutdown() } }
        fixture.server.stop()
        try store.save(states: [], events: [Self.event(.rolloutStarted, "rollout of v2 started")], at: 5)
        #expect(await deliverer.deliverDue() == 0)
        #expect(try store.pendingNotificationCounts() == ["chat": 1, "statuses": 1])
        let lines = log.withLockedValue { $0 }
        #expect(lines.filter { $0.contains("not delivered") }.count == 2)
        #expect(lines.allSatisfy { !$0.contains(Self.webhookPath) && !$0.contains(Self.token) })
    }

    @Test("a GitLab status goes to /projects/ID/statuses/SHA with running/success/failed; events without a commit status send nothing")
    func gitlabRequest() throws {
        let target = NotificationTarget(name: "gl", kind: .gitlab, token: .environment("T"), repository: "ml/models")
        func request(_ kind: RolloutEvent.Kind, revision: String? = Self.sha) -> NotificationRequest? {
            let notification = ControllerStore.OutboxNotification(
                eventId: "event-1", model: "fraud", kind: kind, message: "m", revision: revision, actor: "controller", at: 1)
            return NotificationRequest.make(for: notification, target: target, url: nil, token: "glpat", failedChecks: [])
        }
        let started = try #require(request(.rolloutStarted))
        #expect(started.url == "https://gitlab.com/api/v4/projects/ml%2Fmodels/statuses/\(Self.sha)")
        #expect(started.headers.contains { $0 == ("authorization", "Bearer glpat") })
        #expect(started.body["state"] == .string("running"))
        #expect(started.body["name"] == .string("sluice/fraud"))
        #expect(request(.promoted)?.body["state"] == .string("success"))
        #expect(request(.aborted)?.body["state"] == .string("failed"))
        #expect(request(.monitorFiring) == nil)
        #expect(request(.promoted, revision: "main") == nil)
    }
}
