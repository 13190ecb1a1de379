import Foundation
import SluiceCore
import SluiceTestSupport
import Testing
@testable import SluiceController

/// Replicas through the controller, in-process: the spec carries each version's bounds as
/// the rollout engine derives them, and the data plane's scale events reach history once.
@Suite("controller passes: scaling", .timeLimit(.minutes(10)))
struct ScalingPassTests {
    static let scaling = "  scaling:\n    minReplicas: 4\n    maxReplicas: 8\n    target: {concurrency: 2}\n"
    static let files = ["manifests/fraud.yaml": Manifests.fraud(extra: scaling)].merging(Manifests.artifacts("a1", "a2")) { $1 }

    static func event(_ sequence: Int, _ from: Int, _ to: Int, model: String = "fraud") -> ScaleEvent {
        ScaleEvent(
            sequence: sequence, at: "2027-01-15T08:00:0\(sequence)Z", model: model, version: "v1", from: from, to: to, reason: .load,
            load: 3.5, message: "v1: \(from) → \(to) replicas (in flight 3.5 per replica, target 2)")
    }

    /// `version: [min, max]` of the spec the data plane was sent.
    func bounds(_ fixture: ControllerFixture) throws -> [String: [Int]] {
        let model = try #require(fixture.backend.spec?.model("fraud"))
        var found: [String: [Int]] = [:]
        for version in model.versions { found[version.name] = version.scaling.map { [$0.minReplicas, $0.maxReplicas] } }
        return found
    }

    @Test("the spec gives a 25% canary a quarter of the bounds and the stable version all of them")
    func canaryBoundsReachTheSpec() async throws {
        let fixture = try await ControllerFixture(files: Self.files)
        await fixture.settle(.start)
        #expect(try bounds(fixture) == ["v1": [4, 8]])
        try fixture.repo.commit("v2 canary", files: ["manifests/fraud.yaml": Manifests.fraud(
            [("v1", "a1"), ("v2", "a2")], traffic: ["v1": 0, "v2": 100],
            extra: Self.scaling + Manifests.rollout(["weight: 25", "approval: {}"]))])
        await fixture.settle()
        #expect(fixture.weights() == ["v1": 75, "v2": 25])
        #expect(try bounds(fixture) == ["v1": [4, 8], "v2": [1, 2]])
        guard case .done = await fixture.execute(.abort(model: "fraud", actor: "test")) else {
            Issue.record("the abort was refused")
            return
        }
        await fixture.settle()
        #expect(try bounds(fixture) == ["v1": [4, 8]], "the abort flips onto the stable set, whose bounds never moved")
    }

