import Foundation
import SluiceTestSupport
import Testing

/// Notifications through the real `sluice controller`: a `generic` target on a loopback HTTPS
/// receiver whose throwaway CA is configured (`caFile`). A rollout's events arrive; with the
/// receiver failing, the next rollout's events wait in the store, and a restarted controller
/// delivers every one of them, each event once. Git turning unreadable is reported once, and
/// its recovery too.
@Suite("sluice controller notifications", .serialized, .timeLimit(.minutes(10)))
struct NotificationEndToEndTests {
    static let hookPath = "/hooks/secretPathE2E"
    /// The events a rollout with two steps and no analysis reports, in order.
    static let rolloutKinds: Set<String> = ["rolloutStarted", "step", "promoted"]

    /// The receiver's accepted notifications: (id, eventKind, model) per 2xx answer.
    static func accepted(_ receiver: LoopbackHTTPSServer) -> [(id: String, kind: String, model: String)] {
        receiver.requests().filter { $0.method == "POST" && $0.path == hookPath && $0.status == 200 }.compactMap { request in
            guard let object = try? JSONSerialization.jsonObject(with: Data((request.body ?? "").utf8)) as? [String: Any],
                  let id = object["id"] as? String, let kind = object["eventKind"] as? String, let model = object["model"] as? String else { return nil }
            return (id, kind, model)
        }
    }

    /// The rows waiting in the controller's outbox, read beside the controller (Python's
    /// `sqlite3` module, read-only).
    static func outboxCount(_ harness: ControllerHarness) async throws -> Int? {
        let database = harness.directory.appendingPathComponent("state/controller/sluice.sqlite").path
        let script = """
            import sqlite3, sys
            connection = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True)
            print(connection.execute("SELECT COUNT(*) FROM notificationOutbox").fetchone()[0])
            """
        let result = try await ChildProcess.run(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", script, database], timeout: .seconds(30))
        return result.status == 0 ? Int(result.output.trimmingCharacters(in: .whitespacesAndNewlines)) : nil
    }

    static func rollout(to version: String, artifact: String, from stable: (String, String)) -> String {
        ControllerHarness.fraud(
            [stable, (version, artifact)], traffic: [stable.0: 0, version: 100],
            rollout: "  rollout:\n    steps:\n      - weight: 50\n      - pause: 1s\n")
    }

    @Test("a rollout's events reach a generic HTTPS receiver; events queued while it fails are delivered after a controller restart, none lost, none twice")
    func deliveredAcrossRestart() async throws {
        let receiver = try await LoopbackHTTPSServer()
        defer { receiver.stop() }
        let harness = try ControllerHarness(interval: "2s", controllerExtra: """
              notifications:
                - name: audit
                  type: generic
                  urlFile: notification-url
                  caFile: \(receiver.caFile)
                  events: [rolloutStarted, stepPassed, promoted, aborted, reconcileError, reconcileRecovered]
                  delivery:
                    retryInitial: 1s
                    retryMax: 2s
            """)
        let urlFile = harness.directory.appendingPathComponent("notification-url")
        try Data((receiver.url(Self.hookPath) + "\n").utf8).write(to: urlFile)
        chmod(urlFile.path, 0o600)
        try harness.repo.commit("fraud v1", files: ["manifests/fraud.yaml": ControllerHarness.fraud([("v1", "fraud-v2.1.json")], traffic: ["v1": 100])])
        try harness.start("serve")
        try harness.start("controller")
        defer { harness.forceStop("controller"); harness.forceStop("serve") }
        try await harness.waitFor(health: "Healthy")

        // A rollout to v2: its events arrive while the receiver is up.
        try harness.repo.commit("fraud v2", files: ["manifests/fraud.yaml": Self.rollout(to: "v2", artifact: "fraud-v2.2.json", from: ("v1", "fraud-v2.1.json"))])
        try await harness.waitUntil("v2's promotion notified", seconds: 120) { Self.accepted(receiver).contains { $0.kind == "promoted" } }
        let first = Self.accepted(receiver)
        #expect(Set(first.map(\.kind)) == Self.rolloutKinds)
        #expect(first.allSatisfy { $0.model == "fraud" })

        // The receiver fails (503): the rollout to v1 goes on, its notifications wait.
        try receiver.setRoutes([Self.hookPath: .status(503)])
        try harness.repo.commit("fraud back to v1", files: ["manifests/fraud.yaml": Self.rollout(to: "v1", artifact: "fraud-v2.1.json", from: ("v2", "fraud-v2.2.json"))])
        try await harness.waitUntil("v1 promoted", seconds: 120) {
            (try await harness.model()["stable"] as? [String: Any])?["version"] as? String == "v1"
        }
        try await harness.waitUntil("a refused delivery", seconds: 60) { harness.log("controller").contains("the receiver answered 503") }
        #expect(Self.accepted(receiver).count == first.count)
        let history = try await harness.history().filter(Self.rolloutKinds.contains)
        #expect(await harness.stop("controller") == 0)

        // Up again, after a restart: every queued event is delivered.
        try receiver.setRoutes([:])
        try harness.start("controller")
        try await harness.waitUntil("every queued notification delivered", seconds: 120) { Self.accepted(receiver).count >= history.count }
        // The outbox in the store empties: every row was delivered (or is being, and then is
        // delivered before the count reaches zero).
        try await harness.waitUntil("the outbox empty", seconds: 60) { try await Self.outboxCount(harness) == 0 }
        let all = Self.accepted(receiver)
        #expect(all.map(\.kind).sorted() == history.sorted(), "one notification per recorded event")
        #expect(Set(all.map(\.id)).count == all.count, "no event delivered twice")

        // HEAD names a branch that does not exist: passes fail, reported once; then recovered.
        try harness.repo.git(["symbolic-ref", "HEAD", "refs/heads/gone"])
        try await harness.waitUntil("the reconcile error notified", seconds: 60) { Self.accepted(receiver).contains { $0.kind == "reconcileError" } }
        try harness.repo.git(["symbolic-ref", "HEAD", "refs/heads/main"])
        try await harness.waitUntil("the recovery notified", seconds: 60) { Self.accepted(receiver).contains { $0.kind == "reconcileRecovered" } }
        let controllerWide = Self.accepted(receiver).filter { !Self.rolloutKinds.contains($0.kind) }
        #expect(controllerWide.map(\.kind) == ["reconcileError", "reconcileRecovered"])
        #expect(controllerWide.allSatisfy { $0.model == "_controller" })
        let trail = try await harness.cli(["history", "_controller"])
        #expect(trail.status == 0)
        #expect(trail.stdout.contains("reconcileError") && trail.stdout.contains("reconcileRecovered"))
        #expect(await harness.stop("controller") == 0)

        // Secrets: the webhook URL is in neither the controller's log nor its store.
        #expect(!harness.log("controller").contains("secretPathE2E"))
        let database = try Data(contentsOf: harness.directory.appendingPathComponent("state/controller/sluice.sqlite"))
        #expect(database.range(of: Data("secretPathE2E".utf8)) == nil, "the webhook URL never reaches the store")
    }
}
