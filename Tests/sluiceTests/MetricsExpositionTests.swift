import Foundation
import SluiceTestSupport
import Testing

/// `sluice serve`'s `/metrics` as Prometheus reads it: promtool on the real endpoint after
/// real traffic (answers, 5xx and mirrored copies), and the histogram read back.
@Suite("sluice serve /metrics", .serialized, .timeLimit(.minutes(10)))
struct MetricsExpositionTests {
    @Test("promtool accepts /metrics after 2xx, 5xx and mirrored traffic; served requests and mirrored copies are counted apart, each in its histogram exactly once", .enabled(if: Promtool.enabled))
    func promtoolAndHistogram() async throws {
        let promtool = try #require(Promtool.path, "promtool is not installed (scripts/setup.sh) and CI is set")
        let serve = try ServeHarness()
        try await serve.start()
        defer { serve.forceStop() }
        // v1 answers; v2 fails every request and gets a mirrored copy of each of v1's.
        try await serve.apply(ServeHarness.fraudSpec(weights: ["v1": 100, "v2": 0], runtimes: ["v2": "failing"], mirror: ("v2", 100)))
        try await serve.waitReady("fraud", ["v1", "v2"])
        let routed = 30, direct = 7
        for _ in 0..<routed { #expect(try await serve.infer("fraud").status == 200) }
        for _ in 0..<direct { #expect(try await serve.infer("fraud", version: "v2").status == 500) }
        let url = serve.inferenceURL.appendingPathComponent("/metrics")
        // Mirrored copies are answered after the caller's response: wait until all are counted.
        var text = ""
        try await serve.waitUntil("mirrored copies counted", seconds: 90) {
            text = try await serve.request("GET", url).text
            return ParsedExposition(text).value("sluice_mirrored_requests_total", ["model": "fraud", "version": "v2"]) == Double(routed)
        }

        let verdict = try await Promtool.checkMetrics(text, promtool: promtool)
        #expect(verdict.status == 0 && verdict.output.isEmpty, "promtool: \(verdict.output)\n\(text)")
        let parsed = ParsedExposition(text)
        #expect(parsed.problems == [])
        let v1 = ["model": "fraud", "version": "v1"], v2 = ["model": "fraud", "version": "v2"]
        // Served requests and mirrored copies are counted apart: the served families sum to
        // the calls made, and v2's copies are only in the mirrored ones.
        #expect(parsed.value("sluice_requests_total", v1.merging(["code_class": "2xx"]) { $1 }) == Double(routed))
        #expect(parsed.value("sluice_requests_total", v2.merging(["code_class": "5xx"]) { $1 }) == Double(direct))
        let served = parsed.samples.filter { $0.name == "sluice_requests_total" }.reduce(0) { $0 + $1.value }
        #expect(served == Double(routed + direct))
        #expect(parsed.value("sluice_request_errors_total", v2) == Double(direct))
        #expect(parsed.value("sluice_request_errors_total", v1) == 0)
        #expect(parsed.value("sluice_mirrored_request_errors_total", v2) == Double(routed))
        #expect(parsed.value("sluice_mirrored_requests_total", v1) == 0)
        for (family, labels, requests) in [
            ("sluice_request_duration_seconds", v1, routed), ("sluice_request_duration_seconds", v2, direct),
            ("sluice_mirrored_request_duration_seconds", v2, routed),
        ] {
            let histogram = parsed.histogram(family, labels)
            #expect(histogram.problems == [], "\(family) \(labels)")
            #expect(histogram.count == Double(requests), "\(family) \(labels)")
            #expect((histogram.sum ?? 0) > 0)
            #expect(histogram.buckets.count == 18)
        }
        #expect(parsed.value("sluice_route_weight_percent", v1) == 100)
        #expect(parsed.value("sluice_route_effective_weight_percent", v2) == 0)
        #expect(parsed.value("sluice_version_ready", v2) == 1)
        #expect(parsed.types["sluice_request_duration_seconds"] == "histogram")
    }
}
