import Foundation
import SluiceTestSupport
import Testing
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Canaries scale with their weight (issue 21 §3), through the real controller, data plane
/// and model servers: a canary at 25% runs about a quarter of the model's replicas while the
/// stable version keeps its full set, so an abort is an instant flip onto capacity that
/// never went away.
@Suite("canary capacity", .serialized, .timeLimit(.minutes(10)))
struct ReplicaCanaryTests {
    @Test("a canary at 25% gets a quarter of the replicas; the stable set stays whole and serves alone after the abort")
    func canaryScalesWithItsWeight() async throws {
        let harness = try ControllerHarness(serveExtra: "  maxProcesses: 12")
        // Three replicas first; then git asks for four at least, eight under load (a change of
        // capacity alone: applied at once, no canary). The canary's share is ceil(25% of them).
        func scaling(minimum: Int) -> String {
            "  scaling:\n    minReplicas: \(minimum)\n    maxReplicas: 8\n    target: {concurrency: 2}\n    scaleDownDelay: 10m\n"
        }
        try harness.repo.commit("fraud v1 on three replicas", files: [
            "manifests/fraud.yaml": ControllerHarness.fraud([("v1", "fraud-v2.1.json")], traffic: ["v1": 100], rollout: scaling(minimum: 3)),
        ])
        try harness.start("serve")
        try harness.start("controller")
        defer { harness.forceStop("controller"); harness.forceStop("serve") }
        try await harness.waitFor(health: "Healthy")
        try await harness.waitUntil("three ready replicas of v1") { try await replicas(harness, "v1")?.ready ?? 0 >= 3 }
        try harness.repo.commit("fraud v1 on four replicas", files: [
            "manifests/fraud.yaml": ControllerHarness.fraud([("v1", "fraud-v2.1.json")], traffic: ["v1": 100], rollout: scaling(minimum: 4)),
        ])
        try await harness.waitUntil("four ready replicas of v1") { try await replicas(harness, "v1")?.ready ?? 0 >= 4 }
        #expect(try await harness.history().contains("updated"), "a change of capacity alone is no rollout")
        #expect(try await harness.model()["candidate"] == nil)

        let canary = scaling(minimum: 4) + "  rollout:\n    steps:\n      - weight: 25\n      - approval: {}\n"
        try harness.repo.commit("fraud v2 canary", files: ["manifests/fraud.yaml": ControllerHarness.fraud(
            [("v1", "fraud-v2.1.json"), ("v2", "fraud-v2.2.json")], traffic: ["v1": 0, "v2": 100], rollout: canary)])
        let load = harness.traffic()
        defer { load.cancel() }
        try await harness.waitFor(health: "Paused", reason: "AwaitingApproval", seconds: 120)
        #expect(try await harness.model()["weights"] as? [String: Int] == ["v1": 75, "v2": 25])

        let candidate = try #require(try await replicas(harness, "v2"))
        #expect(candidate.minReplicas == 1 && candidate.maxReplicas == 2, "ceil(25% of 4 and of 8): \(candidate)")
        #expect((1...2).contains(candidate.desired), "\(candidate)")
        let stable = try #require(try await replicas(harness, "v1"))
        #expect(stable.minReplicas == 4 && stable.maxReplicas == 8, "the stable version keeps its bounds: \(stable)")
        #expect(stable.ready >= 4, "\(stable)")

        // What the user sees of it: replicas per version in `sluice status`, and the data
        // plane's scale events in the model's history.
        let table = try await harness.cli(["status"])
        #expect(table.stdout.contains("REPLICAS"), "\(table.stdout)")
        #expect(table.stdout.range(of: #"v1=\d+/\d+ v2=\d/\d"#, options: .regularExpression) != nil, "\(table.stdout)")
        try await harness.waitUntil("the scale events in the history") {
            let lines = try await harness.cli(["history", "fraud"]).stdout.split(separator: "\n")
            return lines.contains { $0.contains("scaled") && $0.contains("v1: 3 → 4 replicas") }
        }

        // The abort moves every request back at once, onto replicas that kept running.
        let readyBefore = stable.ready
        #expect(try await harness.cli(["abort", "fraud"]).status == 0)
        try await harness.waitUntil("v1 serves alone") { try await harness.model()["weights"] as? [String: Int] == ["v1": 100] }
        let afterAbort = try #require(try await replicas(harness, "v1"))
        #expect(afterAbort.ready >= min(readyBefore, 4), "no stable replica was started or lost by the abort: \(afterAbort)")
        load.cancel()
        let answers = await load.value
        let failed = answers.filter { $0.0 != 200 }
        #expect(failed.isEmpty, "every request was answered through the canary and the abort: \(failed.prefix(5))")
        try await harness.waitUntil("the canary's processes stopped") { try await replicas(harness, "v2") == nil }
    }

    /// The data plane's view of a version's replicas (`GET /v1/state`), nil when it does not run it.
    private func replicas(_ harness: ControllerHarness, _ version: String) async throws -> Replicas? {
        let state = try await harness.admin("/v1/state")
        let models = state["models"] as? [[String: Any]] ?? []
        let versions = models.first { $0["name"] as? String == "fraud" }?["versions"] as? [[String: Any]] ?? []
        guard let entry = versions.first(where: { $0["name"] as? String == version }),
              let replicas = entry["replicas"] as? [String: Any] else { return nil }
        return Replicas(
            desired: replicas["desired"] as? Int ?? 0, ready: replicas["ready"] as? Int ?? 0,
            minReplicas: replicas["minReplicas"] as? Int ?? 0, maxReplicas: replicas["maxReplicas"] as? Int ?? 0)
    }

    private struct Replicas: CustomStringConvertible {
        var desired: Int
        var ready: Int
        var minReplicas: Int
        var maxReplicas: Int

        var description: String { "desired \(desired), ready \(ready), bounds \(minReplicas)…\(maxReplicas)" }
    }
}
