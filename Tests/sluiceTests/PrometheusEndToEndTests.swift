import Foundation
import SluiceTestSupport
import Testing

/// The real binaries with a real Prometheus: `sluice serve` is scraped every second, and
/// `sluice controller` judges canaries only with `metric: prometheus` checks over Sluice's
/// own request-duration histogram and error counter.
@Suite("prometheus end to end", .enabled(if: PrometheusServer.isAvailable, "needs prometheus"), .timeLimit(.minutes(10)))
struct PrometheusEndToEndTests {
    /// Error ratio and p99 latency of the version under analysis, from Sluice's own metrics.
    static let canary = """
          rollout:
            steps:
              - weight: 50
              - pause: 1s
            analysis:
              interval: 5s
              # The default (100) in a 5 s window needs a throughput a loaded machine may not
              # reach; ten requests still make the error ratio a real measurement.
              minRequests: 10
              # Until Prometheus has scraped the new version twice its series are empty, and a
              # loaded machine may starve the load generator: Inconclusive, tolerated. The
              # verdicts asserted (promoted, aborted) need one judged window.
              inconclusiveLimit: 40
              checks:
                - metric: prometheus
                  name: error-ratio
                  query: >-
                    sum(rate(sluice_request_errors_total{model="{{model}}",version="{{version}}"}[{{window}}]))
                    / sum(rate(sluice_requests_total{model="{{model}}",version="{{version}}"}[{{window}}]))
                  max: 0.1
                - metric: prometheus
                  name: p99-latency
                  query: >-
                    histogram_quantile(0.99, sum by (le)
                    (rate(sluice_request_duration_seconds_bucket{model="{{model}}",version="{{version}}"}[{{window}}])))
                  max: 2

        """

    @Test("a canary judged only by Prometheus: a good candidate is promoted, a bad one is aborted and status names the query's value")
    func canaryJudgedByPrometheus() async throws {
        let harness = try ControllerHarness()
        let prometheus = try await PrometheusServer(jobs: [.init(name: "sluice-serve", targets: ["127.0.0.1:\(harness.servePort)"])])
        defer { prometheus.stop() }
        // The controller section is last in sluice.yaml.
        let config = harness.directory.appendingPathComponent("sluice.yaml")
        let text = try String(contentsOf: config, encoding: .utf8) + "\n  prometheus:\n    url: \(prometheus.baseURL)\n    timeout: 5s\n"
        try text.write(to: config, atomically: true, encoding: .utf8)

        try harness.repo.commit("fraud v1", files: ["manifests/fraud.yaml": ControllerHarness.fraud([("v1", "fraud-v2.1.json")], traffic: ["v1": 100])])
        try harness.start("serve")
        try harness.start("controller")
        defer { harness.forceStop("controller"); harness.forceStop("serve") }
        try await harness.waitFor(health: "Healthy")
        let load = harness.traffic()
        defer { load.cancel() }

        try harness.repo.commit("fraud v2", files: ["manifests/fraud.yaml": ControllerHarness.fraud(
            [("v1", "fraud-v2.1.json"), ("v2", "fraud-v2.2.json")], traffic: ["v1": 0, "v2": 100], rollout: Self.canary)])
        try await harness.waitUntil("v2 promoted", seconds: 240) {
            (try await harness.model()["stable"] as? [String: Any])?["version"] as? String == "v2"
        }
        let measurements = try await harness.model()["measurements"] as? [[String: Any]] ?? []
        let judged = measurements.filter { $0["verdict"] as? String == "Successful" }
        #expect(judged.contains { $0["metric"] as? String == "error-ratio" && $0["value"] as? Double == 0 }, "\(measurements)")
        #expect(judged.contains { $0["metric"] as? String == "p99-latency" && ($0["value"] as? Double ?? 0) > 0 }, "\(measurements)")

        // Half of v3's answers are 500s: the error ratio that Prometheus computes aborts it.
        try harness.repo.commit("fraud v3 (bad)", files: ["manifests/fraud.yaml": ControllerHarness.fraud(
            [("v2", "fraud-v2.2.json"), ("v3", "fraud-bad.json")], traffic: ["v2": 0, "v3": 100], rollout: Self.canary)])
        // Aborted (AnalysisFailed); a later timed pass says CandidateFailed: both name the value.
        try await harness.waitUntil("v3 aborted by the analysis", seconds: 240) {
            let state = try await harness.model()
            return state["health"] as? String == "Degraded" && ["AnalysisFailed", "CandidateFailed"].contains(state["reason"] as? String ?? "")
        }
        let degraded = try await harness.model()
        let message = degraded["message"] as? String ?? ""
        #expect(message.contains("error-ratio: 0."), "\(degraded)")
        #expect(message.contains("> max 0.1"), "\(degraded)")
        let failed = (degraded["measurements"] as? [[String: Any]] ?? []).filter { $0["verdict"] as? String == "Failed" }
        #expect((failed.first?["value"] as? Double ?? 0) > 0.1, "\(failed)")
        let status = try await harness.cli(["status", "fraud"])
        #expect(status.stdout.contains("error-ratio"), "\(status.stdout)")
        for _ in 0..<10 { #expect(try await harness.infer().1 == "v2") }
    }
}
