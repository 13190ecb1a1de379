import SluiceConfig
import SluiceCore
import SluiceTestSupport
import Testing
@testable import SluiceController

/// Monitors over the fake data plane's real monitoring buckets: rollbacks, retraining with
/// approval, alerts to a real loopback receiver.
@Suite("controller passes: monitors", .timeLimit(.minutes(10)))
struct MonitorPassTests {
    /// An error-rate monitor over 10 s windows (one bucket each).
    static func monitor(action: String, name: String = "errors") -> String {
        "  monitors:\n    - name: \(name)\n      metric: error_rate\n      max: 0.1\n      window: 10s\n      minSamples: 10\n      action: \(action)\n"
    }

    /// One closed window: traffic now, then the clock past the bucket's end, then a monitor pass.
    static func window(_ fixture: ControllerFixture, requests: Int = 100) async {
        fixture.backend.serve("fraud", requests: requests)
        fixture.advance(10)
        await fixture.controller.monitorPass()
    }

    static func deployed(_ monitor: String, configure: (inout ControllerConfig) -> Void = { _ in }) async throws -> ControllerFixture {
        let fixture = try await ControllerFixture(
            files: ["manifests/fraud.yaml": Manifests.fraud(extra: monitor)].merging(Manifests.artifacts("a1", "a2")) { $1 }, configure: configure)
        await fixture.settle(.start)
        return fixture
    }

    /// v1 with the monitor, and a canary of v2 (50%, then a long pause) that answers half in errors.
    static func badCanary(onAbort: String? = nil) async throws -> (ControllerFixture, String) {
        let monitor = Self.monitor(action: "rollback")
        let fixture = try await deployed(monitor)
        let commit = try fixture.commit("fraud v2 (bad)", ["fraud": Manifests.fraud(
            [("v1", "a1"), ("v2", "a2")], traffic: ["v1": 0, "v2": 100],
            extra: Manifests.rollout(["weight: 50", "pause: 1h"], onAbort: onAbort) + monitor)])
        await fixture.settle()
        #expect(fixture.weights() == ["v1": 50, "v2": 50])
        fixture.backend.script("fraud", "v2", .init(errorRate: 0.5))
        return (fixture, commit)
    }

    @Test("a rollback monitor firing on the canary aborts it; the next pass puts traffic back on stable")
    func rollbackAbortsCanary() async throws {
        let (fixture, commit) = try await Self.badCanary()
        await Self.window(fixture)
        let state = try #require(await fixture.state())
        #expect(state.reason.rawValue == "MonitorFired")
        #expect(state.candidate == nil)
        let aborted = try #require(try fixture.events(kind: "aborted").first)
        #expect(aborted.message.hasPrefix("MonitorFired: monitor errors"), "\(aborted.message)")
        #expect(aborted.revision == commit)
        #expect(aborted.actor == "monitor")
        let firing = try #require(try fixture.events(kind: "monitorFiring").first)
        #expect(firing.message.hasPrefix("errors warning on v2: error_rate 0.5"), "\(firing.message)")
        #expect(fixture.weights() == ["v1": 50, "v2": 50], "applied by the pass the monitor triggers")
        await fixture.pass(.monitorRollback)
        #expect(fixture.weights() == ["v1": 100])
        #expect(try fixture.subjects().first == "fraud v2 (bad)", "no revert without onAbort: revert")
    }

    @Test("a rollback monitor with onAbort: revert: the revert commit appears in git, once")
    func rollbackWithRevert() async throws {
        let (fixture, commit) = try await Self.badCanary(onAbort: "revert")
        await Self.window(fixture)
        await fixture.pass(.monitorRollback)
        #expect(try fixture.subjects().first == "Revert \"fraud v2 (bad)\" for fraud")
        #expect(try fixture.repo.git(["log", "-1", "--format=%b"]).contains("This reverts commit \(commit)"))
        await fixture.settle(.interval)
        await Self.window(fixture)
        #expect(try fixture.subjects().filter { $0.hasPrefix("Revert") }.count == 1)
        #expect(await fixture.state()?.isSynced == true)
        #expect(try fixture.kinds().filter { $0 == "aborted" }.count == 1)
    }

    @Test("a stable version's firing rolls back to the previous stable spec, remembered as failed")
    func rollbackOfStable() async throws {
        let monitor = Self.monitor(action: "rollback")
        let fixture = try await Self.deployed(monitor)
        try fixture.commit("fraud v2", ["fraud": Manifests.fraud([("v2", "a2")], traffic: ["v2": 100], extra: monitor)])
        await fixture.settle()
        #expect(fixture.weights() == ["v2": 100])
        fixture.backend.script("fraud", "v2", .init(errorRate: 0.5))
        await Self.window(fixture)
        let state = try #require(await fixture.state())
        #expect(state.reason.rawValue == "MonitorRollback")
        #expect(state.health == .degraded)
        #expect(state.message.contains("git still declares"), "\(state.message)")
        #expect(try fixture.events(kind: "monitorRollback").first?.message.contains("traffic back to v1 100%") == true)
        await fixture.settle(.monitorRollback)
        #expect(fixture.weights() == ["v1": 100])
        #expect(await fixture.state()?.health == .degraded, "git still asks for the failed spec")
    }

