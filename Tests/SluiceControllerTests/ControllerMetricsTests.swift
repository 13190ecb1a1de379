import SluiceCore
import SluiceTestSupport
import Testing
@testable import SluiceController

/// The controller's `/metrics` text after real passes: checked by promtool, read back, and
/// per-model series gone with their model.
@Suite("controller metrics", .timeLimit(.minutes(10)))
struct ControllerMetricsTests {
    /// promtool's verdict on `text`: nothing printed and status 0, or the test fails.
    static func expectPromtoolAccepts(_ text: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) async throws {
        let promtool = try #require(Promtool.path, "promtool is not installed (scripts/setup.sh) and CI is set", sourceLocation: sourceLocation)
        let verdict = try await Promtool.checkMetrics(text, promtool: promtool)
        #expect(verdict.status == 0 && verdict.output.isEmpty, "promtool: \(verdict.output)\n\(text)", sourceLocation: sourceLocation)
    }

    @Test("after a failed canary analysis and a firing monitor: promtool accepts the text; verdicts, check values, monitors and histograms read back", .enabled(if: Promtool.enabled))
    func afterAnalysisAndMonitor() async throws {
        let fixture = try await AnalysisPassTests.analysed()
        fixture.backend.script("fraud", "v2", .init(errorRate: 0.3))
        await AnalysisPassTests.interval(fixture)
        #expect(await fixture.state()?.reason.rawValue == "AnalysisFailed")

        let text = await fixture.controller.metricsText()
        try await Self.expectPromtoolAccepts(text)
        let parsed = ParsedExposition(text)
        #expect(parsed.problems == [])
        #expect(parsed.value("sluice_analysis_runs_total", ["model": "fraud", "verdict": "Failed"]) == 1)
        #expect(parsed.value("sluice_analysis_runs_total", ["model": "fraud", "verdict": "Successful"]) == 0)
        #expect(parsed.value("sluice_analysis_check_value", ["model": "fraud", "check": "error_rate"]) == 0.3)
        let passes = parsed.histogram("sluice_reconcile_duration_seconds")
        #expect(passes.problems == [])
        #expect((passes.count ?? 0) >= 3)
        #expect(parsed.samples("sluice_reconcile_failures_total").map(\.labels["step"]) == ["read_git", "observe", "record", "apply"])
        #expect(parsed.samples("sluice_reconcile_failures_total").allSatisfy { $0.value == 0 })
        #expect(parsed.histogram("sluice_prometheus_query_duration_seconds").problems == [])
        #expect(parsed.samples("sluice_prometheus_query_failures_total").count == MetricQueryError.Kind.allCases.count)
        let revision = try #require(parsed.samples("sluice_model_info").first?.labels["stable_revision"])
        #expect(revision.count == 12)
        #expect(parsed.value("sluice_model_info", [
            "model": "fraud", "sync": "OutOfSync", "health": "Degraded", "reason": "AnalysisFailed", "stable_revision": revision,
        ]) == 1, "git asks for v2, v1 runs")
        // The aborted rollout has no step any more.
        #expect(parsed.samples("sluice_rollout_step").isEmpty)
    }

    @Test("a monitor's value and firing are exposed per version; a removed model's series disappear", .enabled(if: Promtool.enabled))
    func monitorAndRemoval() async throws {
        let (fixture, _) = try await MonitorPassTests.badCanary()
        await MonitorPassTests.window(fixture)
        var parsed = ParsedExposition(await fixture.controller.metricsText())
        #expect(parsed.problems == [])
        #expect(parsed.value("sluice_monitor_value", ["model": "fraud", "monitor": "errors", "version": "v2"]) == 0.5)
        #expect(parsed.value("sluice_monitor_firing", ["model": "fraud", "monitor": "errors", "version": "v2"]) == 1)
        #expect(parsed.value("sluice_monitor_firing", ["model": "fraud", "monitor": "errors", "version": "v1"]) == 0)

        try fixture.commit("drop fraud", ["other": Manifests.fraud(name: "other")], artifacts: Manifests.artifacts("a1"), remove: ["manifests/fraud.yaml"])
        await fixture.settle()
        let text = await fixture.controller.metricsText()
        try await Self.expectPromtoolAccepts(text)
        parsed = ParsedExposition(text)
        #expect(!parsed.samples.contains { $0.labels["model"] == "fraud" }, "\(text)")
        #expect(parsed.samples("sluice_model_info", matching: ["model": "other"]).count == 1)
    }

    @Test("recorded directly: hostile model and check names, NaN and infinite values, every failure kind and step; promtool accepts it", .enabled(if: Promtool.enabled))
    func hostileValues() async throws {
        let metrics = ControllerMetrics()
        let model = "m \"quoted\" \\ back\nslash ünï"
        var state = RolloutState(name: model, now: 0)
        state.health = .progressing
        let checks = [
            CheckMeasurement(metric: "p99 \"latency\"\n", value: .nan, stableValue: nil, threshold: "max 1", verdict: .inconclusive, detail: ""),
            CheckMeasurement(metric: "inf", value: .infinity, stableValue: nil, threshold: "max 1", verdict: .failed, detail: ""),
            CheckMeasurement(metric: "none", value: nil, stableValue: nil, threshold: "max 1", verdict: .inconclusive, detail: ""),
        ]
        metrics.recordAnalysis(model: model, run: AnalysisRun(at: 0, candidateWeight: 10, checks: checks))
        metrics.recordAnalysis(model: "gone", run: AnalysisRun(at: 0, candidateWeight: 10, checks: []))
        for step in ControllerMetrics.steps { metrics.recordPassFailure(step) }
        metrics.recordPassFailure(.apply)
        for kind in MetricQueryError.Kind.allCases { metrics.recordQuery(duration: .milliseconds(20), failure: kind) }
        metrics.recordQuery(duration: .seconds(60), failure: nil)
        metrics.recordQuery(duration: .milliseconds(-5), failure: nil)
        metrics.observePass(.microseconds(300))

        let text = metrics.text(states: [state])
        try await Self.expectPromtoolAccepts(text)
        let parsed = ParsedExposition(text)
        #expect(parsed.problems == [])
        #expect(parsed.value("sluice_analysis_check_value", ["model": model, "check": "p99 \"latency\"\n"])?.isNaN == true)
        #expect(parsed.value("sluice_analysis_check_value", ["model": model, "check": "inf"]) == .infinity)
        #expect(parsed.samples("sluice_analysis_check_value", matching: ["check": "none"]).isEmpty, "absent without a value")
        #expect(parsed.value("sluice_analysis_runs_total", ["model": model, "verdict": "Failed"]) == 1)
        #expect(parsed.samples("sluice_analysis_runs_total", matching: ["model": "gone"]).isEmpty, "a model without a state is dropped")
        #expect(parsed.value("sluice_reconcile_failures_total", ["step": "apply"]) == 2)
        #expect(parsed.value("sluice_prometheus_query_failures_total", ["kind": "bad_query"]) == 1)
        let queries = parsed.histogram("sluice_prometheus_query_duration_seconds")
        #expect(queries.problems == [])
        #expect(queries.count == Double(MetricQueryError.Kind.allCases.count + 2))
        #expect(queries.buckets.first { $0.le == 30 }?.count == Double(MetricQueryError.Kind.allCases.count + 1), "60 s is only in +Inf")
        #expect(parsed.histogram("sluice_reconcile_duration_seconds").buckets.first?.count == 1)
    }
}
