import Foundation
import SluiceConfig
import SluiceCore
import SluicePrometheus
import SluiceTestSupport
import Testing
@testable import SluiceController

/// Canary analysis and monitors judged by a real Prometheus: it scrapes a file of gauges the
/// test writes (per model and version), and the controller's `metric: prometheus` checks
/// query it through the real client. Verdicts, what the rollout does with them, and what
/// status and history say.
@Suite("controller passes: prometheus analysis", .enabled(if: PrometheusServer.isAvailable, "needs prometheus"), .timeLimit(.minutes(10)))
struct PrometheusAnalysisPassTests {
    /// A real Prometheus scraping a metrics file, and a client of it.
    final class Metrics: @unchecked Sendable {
        let target: StaticMetricsTarget
        let prometheus: PrometheusServer
        let client: PrometheusClient

        /// Serves `series` (plus a readiness sentinel) and waits until Prometheus has scraped it.
        init(_ series: String) async throws {
            target = try await StaticMetricsTarget(Self.exposition(series))
            prometheus = try await PrometheusServer(jobs: [.init(name: "models", targets: [target.address])])
            // The client's own HTTP client, configured as in production (a refused connection
            // fails at once); deinit shuts it down.
            client = try PrometheusClient(baseURL: prometheus.baseURL, timeout: .seconds(5))
            try await waitForScrape()
        }

        deinit {
            prometheus.stop()
            target.stop()
            // The task holds the client until its connections are closed, as AsyncHTTPClient requires.
            let client = self.client
            Task { try? await client.shutdown() }
        }

        static func exposition(_ series: String) -> String {
            "# TYPE model_p99_seconds gauge\n" + series + "# TYPE sluice_test_ready gauge\nsluice_test_ready 1\n"
        }

        /// Waits until a scrape of the target is queryable.
        func waitForScrape() async throws {
            for _ in 0..<200 {
                if case .value(1)? = try? await client.query("sum(sluice_test_ready)", at: nil).outcome { return }
                try await Task.sleep(for: .milliseconds(100))
            }
            throw FixtureError(message: "Prometheus never scraped the target:\n\(prometheus.log().suffix(2000))")
        }

        var provider: MetricsProvider { MetricsProvider(client: client, namespace: "risk", maxConcurrentQueries: 4) }
    }

    /// The p99 gauges of v1 (stable) and v2 (candidate).
    static func gauges(v1: Double?, v2: Double?) -> String {
        var text = ""
        if let v1 { text += "model_p99_seconds{model=\"fraud\",version=\"v1\"} \(v1)\n" }
        if let v2 { text += "model_p99_seconds{model=\"fraud\",version=\"v2\"} \(v2)\n" }
        return text
    }

    /// A prometheus check (`p99-latency`) with `thresholds`, over `query`.
    static func check(
        _ thresholds: String = "max: 0.12",
        query: String = #"max(model_p99_seconds{model="{{model}}",version="{{version}}"})"#
    ) -> String {
        "        - metric: prometheus\n          name: p99-latency\n          query: '\(query)'\n          \(thresholds)\n"
    }

    /// A canary of fraud v1 → v2 at 50% (then a 5m pause) whose analysis is `checks`, every 30 s.
    static func canary(_ metrics: Metrics?, checks: String, limits: String = "") async throws -> ControllerFixture {
        let fixture = try await ControllerFixture(
            files: ["manifests/fraud.yaml": Manifests.fraud()].merging(Manifests.artifacts("a1")) { $1 },
            metricsProvider: metrics?.provider)
        await fixture.settle(.start)
        let analysis = "      interval: 30s\n      minRequests: 20\n\(limits)      checks:\n" + checks
        try fixture.commit("fraud v2", ["fraud": Manifests.fraud(
            [("v1", "a1"), ("v2", "a2")], traffic: ["v1": 0, "v2": 100],
            extra: Manifests.rollout(["weight: 50", "pause: 5m"], analysis: analysis))], artifacts: Manifests.artifacts("a2"))
        await fixture.settle()
        #expect(fixture.weights() == ["v1": 50, "v2": 50])
        return fixture
    }

    /// One analysis interval, then the pass that judges it.
    static func interval(_ fixture: ControllerFixture) async {
        fixture.advance(30)
        fixture.backend.serve("fraud", requests: 200)
        await fixture.pass(.rolloutTick)
    }

