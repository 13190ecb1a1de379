import Foundation
import Testing

/// The shipped examples/grafana dashboard: the fields Grafana needs to import it, and every
/// query run against a real Prometheus holding an hour of Sluice's metrics.
@Suite("Grafana dashboard example", .timeLimit(.minutes(10)))
struct GrafanaDashboardTests {
    static let dashboardURL = SluiceBinary.packageRoot.appendingPathComponent("examples/grafana/sluice-dashboard.json")

    @Test("the dashboard has every field Grafana needs to import it as it is")
    func dashboardFields() throws {
        let dashboard = try Self.dashboard()
        #expect((dashboard["title"] as? String)?.isEmpty == false)
        let uid = dashboard["uid"] as? String ?? ""
        #expect((1...40).contains(uid.count) && uid.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }, "uid \(uid)")
        #expect((dashboard["schemaVersion"] as? Int ?? 0) >= 36)
        #expect(dashboard["id"] == nil || dashboard["id"] is NSNull, "an id would overwrite another dashboard on import")

        let variables = (dashboard["templating"] as? [String: Any])?["list"] as? [[String: Any]] ?? []
        let byName = Dictionary(variables.map { ($0["name"] as? String ?? "", $0) }, uniquingKeysWith: { first, _ in first })
        #expect(byName["datasource"]?["type"] as? String == "datasource")
        #expect(byName["datasource"]?["query"] as? String == "prometheus")
        for (name, label) in [("model", "model"), ("version", "version")] {
            #expect(byName[name]?["type"] as? String == "query")
            #expect(Self.datasourceIsVariable(byName[name]?["datasource"]), "variable \(name)")
            let query = byName[name]?["query"] as? String ?? ""
            #expect(query.hasPrefix("label_values(") && query.hasSuffix(", \(label))"), "variable \(name): \(query)")
        }
        let versionQuery = byName["version"]?["query"] as? String ?? ""
        #expect(versionQuery.contains("$model"), "versions of the chosen model only")
        #expect(byName["version"]?["includeAll"] as? Bool == true && byName["version"]?["multi"] as? Bool == true)

        let panels = dashboard["panels"] as? [[String: Any]] ?? []
        #expect(panels.count >= 10)
        let ids = panels.compactMap { $0["id"] as? Int }
        #expect(ids.count == panels.count && Set(ids).count == ids.count, "panel ids must be unique integers: \(ids)")
        let known: Set<String> = ["row", "timeseries", "stat", "table", "bargauge", "state-timeline", "gauge", "barchart"]
        var boxes: [(title: String, x: Range<Int>, y: Range<Int>)] = []
        for panel in panels {
            let title = panel["title"] as? String ?? ""
            let type = panel["type"] as? String ?? ""
            #expect(!title.isEmpty && known.contains(type), "panel \(title) of type \(type)")
            let grid = panel["gridPos"] as? [String: Any] ?? [:]
            let (x, y, w, h) = (grid["x"] as? Int ?? -1, grid["y"] as? Int ?? -1, grid["w"] as? Int ?? 0, grid["h"] as? Int ?? 0)
            #expect(x >= 0 && y >= 0 && w >= 1 && h >= 1 && x + w <= 24, "panel \(title) gridPos \(grid)")
            for box in boxes where box.x.overlaps(x..<(x + w)) && box.y.overlaps(y..<(y + h)) {
                Issue.record("panels \(box.title) and \(title) overlap")
            }
            boxes.append((title, x..<(x + w), y..<(y + h)))
            guard type != "row" else { continue }
            #expect(Self.datasourceIsVariable(panel["datasource"]), "panel \(title) datasource")
            let targets = panel["targets"] as? [[String: Any]] ?? []
            #expect(!targets.isEmpty, "panel \(title) has no targets")
            let refIds = targets.compactMap { $0["refId"] as? String }
            #expect(refIds.count == targets.count && Set(refIds).count == refIds.count, "panel \(title) refIds \(refIds)")
            for target in targets {
                #expect(!(target["expr"] as? String ?? "").isEmpty, "panel \(title) target without expr")
                #expect(Self.datasourceIsVariable(target["datasource"]), "panel \(title) target datasource")
            }
        }

        // What the issue asks the dashboard to show, by the metric each view reads.
        let expressions = Self.expressions(dashboard).joined(separator: "\n")
        for needed in [
            "sluice_requests_total", "sluice_route_weight_percent", "sluice_request_errors_total",
            "histogram_quantile(0.5, sum by (version, le) (rate(sluice_request_duration_seconds_bucket",
            "histogram_quantile(0.99, sum by (version, le) (rate(sluice_request_duration_seconds_bucket",
            "sluice_rollout_step", "sluice_rollout_candidate_weight_percent", "sluice_analysis_runs_total",
            "sluice_analysis_check_value", "sluice_monitor_value", "sluice_monitor_firing",
        ] {
            #expect(expressions.contains(needed), "no panel reads \(needed)")
        }
        let used = Set(expressions.matches(of: #/\$\{?(\w+)/#).map { String($0.output.1) })
        let defined = Set(byName.keys).union(["__rate_interval", "__range", "__interval"])
        #expect(used.isSubset(of: defined), "undefined variables: \(used.subtracting(defined).sorted())")
    }

    @Test("every dashboard and variable query is valid PromQL that finds Sluice's series in a real Prometheus; a broken one is refused", .needsPrometheus)
    func dashboardQueries() async throws {
        let end = Int(Date().timeIntervalSince1970) / SluiceMetricsFixture.step * SluiceMetricsFixture.step
        let prometheus = try await LocalPrometheus(config: "global:\n  scrape_interval: 15s\n", openMetrics: SluiceMetricsFixture.openMetrics(end: end))
        try await prometheus.start()
        let dashboard = try Self.dashboard()

        var failures: [String] = []
        // `$version` as Grafana renders All (the variable's allValue) and one chosen version.
        for version in [".*", "v2"] {
            let values = ["$model": "fraud", "$version": version, "$__rate_interval": "1m", "$__range": "1h", "$__interval": "15s"]
            for expression in Self.expressions(dashboard) {
                let rendered = values.reduce(expression) { $0.replacingOccurrences(of: $1.key, with: $1.value) }
                guard !rendered.contains("$") else {
                    failures.append("left a variable in \(rendered)")
                    continue
                }
                let (status, body) = try await prometheus.query(rendered, at: end)
                let result = (body["data"] as? [String: Any])?["result"] as? [Any] ?? []
                if status != 200 || body["status"] as? String != "success" {
                    failures.append("HTTP \(status) \(body["error"] ?? ""): \(rendered)")
                } else if result.isEmpty {
                    failures.append("no series: \(rendered)")
                }
            }
        }
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")

        // The variables list what a user picks from: the model, then its versions.
        let variables = (dashboard["templating"] as? [String: Any])?["list"] as? [[String: Any]] ?? []
        for (name, label, expected) in [("model", "model", Set(["fraud"])), ("version", "version", Set(["v1", "v2"]))] {
            let query = variables.first { $0["name"] as? String == name }?["query"] as? String ?? ""
            let match = try #require(query.wholeMatch(of: #/label_values\((.+), (\w+)\)/#), "variable \(name): \(query)")
            #expect(String(match.output.2) == label)
            let selector = String(match.output.1).replacingOccurrences(of: "$model", with: "fraud")
            let (status, body) = try await prometheus.query(selector, at: end)
            #expect(status == 200)
            let found = Set(((body["data"] as? [String: Any])?["result"] as? [[String: Any]] ?? []).compactMap {
                ($0["metric"] as? [String: String])?[label]
            })
            #expect(found == expected, "variable \(name) offers \(found.sorted())")
        }

        // The check can fail: Prometheus refuses a query with a missing parenthesis as bad_data.
        let broken = try await prometheus.query("sum by (version) (rate(sluice_requests_total[1m])", at: end)
        #expect(broken.status == 400)
        #expect(broken.body["errorType"] as? String == "bad_data")
    }

    // MARK: - Helpers

    /// examples/grafana/sluice-dashboard.json, decoded.
    static func dashboard() throws -> [String: Any] {
        let data = try Data(contentsOf: dashboardURL)
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any], "the dashboard is not a JSON object")
    }

    /// Every panel target's `expr`, rows' nested panels included.
    static func expressions(_ dashboard: [String: Any]) -> [String] {
        let panels = dashboard["panels"] as? [[String: Any]] ?? []
        let all = panels + panels.flatMap { $0["panels"] as? [[String: Any]] ?? [] }
        return all.flatMap { ($0["targets"] as? [[String: Any]] ?? []).compactMap { $0["expr"] as? String } }
    }

    /// Whether a `datasource` field points at the `${datasource}` variable of Prometheus type.
    static func datasourceIsVariable(_ value: Any?) -> Bool {
        let datasource = value as? [String: Any]
        return datasource?["type"] as? String == "prometheus" && datasource?["uid"] as? String == "${datasource}"
    }
}