    @Test("with nothing to roll back to, the firing is recorded as rollbackSkipped and nothing moves")
    func rollbackSkipped() async throws {
        let fixture = try await Self.deployed(Self.monitor(action: "rollback"))
        fixture.backend.script("fraud", "v1", .init(errorRate: 0.5))
        await Self.window(fixture)
        let skipped = try #require(try fixture.events(kind: "rollbackSkipped").first)
        #expect(skipped.message.contains("there is nothing to roll back to"))
        #expect(await fixture.state()?.health == .healthy)
        #expect(fixture.weights() == ["v1": 100])
    }

    @Test("a healthy window records a reading and no event; a breach fires once, then resolves")
    func firingAndResolved() async throws {
        let fixture = try await Self.deployed(Self.monitor(action: "alert"))
        await Self.window(fixture)
        #expect(try fixture.store.monitorReadings(of: "fraud").count == 1)
        #expect(try fixture.kinds() == ["deployed"])
        fixture.backend.script("fraud", "v1", .init(errorRate: 0.5))
        await Self.window(fixture)
        await Self.window(fixture)
        #expect(try fixture.kinds().filter { $0 == "monitorFiring" }.count == 1, "a monitor fires once while it breaches")
        fixture.backend.script("fraud", "v1", .init(errorRate: 0))
        await Self.window(fixture)
        #expect(try fixture.kinds().last == "monitorResolved")
        let statuses = await fixture.controller.monitors(of: "fraud")
        #expect(statuses.map(\.monitor) == ["errors"])
        #expect(statuses.first?.firing == nil)
    }

    @Test("windows with fewer samples than minSamples never fire")
    func thinWindows() async throws {
        let fixture = try await Self.deployed(Self.monitor(action: "alert"))
        fixture.backend.script("fraud", "v1", .init(errorRate: 0.5))
        await Self.window(fixture, requests: 5)
        #expect(!(try fixture.kinds()).contains("monitorFiring"))
    }

    @Test("the collection cursor is saved: a restarted controller does not count a bucket twice")
    func cursorSurvivesRestart() async throws {
        let fixture = try await Self.deployed(Self.monitor(action: "alert"))
        fixture.backend.script("fraud", "v1", .init(errorRate: 0.5))
        await Self.window(fixture)
        let readings = try fixture.store.monitorReadings(of: "fraud").count
        try fixture.restart()
        await fixture.pass(.start)
        await fixture.controller.monitorPass()
        #expect(try fixture.store.monitorReadings(of: "fraud").count == readings)
        #expect(try fixture.kinds().filter { $0 == "monitorFiring" }.count == 1)
    }

    @Test("the alert webhook gets the firing with model, version, monitor, values and commit")
    func alertWebhook() async throws {
        let receiver = try await WebhookCatcher()
        let fixture = try await Self.deployed(Self.monitor(action: "alert")) { $0.alertWebhook = WebhookTarget(url: receiver.url("/alerts")) }
        fixture.backend.script("fraud", "v1", .init(errorRate: 0.5))
        await Self.window(fixture)
        let alert = try #require(receiver.requests.first)
        #expect(alert.path == "/alerts")
        let body = alert.json
        #expect(body["kind"] as? String == "sluice.monitor")
        #expect(body["status"] as? String == "firing")
        #expect(body["model"] as? String == "fraud")
        #expect(body["version"] as? String == "v1")
        #expect(body["monitor"] as? String == "errors")
        #expect(body["value"] as? Double == 0.5)
        #expect(body["threshold"] as? Double == 0.1)
        #expect(body["commit"] as? String == (try fixture.repo.git(["rev-parse", "HEAD"])))
        #expect(alert.authorization == nil, "no token configured, none sent")
    }

    @Test("an alert receiver that is down is recorded as alertFailed; the firing is still recorded")
    func alertReceiverDown() async throws {
        let fixture = try await Self.deployed(Self.monitor(action: "alert")) { $0.alertWebhook = WebhookTarget(url: "http://127.0.0.1:1/alerts") }
        fixture.backend.script("fraud", "v1", .init(errorRate: 0.5))
        await Self.window(fixture)
        #expect(try fixture.kinds().suffix(2) == ["monitorFiring", "alertFailed"])
        #expect(try fixture.events(kind: "alertFailed").first?.message.contains("127.0.0.1:1/alerts did not answer") == true)
    }