    @Test("a canary judged only by Prometheus is promoted when its value is within the threshold; the value is stored under the check's name")
    func promoted() async throws {
        let metrics = try await Metrics(Self.gauges(v1: 0.1, v2: 0.05))
        let fixture = try await Self.canary(metrics, checks: Self.check())
        await Self.interval(fixture)
        #expect(try fixture.events(kind: "analysis").last?.message == "Successful at 50%")
        let measured = try #require(try fixture.store.measurements(of: "fraud").first)
        #expect(measured.metric == "p99-latency")
        #expect(measured.value == 0.05)
        #expect(measured.threshold == "max 0.12")
        fixture.advance(300)
        await fixture.pass(.rolloutTick)
        #expect(await fixture.state()?.reason.rawValue == "Promoted")
        #expect(fixture.weights() == ["v1": 0, "v2": 100])
    }

    @Test("a bad candidate is aborted and the reason names the check and the query's value")
    func aborted() async throws {
        let metrics = try await Metrics(Self.gauges(v1: 0.1, v2: 0.3))
        let fixture = try await Self.canary(metrics, checks: Self.check())
        await Self.interval(fixture)
        let state = try #require(await fixture.state())
        #expect(state.reason.rawValue == "AnalysisFailed")
        #expect(state.message.contains("p99-latency: 0.3 > max 0.12"), "\(state.message)")
        #expect(fixture.weights() == ["v1": 100])
    }

    @Test("maxRatioToStable renders the same query with the stable version: 1.5x stable's value fails 1.2")
    func ratioToStable() async throws {
        let metrics = try await Metrics(Self.gauges(v1: 0.1, v2: 0.15))
        let fixture = try await Self.canary(metrics, checks: Self.check("maxRatioToStable: 1.2"))
        await Self.interval(fixture)
        let measured = try #require(try fixture.store.measurements(of: "fraud").first)
        #expect(measured.verdict == "Failed")
        #expect(measured.value == 0.15)
        #expect(measured.detail == "0.15 is 1.5x stable's 0.1 > maxRatioToStable 1.2")
    }

    @Test("an empty result is Inconclusive, never a pass: the rollout pauses for a person")
    func emptyIsInconclusive() async throws {
        let metrics = try await Metrics(Self.gauges(v1: 0.1, v2: nil))
        let fixture = try await Self.canary(metrics, checks: Self.check())
        await Self.interval(fixture)
        let measured = try #require(try fixture.store.measurements(of: "fraud").first)
        #expect(measured.verdict == "Inconclusive")
        #expect(measured.detail == "the query for the candidate returned no series")
        #expect(await fixture.state()?.reason.rawValue == "Inconclusive")
        #expect(fixture.weights() == ["v1": 50, "v2": 50])
    }

