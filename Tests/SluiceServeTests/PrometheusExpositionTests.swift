import SluiceCore
import SluiceServe
import SluiceTestSupport
import Testing

/// The one exposition writer both `/metrics` use: numbers, escapes, family layout, and
/// promtool's verdict on the data plane's statistics with hostile names.
@Suite("Prometheus exposition", .timeLimit(.minutes(10)))
struct PrometheusExpositionTests {
    @Test("numbers are written as Prometheus parses them, in no locale")
    func numbers() {
        #expect(PrometheusExposition.format(.nan) == "NaN")
        #expect(PrometheusExposition.format(.infinity) == "+Inf")
        #expect(PrometheusExposition.format(-.infinity) == "-Inf")
        #expect(PrometheusExposition.format(1) == "1")
        #expect(PrometheusExposition.format(-0.0) == "0")
        #expect(PrometheusExposition.format(2.5) == "2.5")
        #expect(PrometheusExposition.format(0.0005) == "0.0005")
        #expect(PrometheusExposition.format(1e-7) == "1e-07")
        #expect(PrometheusExposition.format(1_234_567) == "1234567")
        #expect(PrometheusExposition.format(1e300) == "1e+300")
        for value in [0.1, 1e-7, 123.456, 1e300, 0.075] {
            #expect(Double(PrometheusExposition.format(value)) == value, "round trip of \(value)")
        }
    }

    @Test("label values escape backslash, quote and line feed only; help text escapes backslash and line feed")
    func escapes() {
        #expect(PrometheusExposition.escapeLabel(#"a\b"c"# + "\nd\tü") == #"a\\b\"c\nd"# + "\tü")
        #expect(PrometheusExposition.escapeLabel("plain") == "plain")
        #expect(PrometheusExposition.escapeHelp("a \\ b\n\"c\"") == #"a \\ b\n"c""#)
    }

    @Test("a histogram: cumulative buckets from per-bucket counts, +Inf equal to _count, then _sum and _count")
    func histogramLayout() {
        var exposition = PrometheusExposition()
        exposition.family("x_seconds", .histogram, help: "X.")
        exposition.histogram("x_seconds", [("a", "1")], bounds: [0.1, 1], perBucket: [2, 3], sum: 1.5, count: 7)
        #expect(exposition.text == """
            # HELP x_seconds X.
            # TYPE x_seconds histogram
            x_seconds_bucket{a="1",le="0.1"} 2
            x_seconds_bucket{a="1",le="1"} 5
            x_seconds_bucket{a="1",le="+Inf"} 7
            x_seconds_sum{a="1"} 1.5
            x_seconds_count{a="1"} 7

            """)
    }

    @Test("promtool accepts the data plane's statistics for names with quotes, backslashes, line feeds and Unicode, every status class", .enabled(if: Promtool.enabled))
    func promtoolOnHostileNames() async throws {
        let promtool = try #require(Promtool.path, "promtool is not installed (scripts/setup.sh) and CI is set")
        let statistics = TrafficStatistics()
        let names = ["fraud \"x\"\\y\nz", "ünïcödé ✓", "", "a{b}=c,d"]
        for (index, model) in names.enumerated() {
            for status in [101, 200, 302, 404, 503, 0] {
                statistics.record(model: model, version: "v\(index)\\\"", status: status, latencyMicros: UInt64(index * 7_000 + status), mirrored: status == 503)
            }
        }
        let text = statistics.prometheusText()
        let verdict = try await Promtool.checkMetrics(text, promtool: promtool)
        #expect(verdict.status == 0 && verdict.output.isEmpty, "promtool: \(verdict.output)\n\(text)")
        let parsed = ParsedExposition(text)
        #expect(parsed.problems == [])
        for (index, model) in names.enumerated() {
            let labels = ["model": model, "version": "v\(index)\\\""]
            #expect(parsed.value("sluice_requests_total", labels.merging(["code_class": "1xx"]) { $1 }) == 1)
            #expect(parsed.value("sluice_requests_total", labels.merging(["code_class": "failed"]) { $1 }) == 1)
            // The 503s are mirrored copies: in their own families, not the served ones.
            let histogram = parsed.histogram("sluice_request_duration_seconds", labels)
            #expect(histogram.problems == [])
            #expect(histogram.count == 5)
            #expect(parsed.value("sluice_mirrored_request_errors_total", labels) == 1)
            #expect(parsed.histogram("sluice_mirrored_request_duration_seconds", labels).count == 1)
        }
    }

    @Test("a garbled exposition is caught by the reader the tests rely on")
    func readerCatchesViolations() {
        let interleaved = """
            # HELP a_total A.
            # TYPE a_total counter
            a_total 1
            b 2
            # HELP a_total A.

            """
        let problems = ParsedExposition(interleaved).problems
        #expect(problems.contains { $0.hasPrefix("sample b is outside its family") })
        #expect(ParsedExposition("# TYPE c gauge\nc 1\n").problems == ["family c lacks HELP or TYPE"])
        let histogram = ParsedExposition("""
            # HELP h H.
            # TYPE h histogram
            h_bucket{le="1"} 3
            h_bucket{le="2"} 2
            h_bucket{le="+Inf"} 4
            h_sum 1
            h_count 5

            """).histogram("h")
        #expect(histogram.problems == ["bucket le=2.0 has 2.0 < 3.0", "+Inf bucket Optional(4.0) != _count Optional(5.0)"])
    }
}
