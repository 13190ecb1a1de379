import SluiceCore
import Testing

/// `metric: prometheus` in manifests: what decodes, what is refused, and where each problem
/// inside a query is reported (line and column inside the YAML value, whatever its style).
@Suite(.timeLimit(.minutes(10))) struct PrometheusManifestTests {
    /// A manifest whose analysis holds `checks` and whose monitors are `monitors` (YAML lines,
    /// already indented). The check list starts on line 19, the monitors after it.
    static func manifest(checks: String, monitors: String = "") -> String {
        """
        apiVersion: sluice/v1
        kind: ModelDeployment
        metadata:
          name: fraud
        spec:
          runtime: python-v2
          versions:
            - name: v1
              artifact: models/v1.json
            - name: v2
              artifact: models/v2.json
          traffic: {v2: 100}
          rollout:
            steps:
              - weight: 10
            analysis:
              interval: 30s
              checks:
        \(checks)
        """ + (monitors.isEmpty ? "\n" : "\n  monitors:\n" + monitors + "\n")
    }

    /// `LINE:COLUMN: CODE: MESSAGE` for each diagnostic.
    static func diagnostics(_ text: String) -> [String] {
        ManifestValidator().validate(bytes: Array(text.utf8), path: "m.yaml").diagnostics.map {
            "\($0.location.line):\($0.location.column): \($0.code.rawValue): \($0.message)"
        }
    }

    @Test func prometheusChecksAndMonitorsDecode() throws {
        let text = Self.manifest(
            checks: """
                    - metric: prometheus
                      name: p99-latency
                      query: histogram_quantile(0.99, sum by (le) (rate(sluice_request_duration_seconds_bucket{model="{{model}}",version="{{version}}"}[{{window}}])))
                      max: 0.12
                      maxRatioToStable: 1.2
                    - metric: prometheus
                      name: throughput
                      query: 'sum(rate(sluice_requests_total{version="{{version}}"}[{{window}}]))'
                      min: -1
                      max: 1e9
            """,
            monitors: """
                - name: p99
                  metric: prometheus
                  query: |
                    histogram_quantile(0.99,
                      sum by (le) (rate(sluice_request_duration_seconds_bucket{version="{{version}}"}[{{window}}])))
                  max: 0.2
                  window: 5m
                  critical: {max: 0.5}
            """)
        let file = ManifestValidator().validate(bytes: Array(text.utf8), path: "m.yaml")
        #expect(file.diagnostics.isEmpty, "\(file.diagnostics)")
        let deployment = try #require(file.entries.first?.deployment)
        let checks = try #require(deployment.rollout?.analysis?.checks)
        #expect(checks.map(\.name) == ["p99-latency", "throughput"])
        #expect(checks[0].metric == .prometheus)
        #expect(checks[0].query?.text.hasPrefix("histogram_quantile(0.99, sum by (le)") == true)
        #expect(checks[0].thresholds == Thresholds(max: 0.12, maxRatioToStable: 1.2))
        #expect(checks[1].thresholds == Thresholds(max: 1e9, min: -1))
        let monitor = try #require(deployment.monitors.first)
        #expect(monitor.query?.text == "histogram_quantile(0.99,\n  sum by (le) (rate(sluice_request_duration_seconds_bucket{version=\"{{version}}\"}[{{window}}])))\n")
        #expect(monitor.window == .seconds(300))
        #expect(monitor.critical?.thresholds.max == 0.5)
    }

    @Test func prometheusNeedsANameAndAQueryAndRefusesDriftFields() {
        let text = Self.manifest(checks: """
                    - metric: prometheus
                      test: ks
                      against: reference
                      reference: baselines/a.json
                      min: 0.1
            """)
        #expect(Self.diagnostics(text) == [
            "19:19: missing-field: metric 'prometheus' requires 'name': a prometheus check is named, and measures its query; for ratio thresholds the stable version is queried with {{version}} set to it",
            "19:19: missing-field: metric 'prometheus' requires 'query': a prometheus check is named, and measures its query; for ratio thresholds the stable version is queried with {{version}} set to it",
            "20:11: inconsistent: 'test' does not apply to metric 'prometheus': only input_drift and prediction_drift take a test, and only input_drift takes inputs",
            "21:11: inconsistent: 'against' does not apply to metric 'prometheus': a prometheus check is named, and measures its query; for ratio thresholds the stable version is queried with {{version}} set to it",
            "22:11: inconsistent: 'reference' does not apply to metric 'prometheus': a prometheus check is named, and measures its query; for ratio thresholds the stable version is queried with {{version}} set to it",
        ])
    }

    @Test func nameAndQueryAreRefusedWithOtherMetrics() {
        let text = Self.manifest(
            checks: """
                    - metric: error_rate
                      name: errors
                      query: up
                      max: 0.01
            """,
            monitors: """
                - name: errors
                  metric: error_rate
                  query: up
                  max: 0.01
            """)
        #expect(Self.diagnostics(text) == [
            "20:11: inconsistent: 'name' does not apply to metric 'error_rate': only metric prometheus runs a query and takes a name",
            "21:11: inconsistent: 'query' does not apply to metric 'error_rate': only metric prometheus runs a query and takes a name",
            "26:7: inconsistent: 'query' does not apply to metric 'error_rate': only metric prometheus runs a query",
        ])
    }

    @Test func prometheusMonitorNeedsAQueryAndRefusesReferenceAndMinSamples() {
        let text = Self.manifest(
            checks: "        - {metric: error_rate, max: 0.01}",
            monitors: """
                - name: p99
                  metric: prometheus
                  reference: baselines/a.json
                  minSamples: 10
                  max: 0.2
            """)
        #expect(Self.diagnostics(text) == [
            "22:15: missing-field: metric 'prometheus' requires 'query': a prometheus monitor's value is its query's, with no baseline file and no sample count",
            "23:7: inconsistent: 'reference' does not apply to metric 'prometheus': a prometheus monitor's value is its query's, with no baseline file and no sample count",
            "24:7: inconsistent: 'minSamples' does not apply to metric 'prometheus': a prometheus monitor's value is its query's, with no baseline file and no sample count",
        ])
    }

    @Test func checkNamesAreUniqueAndDNSLabels() {
        let text = Self.manifest(checks: """
                    - {metric: prometheus, name: latency, query: 'x{version="{{version}}"}', max: 1}
                    - {metric: prometheus, name: latency, query: 'y{version="{{version}}"}', max: 1}
                    - {metric: prometheus, name: P99, query: 'z{version="{{version}}"}', max: 1}
            """)
        #expect(Self.diagnostics(text) == [
            "20:38: inconsistent: duplicate name 'latency' in spec.rollout.analysis.checks (first at line 19)",
            "21:38: invalid-value: 'P99' contains uppercase letters; try 'p99'; expected a DNS-1123 label: lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters",
        ])
    }

    @Test func ratioThresholdsNeedTheVersionInTheQuery() {
        let text = Self.manifest(checks: """
                    - metric: prometheus
                      name: errors
                      query: sum(rate(errors_total{model="{{model}}"}[{{window}}]))
                      maxRatioToStable: 1.5
                      minRatioToStable: 0.5
            """)
        let message = "compares the candidate with the stable version by running the query again with {{version}} set to the stable version; this query has no {{version}}, so both runs give the same value: select the version, as in version=\"{{version}}\""
        #expect(Self.diagnostics(text) == [
            "22:11: inconsistent: maxRatioToStable " + message,
            "23:11: inconsistent: minRatioToStable " + message,
        ])
    }

    @Test func prometheusThresholdsMayBeNegativeButMustLeaveRoom() {
        let text = Self.manifest(checks: """
                    - {metric: prometheus, name: delta, query: 'x{version="{{version}}"}', min: 2, max: 1}
            """)
        #expect(Self.diagnostics(text) == ["19:85: invalid-value: min 2 is above max 1; no value can pass"])
    }

    // MARK: - Positions inside the query

    /// The same mistake (`{{verison}}`) written in each YAML style is reported where it is.
    @Test(arguments: [
        // A plain scalar: the column is the query's column plus the offset.
        (#"      query: x{version="{{verison}}"}"#, "21:29"),
        // Single-quoted: one more for the quote, and '' counts two.
        (#"      query: 'x{a=''b'',version="{{verison}}"}'"#, "21:38"),
        // Double-quoted: escapes count as written.
        (#"      query: "x{a=\"\u0062\",version=\"{{verison}}\"}""#, "21:44"),
        // A flow mapping on one line.
        (#"      query: {{}}"#.replacingOccurrences(of: "{{}}", with: "\"x{version=\\\"{{verison}}\\\"}\""), "21:31"),
    ])
    func problemIsReportedInsideASingleLineValue(line: String, place: String) {
        let text = Self.manifest(checks: "        - metric: prometheus\n          name: p\n" + "    " + line + "\n          max: 1")
        #expect(Self.diagnostics(text) == ["\(place): invalid-value: '{{verison}}' is not a template variable; did you mean '{{version}}'?"])
    }

    @Test func problemIsReportedInsideABlockValue() {
        for indicator in ["|", ">", "|-", ">+", "| # the query"] {
            let text = Self.manifest(checks: """
                        - metric: prometheus
                          name: p
                          query: \(indicator)
                            sum by (le) (
                              rate(x{version="{{verison}}"}[{{window}}])
                          max: 1
                """)
            #expect(Self.diagnostics(text) == [
                "22:25: invalid-value: this '(' is never closed with ')'",
                "23:31: invalid-value: '{{verison}}' is not a template variable; did you mean '{{version}}'?",
            ], "\(indicator)")
        }
    }

    @Test func multiLinePlainAndQuotedValuesAreFollowedAcrossLines() {
        let plain = Self.manifest(checks: """
                    - metric: prometheus
                      name: p
                      query: sum(rate(x{version="{{version}}"}
                        [{{window}}]);
                      max: 1
            """)
        #expect(Self.diagnostics(plain) == ["22:26: invalid-value: unexpected character ';' in the query; PromQL has no statements to separate"])
        let quoted = Self.manifest(checks: """
                    - metric: prometheus
                      name: p
                      query: "sum(rate(x{version=\\"{{version}}\\"}\\
                        [{{window}}]));"
                      max: 1
            """)
        #expect(Self.diagnostics(quoted) == ["22:27: invalid-value: unexpected character ';' in the query; PromQL has no statements to separate"])
    }

    @Test func relatedPlacesAreNamedWithTheirPosition() {
        let text = Self.manifest(checks: """
                    - metric: prometheus
                      name: p
                      query: >
                        sum(rate(x{version="{{version}}"}[{{window}}])
                        ]
                      max: 1
            """)
        #expect(Self.diagnostics(text) == [
            "23:13: invalid-value: this ']' closes no '['; the innermost open '(' is at line 22, column 16"
        ])
    }

    @Test func anAliasedQueryIsReportedWhereItIsWritten() {
        let text = Self.manifest(
            checks: "        - {metric: prometheus, name: p, query: &q 'x{a=\"{{verison}}\"}', max: 1}",
            monitors: "    - {name: p, metric: prometheus, query: *q, max: 1}")
        let message = "invalid-value: '{{verison}}' is not a template variable; did you mean '{{version}}'?"
        #expect(Self.diagnostics(text) == ["19:57: " + message, "19:57: " + message])
    }

    @Test func sourceThatDoesNotMatchTheValueLocatesNothing() {
        let node = YAMLNode(.scalar(YAMLScalar(text: "x{a=\"b\"}", style: .doubleQuoted)), at: SourceLocation(line: 1, column: 8))
        #expect(ScalarSourceMap(source: Array("query: \"x{a=\\\"b\\\"}\"".utf8), node: node).locations(of: [2]) == [2: SourceLocation(line: 1, column: 11)])
        #expect(ScalarSourceMap(source: Array("query: \"y{a=\\\"b\\\"}\"".utf8), node: node).locations(of: [2]).isEmpty)
        #expect(ScalarSourceMap(source: Array("query: 'x{a=\"b\"}'".utf8), node: node).locations(of: [2]).isEmpty)
        #expect(ScalarSourceMap(source: [], node: node).locations(of: [0]).isEmpty)
    }
}
