import Foundation
import SluiceConfig
import SluiceCore
import SluicePrometheus
import SluiceTestSupport
import Testing
@testable import SluiceController

/// A benchmark, not a test of behaviour: run with `SLUICE_BENCH=1 swift test --filter
/// PrometheusAnalysisScaleBenchmark` (Benchmarks/README.md). 1,000 models canary at once,
/// each with one check; the pass that judges them all is timed with the check answered by
/// the gateway's statistics, by a real Prometheus with 16 queries in flight, and with one
/// at a time. The controller's CPU is read with getrusage (Prometheus is another process).
@Suite("benchmark: prometheus analysis at scale", .enabled(if: ProcessInfo.processInfo.environment["SLUICE_BENCH"] == "1"), .timeLimit(.minutes(10)))
struct PrometheusAnalysisScaleBenchmark {
    static let models = 1000

    /// One model's manifest: v1 → v2 at 50% with `check` judged every 30 s.
    static func manifest(_ index: Int, check: String, v2: Bool) -> String {
        let name = String(format: "m%04d", index)
        var text = "apiVersion: sluice/v1\nkind: ModelDeployment\nmetadata:\n  name: \(name)\nspec:\n  runtime: python-v2\n  versions:\n"
        text += "    - name: v1\n      artifact: models/a1.json\n"
        guard v2 else { return text + "  traffic: {v1: 100}\n" }
        text += "    - name: v2\n      artifact: models/a2.json\n  traffic: {v1: 0, v2: 100}\n"
        return text + Manifests.rollout(["weight: 50", "pause: 5m"], analysis: "      interval: 30s\n      minRequests: 20\n      checks:\n" + check)
    }

    static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }

    /// The judging pass of 1,000 canaries: wall and controller CPU seconds, and how many
    /// models were judged Successful.
    static func judgingPass(check: String, provider: MetricsProvider?) async throws -> (wall: Double, cpu: Double, successful: Int) {
        var files = Manifests.artifacts("a1", "a2")
        for index in 0..<models { files["manifests/\(String(format: "m%04d", index)).yaml"] = manifest(index, check: check, v2: false) }
        let fixture = try await ControllerFixture(files: files, metricsProvider: provider)
        await fixture.settle(.start)
        var next: [String: String] = [:]
        for index in 0..<models { next[String(format: "m%04d", index)] = manifest(index, check: check, v2: true) }
        try fixture.commit("every model to v2", next)
        await fixture.settle()
        fixture.advance(30)
        for index in 0..<models { fixture.backend.serve(String(format: "m%04d", index), requests: 100) }
        let cpu = cpuSeconds()
        let started = ContinuousClock.now
        await fixture.pass(.rolloutTick)
        let wall = ContinuousClock.now - started
        let spent = cpuSeconds() - cpu
        let successful = try (0..<models).filter { index in
            try fixture.store.measurements(of: String(format: "m%04d", index)).first?.verdict == "Successful"
        }.count
        return (Double(wall.components.seconds) + Double(wall.components.attoseconds) / 1e18, spent, successful)
    }

    @Test("1,000 models with one check each: the judging pass with the gateway's statistics, and with Prometheus batched and sequential")
    func scale() async throws {
        var series = "# TYPE model_p99_seconds gauge\n"
        for index in 0..<Self.models {
            for version in ["v1", "v2"] { series += "model_p99_seconds{model=\"\(String(format: "m%04d", index))\",version=\"\(version)\"} 0.05\n" }
        }
        let metrics = try await PrometheusAnalysisPassTests.Metrics(series)
        let prometheusCheck = PrometheusAnalysisPassTests.check()
        let gatewayCheck = "        - metric: error_rate\n          max: 0.1\n"
        var rows: [String] = []
        for round in 0..<2 {
            let gateway = try await Self.judgingPass(check: gatewayCheck, provider: nil)
            var batched = metrics.provider
            batched.maxConcurrentQueries = 16
            let concurrent = try await Self.judgingPass(check: prometheusCheck, provider: batched)
            batched.maxConcurrentQueries = 1
            let sequential = try await Self.judgingPass(check: prometheusCheck, provider: batched)
            #expect(gateway.successful == Self.models && concurrent.successful == Self.models && sequential.successful == Self.models)
            for (name, result) in [("gateway", gateway), ("prometheus x16", concurrent), ("prometheus x1", sequential)] {
                rows.append(String(format: "round %d  %-15@ wall %.3f s  controller CPU %.3f s  (%.0f µs per check)", round, name as NSString,
                                   result.wall, result.cpu, result.cpu / Double(Self.models) * 1e6))
            }
        }
        print(rows.joined(separator: "\n"))
    }
}
