import SluiceConfig
import SluiceCore
import SluiceTestSupport
import Testing
@testable import SluiceController

/// A failing alert receiver disturbs nothing else: the firing, the rollback it asks for and
/// the following passes go on; the failure is one `alertFailed` event (docs/monitors.md).
@Suite("controller passes: failing alert receivers", .timeLimit(.minutes(10)))
struct WebhookFailurePassTests {
    @Test("a rollback monitor fires on a canary while the alert receiver answers 500: alertFailed is recorded, the canary is still aborted and traffic goes back to stable")
    func failingReceiverDoesNotStopRollback() async throws {
        let receiver = try await WebhookCatcher(status: .internalServerError)
        let target = try #require(WebhookTarget(url: receiver.url("/alerts")))
        let monitor = MonitorPassTests.monitor(action: "rollback")
        let fixture = try await MonitorPassTests.deployed(monitor) { $0.alertWebhook = target }
        _ = try fixture.commit("fraud v2 (bad)", ["fraud": Manifests.fraud(
            [("v1", "a1"), ("v2", "a2")], traffic: ["v1": 0, "v2": 100], extra: Manifests.rollout(["weight: 50", "pause: 1h"]) + monitor)])
        await fixture.settle()
        #expect(fixture.weights() == ["v1": 50, "v2": 50])
        fixture.backend.script("fraud", "v2", .init(errorRate: 0.5))
        await MonitorPassTests.window(fixture)

        #expect(receiver.requests.count == 1, "one attempt per alert")
        #expect(try fixture.kinds().suffix(3) == ["monitorFiring", "alertFailed", "aborted"])
        let failed = try #require(try fixture.events(kind: "alertFailed").first)
        #expect(failed.message == "\(target) answered 500")
        #expect(failed.actor == "monitor")
        #expect(await fixture.state()?.reason.rawValue == "MonitorFired")
        await fixture.pass(.monitorRollback)
        #expect(fixture.weights() == ["v1": 100])

        // The monitor pass goes on: a later window (stable alone and healthy) sends nothing.
        await MonitorPassTests.window(fixture)
        #expect(receiver.requests.count == 1)
        #expect(try fixture.kinds().filter { $0 == "alertFailed" }.count == 1)
    }
}