    @Test("a query returning two series is an Error naming both label sets")
    func twoSeriesIsError() async throws {
        let metrics = try await Metrics(Self.gauges(v1: 0.1, v2: 0.05))
        let fixture = try await Self.canary(metrics, checks: Self.check(query: #"model_p99_seconds{model="{{model}}"}"#))
        await Self.interval(fixture)
        let measured = try #require(try fixture.store.measurements(of: "fraud").first)
        #expect(measured.verdict == "Error")
        #expect(measured.detail.contains("returned 2 series"), "\(measured.detail)")
        #expect(measured.detail.contains(#"version="v1""#) && measured.detail.contains(#"version="v2""#), "\(measured.detail)")
    }

    @Test("Prometheus down is an Error; past consecutiveErrorLimit the canary is aborted")
    func prometheusDown() async throws {
        let metrics = try await Metrics(Self.gauges(v1: 0.1, v2: 0.05))
        let fixture = try await Self.canary(metrics, checks: Self.check(), limits: "      consecutiveErrorLimit: 1\n")
        metrics.prometheus.stop()
        await Self.interval(fixture)
        let measured = try #require(try fixture.store.measurements(of: "fraud").first)
        #expect(measured.verdict == "Error")
        #expect(measured.detail.contains("failed (unreachable)"), "\(measured.detail)")
        #expect(fixture.weights() == ["v1": 50, "v2": 50], "one error is within the limit")
        await Self.interval(fixture)
        #expect(await fixture.state()?.reason.rawValue == "AnalysisError")
        #expect(fixture.weights() == ["v1": 100])
    }

    @Test("without a configured Prometheus a prometheus check is an Error that says so")
    func notConfigured() async throws {
        let fixture = try await Self.canary(nil, checks: Self.check())
        await Self.interval(fixture)
        let measured = try #require(try fixture.store.measurements(of: "fraud").first)
        #expect(measured.verdict == "Error")
        #expect(measured.detail.contains("no Prometheus is configured (controller.prometheus"), "\(measured.detail)")
    }

    @Test("the built-in metrics answered by Prometheus: error_rate from the configured templates, minRequests from the request count")
    func builtinMetricsFromPrometheus() async throws {
        let metrics = try await Metrics("""
            # TYPE model_requests gauge
            model_requests{model="fraud",version="v1"} 500
            model_requests{model="fraud",version="v2"} 400
            # TYPE model_error_ratio gauge
            model_error_ratio{model="fraud",version="v1"} 0.01
            model_error_ratio{model="fraud",version="v2"} 0.25

            """)
        var provider = metrics.provider
        provider.builtinQueries = BuiltinQueries(
            requests: QueryTemplate(#"sum(model_requests{model="{{model}}",version="{{version}}"})"#),
            metrics: [.errorRate: QueryTemplate(#"sum(model_error_ratio{model="{{model}}",version="{{version}}"})"#)])
        let fixture = try await ControllerFixture(
            files: ["manifests/fraud.yaml": Manifests.fraud()].merging(Manifests.artifacts("a1")) { $1 }, metricsProvider: provider)
        await fixture.settle(.start)
        try fixture.commit("fraud v2", ["fraud": Manifests.fraud(
            [("v1", "a1"), ("v2", "a2")], traffic: ["v1": 0, "v2": 100],
            extra: Manifests.rollout(["weight: 50", "pause: 5m"], analysis: Manifests.errorRate()))], artifacts: Manifests.artifacts("a2"))
        await fixture.settle()
        // The fake data plane's own statistics say no errors at all: the verdict must come from Prometheus.
        await Self.interval(fixture)
        let measured = try #require(try fixture.store.measurements(of: "fraud").first)
        #expect(measured.metric == "error_rate")
        #expect(measured.value == 0.25)
        #expect(measured.verdict == "Failed")
    }

    @Test("a prometheus monitor judges each serving version's ended window once, fires on a breach, and an unreachable Prometheus is an error reading, not a pass")
    func monitor() async throws {
        let metrics = try await Metrics(Self.gauges(v1: 0.3, v2: nil))
        let monitor = """
              monitors:
                - name: p99
                  metric: prometheus
                  query: 'max(model_p99_seconds{model="{{model}}",version="{{version}}"})'
                  max: 0.12
                  window: 10s

            """
        // Windows end after Prometheus' first scrape (the controller judges ended windows only).
        let start = (Date().timeIntervalSince1970 / 10).rounded(.up) * 10 + 20
        let fixture = try await ControllerFixture(
            files: ["manifests/fraud.yaml": Manifests.fraud(extra: monitor)].merging(Manifests.artifacts("a1")) { $1 },
            metricsProvider: metrics.provider, clockStart: start)
        await fixture.settle(.start)
        await fixture.controller.monitorPass()
        let firing = try #require(try fixture.events(kind: "monitorFiring").first)
        #expect(firing.message.hasPrefix("p99 warning on v1: prometheus 0.3 (> 0.12)"), "\(firing.message)")
        // The same window is not judged twice.
        await fixture.controller.monitorPass()
        #expect(try fixture.events(kind: "monitorFiring").count == 1)
        let judged = await fixture.controller.monitors(of: "fraud")
        #expect(judged.first?.latest?.windowEnd == Int64(start) - 10)

        metrics.prometheus.stop()
        fixture.advance(10)
        await fixture.controller.monitorPass()
        let latest = try #require(await fixture.controller.monitors(of: "fraud").first?.latest)
        #expect(latest.verdict == .error)
        #expect(latest.detail.contains("failed (unreachable)"), "\(latest.detail)")
        #expect(try fixture.events(kind: "monitorResolved").isEmpty, "an error resolves nothing")
    }
}