    @Test("retrain waits for approval; `approve` then sends the request at once, with the evidence, once")
    func retrainApproval() async throws {
        let receiver = try await WebhookCatcher()
        let fixture = try await Self.deployed(Self.monitor(action: "retrain")) { $0.retrainWebhook = WebhookTarget(url: receiver.url("/retrain")) }
        fixture.backend.script("fraud", "v1", .init(errorRate: 0.5))
        await Self.window(fixture)
        let waiting = try #require(try fixture.events(kind: "retrainAwaitingApproval").first)
        #expect(waiting.message == "monitor errors asks for retraining; run `sluice approve fraud --monitor errors` to send the request")
        #expect(receiver.requests.isEmpty, "no retraining without approval")
        let outcome = await fixture.execute(.approve(model: "fraud", monitor: "errors", actor: "alice"))
        guard case .done(let message) = outcome else { Issue.record("\(outcome)"); return }
        #expect(message.hasPrefix("retraining on errors approved; monitor errors: retraining requested at http://127.0.0.1:\(receiver.port)/retrain (approved by alice)"), "\(message)")
        #expect(receiver.requests.count == 1)
        let body = try #require(receiver.requests.first?.json)
        #expect(body["kind"] as? String == "sluice.retrain")
        #expect((body["approval"] as? [String: Any])?["by"] as? String == "alice")
        #expect((body["idempotencyKey"] as? String)?.hasPrefix("fraud/errors/approval-") == true, "\(body)")
        #expect(!(body["evidence"] as? [[String: Any]] ?? []).isEmpty)
        #expect(try fixture.kinds().suffix(2) == ["retrainApproved", "retrainRequested"])
        // The approval is used: the breach going on sends nothing more.
        await Self.window(fixture)
        await Self.window(fixture)
        #expect(receiver.requests.count == 1)
    }

    @Test("an approval given before the monitor fires is used by the next firing")
    func approvalBeforeFiring() async throws {
        let receiver = try await WebhookCatcher()
        let fixture = try await Self.deployed(Self.monitor(action: "retrain")) { $0.retrainWebhook = WebhookTarget(url: receiver.url("/retrain")) }
        #expect(await fixture.execute(.approve(model: "fraud", monitor: "errors", actor: "bob")) == .done("retraining on errors approved; the request is sent the next time the monitor fires"))
        fixture.backend.script("fraud", "v1", .init(errorRate: 0.5))
        await Self.window(fixture)
        #expect(receiver.requests.count == 1)
        #expect(try fixture.events(kind: "retrainRequested").first?.actor == "monitor")
    }

    @Test("a retraining receiver that is down keeps the approval for the next firing")
    func retrainReceiverDown() async throws {
        let fixture = try await Self.deployed(Self.monitor(action: "retrain")) { $0.retrainWebhook = WebhookTarget(url: "http://127.0.0.1:1/retrain") }
        fixture.backend.script("fraud", "v1", .init(errorRate: 0.5))
        await Self.window(fixture)
        _ = await fixture.execute(.approve(model: "fraud", monitor: "errors", actor: "alice"))
        let failed = try #require(try fixture.events(kind: "retrainFailed").first)
        #expect(failed.message.hasSuffix("; the approval is kept for the next firing"), "\(failed.message)")
        #expect(try fixture.store.pendingApproval(model: "fraud", monitor: "errors")?.approvedBy == "alice")
    }

    @Test("approved retraining without controller.monitors.retrainWebhook says what to set")
    func retrainWithoutWebhook() async throws {
        let fixture = try await Self.deployed(Self.monitor(action: "retrain"))
        fixture.backend.script("fraud", "v1", .init(errorRate: 0.5))
        await Self.window(fixture)
        _ = await fixture.execute(.approve(model: "fraud", monitor: "errors", actor: "alice"))
        #expect(try fixture.events(kind: "retrainFailed").first?.message == "monitor errors is approved for retraining but controller.monitors.retrainWebhook is not set")
    }

    @Test("approve is refused for an unknown model, an unknown monitor (naming the ones there are) and a monitor that does not retrain")
    func approveRefused() async throws {
        let fixture = try await Self.deployed(Self.monitor(action: "retrain") + "    - name: latency\n      metric: latency_p99_ms\n      max: 100\n      window: 10s\n      action: alert\n")
        #expect(await fixture.execute(.approve(model: "nope", monitor: "errors", actor: "a")) == .refused("model nope is not in the desired state"))
        #expect(await fixture.execute(.approve(model: "fraud", monitor: "nope", actor: "a")) == .refused("model fraud has no monitor nope; it has errors, latency"))
        #expect(await fixture.execute(.approve(model: "fraud", monitor: "latency", actor: "a")) == .refused("monitor latency does not retrain (its action is alert); nothing to approve"))
        #expect(!(try fixture.kinds()).contains("retrainApproved"))
    }
}