    @Test("scale events are recorded once each, across repeated answers, a controller restart and a new data-plane run")
    func scaleEventsReachHistoryOnce() async throws {
        let fixture = try await ControllerFixture(files: Self.files)
        await fixture.settle(.start)
        let before = try fixture.kinds()
        let settled = try #require(await fixture.state())

        fixture.backend.reportScaling(instance: "run-a", events: [Self.event(1, 4, 6), Self.event(2, 6, 7), Self.event(3, 1, 2, model: "gone")])
        await fixture.pass()
        #expect(try fixture.kinds() == before + ["scaled", "scaled"], "an unknown model's event is passed over")
        #expect(try fixture.events(kind: "scaled").map(\.message) == [
            "v1: 4 → 6 replicas (in flight 3.5 per replica, target 2)", "v1: 6 → 7 replicas (in flight 3.5 per replica, target 2)",
        ])
        #expect(try fixture.events(kind: "scaled").allSatisfy { $0.actor == "data plane" })
        let after = try #require(await fixture.state())
        #expect(after.health == settled.health && after.reason == settled.reason && after.stable == settled.stable, "no rollout decision moved")

        await fixture.pass()
        #expect(try fixture.events(kind: "scaled").count == 2, "the same answer again records nothing")

        fixture.backend.reportScaling(instance: "run-a", events: [Self.event(2, 6, 7), Self.event(3, 1, 2, model: "gone"), Self.event(4, 7, 8)])
        await fixture.pass()
        #expect(try fixture.events(kind: "scaled").map(\.message).last == "v1: 7 → 8 replicas (in flight 3.5 per replica, target 2)")
        #expect(try fixture.events(kind: "scaled").count == 3)

        try fixture.restart()
        await fixture.pass()
        #expect(try fixture.events(kind: "scaled").count == 3, "a restarted controller remembers where it stopped")

        fixture.backend.reportScaling(instance: "run-b", events: [Self.event(1, 1, 4)])
        await fixture.pass()
        #expect(try fixture.events(kind: "scaled").count == 4, "a new data-plane run starts its sequence again")
        #expect(try fixture.events(kind: "scaled").last?.message == "v1: 1 → 4 replicas (in flight 3.5 per replica, target 2)")
    }

    @Test("status and metrics show each version's ready and desired replicas, and the cap that limits them")
    func replicasInStatusAndMetrics() async throws {
        let fixture = try await ControllerFixture(files: Self.files)
        await fixture.settle(.start)
        fixture.backend.reportScaling(instance: "run-a", events: [], replicas: [
            "fraud/v1": ObservedReplicas(desired: 6, ready: 5, minReplicas: 4, maxReplicas: 8, load: 2.5, target: 2, metric: .concurrency, limitedBy: .maxProcesses),
        ])
        await fixture.pass()
        let replicas = await fixture.controller.replicas(of: "fraud")
        #expect(replicas["v1"]?.desired == 6)
        let state = try #require(await fixture.state())
        let json = StatusJSON.summary(state, replicas: replicas)
        #expect(json["replicas"]?["v1"]?["ready"] == .int(5))
        #expect(json["replicas"]?["v1"]?["desired"] == .int(6))
        #expect(json["replicas"]?["v1"]?["limitedBy"] == .string("maxProcesses"))

        let text = await fixture.controller.metricsText()
        if Promtool.enabled { try await ControllerMetricsTests.expectPromtoolAccepts(text) }
        var metrics = ParsedExposition(text)
        #expect(metrics.problems == [])
        #expect(metrics.value("sluice_model_replicas", ["model": "fraud", "version": "v1", "state": "desired"]) == 6)
        #expect(metrics.value("sluice_model_replicas", ["model": "fraud", "version": "v1", "state": "ready"]) == 5)

        fixture.backend.reportScaling(instance: "run-a", events: [])
        await fixture.pass()
        metrics = ParsedExposition(await fixture.controller.metricsText())
        #expect(metrics.value("sluice_model_replicas", ["model": "fraud", "version": "v1", "state": "desired"]) == nil)
        #expect(await fixture.controller.replicas(of: "fraud").isEmpty)
    }
}

/// Which scale events of an answer are new, by the data plane's run and sequence.
@Suite("scale event cursor", .timeLimit(.minutes(10)))
struct ScaleEventCursorTests {
    static func answer(_ instance: String?, _ sequences: [Int]) -> ObservedState {
        ObservedState(models: [], instance: instance, scaleEvents: sequences.map {
            ScaleEvent(sequence: $0, at: "2027-01-15T08:00:00Z", model: "fraud", version: "v1", from: 1, to: 2, reason: .load, message: "v1: 1 → 2 replicas")
        })
    }

    @Test func onlyEventsAfterTheCursorInTheSameRunAreNew() {
        let first = ScaleEventCursor.unseen(in: Self.answer("a", [3, 1, 2]), after: nil)
        #expect(first.events.map(\.sequence) == [1, 2, 3], "oldest first")
        #expect(first.cursor == ScaleEventCursor(instance: "a", sequence: 3))
        #expect(ScaleEventCursor.unseen(in: Self.answer("a", [2, 3]), after: first.cursor).events.isEmpty)
        #expect(ScaleEventCursor.unseen(in: Self.answer("b", [1]), after: first.cursor).events.map(\.sequence) == [1])
        let none = ScaleEventCursor.unseen(in: Self.answer(nil, [1]), after: first.cursor)
        #expect(none.events.isEmpty && none.cursor == first.cursor, "a data plane without an instance records nothing")
    }

    @Test func oneAnswerRecordsAtMostTheNewestHundred() {
        let flood = ScaleEventCursor.unseen(in: Self.answer("a", Array(1...1000)), after: nil)
        #expect(flood.events.count == ScaleEventCursor.maximumPerAnswer)
        #expect(flood.events.first?.sequence == 901 && flood.cursor?.sequence == 1000)
    }

    @Test func aSavedCursorReadsBackAndAnUnreadableOneIsNone() {
        let cursor = ScaleEventCursor(instance: "a", sequence: 7)
        #expect(ScaleEventCursor(setting: cursor.setting) == cursor)
        #expect(ScaleEventCursor(setting: "{not json") == nil)
        #expect(ScaleEventCursor(setting: nil) == nil)
    }
}
