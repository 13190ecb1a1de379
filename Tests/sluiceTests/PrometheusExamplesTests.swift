import Foundation
import SluiceTestSupport
import Testing

/// The shipped examples/prometheus (scrape config, alerting and recording rules, their unit
/// tests), checked with the real promtool and a real Prometheus.
@Suite("Prometheus examples", .timeLimit(.minutes(10)))
struct PrometheusExamplesTests {
    static let prometheusExamples = SluiceBinary.packageRoot.appendingPathComponent("examples/prometheus")
    static let ruleFiles = ["rules/sluice-recording.yml", "rules/sluice-alerts.yml"]
    static let ruleTests = ["tests/sluice-alerts.test.yml", "tests/sluice-recording.test.yml"]

    // MARK: - Scrape config and rules

    @Test("promtool check config passes on the shipped prometheus.yml with its rule files; a missing token file is named", .needsPrometheus)
    func scrapeConfig() async throws {
        let promtool = try PrometheusTools.require(PrometheusTools.promtool, "promtool")
        let copy = try Self.copyOfPrometheusExamples()
        defer { try? FileManager.default.removeItem(at: copy) }

        let withoutTokens = try await PrometheusTools.run(promtool, ["check", "config", "prometheus.yml"], in: copy)
        #expect(withoutTokens.status != 0)
        #expect(withoutTokens.output.contains("secrets/sluice-serve-metrics-token"), "\(withoutTokens.output)")

        let secrets = copy.appendingPathComponent("secrets")
        try FileManager.default.createDirectory(at: secrets, withIntermediateDirectories: true)
        for name in ["sluice-serve-metrics-token", "sluice-controller-metrics-token"] {
            let file = secrets.appendingPathComponent(name)
            try "scraper-token\n".write(to: file, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file.path)
        }
        let checked = try await PrometheusTools.run(promtool, ["check", "config", "prometheus.yml"], in: copy)
        #expect(checked.status == 0, "\(checked.output)")
        #expect(checked.output.contains("SUCCESS: 2 rule files found"), "\(checked.output)")
        for file in Self.ruleFiles { #expect(checked.output.contains("Checking \(file)"), "\(checked.output)") }

        let config = try String(contentsOf: copy.appendingPathComponent("prometheus.yml"), encoding: .utf8)
        for job in ["job_name: sluice-serve", "job_name: sluice-controller", "metrics_path: /metrics"] {
            #expect(config.contains(job), "prometheus.yml lacks \(job)")
        }
    }

    @Test("the shipped scrape config sends each job the bearer token from its own file", .needsPrometheus)
    func scrapeTokens() async throws {
        let copy = try Self.copyOfPrometheusExamples()
        defer { try? FileManager.default.removeItem(at: copy) }
        // Two loopback targets that answer /metrics only with their own token: the data plane's
        // file holds the right one, the controller's a wrong one.
        let secrets = copy.appendingPathComponent("secrets")
        try FileManager.default.createDirectory(at: secrets, withIntermediateDirectories: true)
        for (name, token) in [("sluice-serve-metrics-token", "serve-scraper"), ("sluice-controller-metrics-token", "stale-token")] {
            try "\(token)\n".write(to: secrets.appendingPathComponent(name), atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: secrets.appendingPathComponent(name).path)
        }
        let script = copy.appendingPathComponent("target.py")
        try Self.tokenTarget.write(to: script, atomically: true, encoding: .utf8)
        var targets: [SpawnedProcess] = []
        // SIGKILL: the test process blocks SIGTERM, and children inherit the mask. Foundation
        // reaps them; a blocking wait here would hold a thread of the cooperative pool.
        defer { for target in targets { target.signal(SIGKILL) } }
        var ports: [Int] = []
        for (job, token) in [("serve", "serve-scraper"), ("controller", "controller-scraper")] {
            // Each target binds port 0 and writes the port it got once it listens.
            let portFile = copy.appendingPathComponent("\(job).port")
            let target = SpawnedProcess()
            target.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            target.arguments = ["python3", script.path, portFile.path, token]
            target.standardOutput = FileHandle.nullDevice
            target.standardError = FileHandle.nullDevice
            try target.run()
            targets.append(target)
            var port: Int?
            let started = Date()
            while port == nil, target.isRunning, Date().timeIntervalSince(started) < 60 {
                port = (try? String(contentsOf: portFile, encoding: .utf8)).flatMap { Int($0) }
                if port == nil { try await Task.sleep(for: .milliseconds(50)) }
            }
            ports.append(try #require(port, "the \(job) target did not start"))
        }

        // The shipped file with only the addresses and the interval changed.
        var config = try String(contentsOf: copy.appendingPathComponent("prometheus.yml"), encoding: .utf8)
        for (from, to) in [("127.0.0.1:8080", "127.0.0.1:\(ports[0])"), ("127.0.0.1:8090", "127.0.0.1:\(ports[1])"), ("15s", "1s")] {
            try #require(config.contains(from), "prometheus.yml no longer holds \(from)")
            config = config.replacingOccurrences(of: from, with: to)
        }
        config = config.replacingOccurrences(of: "secrets/", with: secrets.path + "/")
            .replacingOccurrences(of: "  - rules/", with: "  - \(copy.path)/rules/")
        let prometheus = try await LocalPrometheus(config: config)
        try await prometheus.start()

        // Both targets listen before Prometheus starts, so a target that is down is refused by
        // its token, which the scrape error names.
        var targetHealth: [String: (health: String, error: String)] = [:]
        var upByJob: [String: String] = [:]
        let deadline = Date().addingTimeInterval(120)
        repeat {
            try await Task.sleep(for: .milliseconds(500))
            let (body, _) = try await prometheus.get("/api/v1/targets")
            let active = (Self.json(body)["data"] as? [String: Any])?["activeTargets"] as? [[String: Any]] ?? []
            targetHealth = Dictionary(active.compactMap { target -> (String, (String, String))? in
                guard let job = (target["labels"] as? [String: String])?["job"], let health = target["health"] as? String,
                      health != "unknown" else { return nil }
                return (job, (health, target["lastError"] as? String ?? ""))
            }, uniquingKeysWith: { first, _ in first })
            // `up` is queried at a whole second, so it can lag the targets' health by one.
            let (_, up) = try await prometheus.query("up", at: Int(Date().timeIntervalSince1970))
            let result = (up["data"] as? [String: Any])?["result"] as? [[String: Any]] ?? []
            upByJob = Dictionary(result.compactMap { sample -> (String, String)? in
                guard let job = (sample["metric"] as? [String: String])?["job"], let value = (sample["value"] as? [Any])?.last as? String else { return nil }
                return (job, value)
            }, uniquingKeysWith: { first, _ in first })
        } while Date() < deadline && (targetHealth.count < 2 || upByJob.count < 2)
        #expect(targetHealth["sluice-serve"]?.health == "up", "\(targetHealth)")
        #expect(targetHealth["sluice-controller"]?.health == "down", "\(targetHealth)")
        #expect(targetHealth["sluice-controller"]?.error.contains("401") == true, "\(targetHealth)")
        #expect(upByJob == ["sluice-serve": "1", "sluice-controller": "0"], "up by job: \(upByJob)")
    }

    @Test("promtool check rules passes, and the rules hold the alerts and records docs/prometheus.md names", .needsPrometheus)
    func rulesCheck() async throws {
        let promtool = try PrometheusTools.require(PrometheusTools.promtool, "promtool")
        let result = try await PrometheusTools.run(promtool, ["check", "rules"] + Self.ruleFiles, in: Self.prometheusExamples)
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.components(separatedBy: "SUCCESS").count - 1 == Self.ruleFiles.count, "\(result.output)")

        let alerts = try Self.names(after: "- alert: ", in: "rules/sluice-alerts.yml")
        let records = try Self.names(after: "- record: ", in: "rules/sluice-recording.yml")
        for required in ["SluiceRolloutStuck", "SluiceModelDegraded", "SluiceReconcileFailing", "SluiceMonitorFiring", "SluiceVersionHighErrorRate"] {
            #expect(alerts.contains(required), "no alert \(required) in \(alerts)")
        }
        #expect(records.contains("model_version:sluice_request_errors:ratio_rate5m"))
        #expect(records.contains("model_version_quantile:sluice_request_duration_seconds:histogram_quantile"))
        let docs = try String(contentsOf: SluiceBinary.packageRoot.appendingPathComponent("docs/prometheus.md"), encoding: .utf8)
        for name in alerts.union(records) { #expect(docs.contains(name), "docs/prometheus.md does not mention \(name)") }
    }

    @Test("promtool test rules passes, every alert has a test where it fires, and a broken rule fails them", .needsPrometheus)
    func ruleUnitTests() async throws {
        let promtool = try PrometheusTools.require(PrometheusTools.promtool, "promtool")
        let result = try await PrometheusTools.run(promtool, ["test", "rules"] + Self.ruleTests, in: Self.prometheusExamples)
        #expect(result.status == 0, "\(result.output)")
        #expect(!result.output.contains("FAILED"), "\(result.output)")

        // Each alert needs a case that expects it to fire (a non-empty exp_alerts), not only quiet ones.
        let tests = try String(contentsOf: Self.prometheusExamples.appendingPathComponent(Self.ruleTests[0]), encoding: .utf8)
        let lines = tests.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        let fired = Set(lines.indices.dropLast().compactMap { index -> String? in
            guard lines[index].hasPrefix("alertname: "), lines[index + 1] == "exp_alerts:" else { return nil }
            return String(lines[index].dropFirst("alertname: ".count))
        })
        let alerts = try Self.names(after: "- alert: ", in: "rules/sluice-alerts.yml")
        #expect(alerts.subtracting(fired).isEmpty, "alerts no test expects to fire: \(alerts.subtracting(fired).sorted())")

        // The tests bite: a stuck-rollout rule that forgets the rollout's age, or an error-rate
        // threshold ten times too high, fails them, naming the alert.
        let mutations = [
            ("SluiceRolloutStuck", "    and on (model) (sluice_rollout_step offset 30m)\n", ""),
            ("SluiceVersionHighErrorRate", "ratio_rate5m > 0.05", "ratio_rate5m > 0.5"),
        ]
        for (alert, original, replacement) in mutations {
            let copy = try Self.copyOfPrometheusExamples()
            defer { try? FileManager.default.removeItem(at: copy) }
            let rules = copy.appendingPathComponent("rules/sluice-alerts.yml")
            let text = try String(contentsOf: rules, encoding: .utf8)
            try #require(text.contains(original), "rules/sluice-alerts.yml no longer holds \(original)")
            try text.replacingOccurrences(of: original, with: replacement).write(to: rules, atomically: true, encoding: .utf8)
            let broken = try await PrometheusTools.run(promtool, ["test", "rules"] + Self.ruleTests, in: copy)
            #expect(broken.status != 0, "promtool test rules passed with a broken \(alert)")
            #expect(broken.output.contains("alertname: \(alert)"), "\(broken.output)")
        }
    }

    @Test("the shipped rules evaluate without error in a real Prometheus and see the fixture's stuck rollout and failing version", .needsPrometheus)
    func rulesInPrometheus() async throws {
        let end = Int(Date().timeIntervalSince1970) / SluiceMetricsFixture.step * SluiceMetricsFixture.step
        let files = Self.ruleFiles.map { "  - \(Self.prometheusExamples.appendingPathComponent($0).path)" }.joined(separator: "\n")
        let prometheus = try await LocalPrometheus(
            config: "global:\n  evaluation_interval: 1s\nrule_files:\n\(files)\n", openMetrics: SluiceMetricsFixture.openMetrics(end: end))
        try await prometheus.start()

        let expected: Set<String> = [
            "SluiceRolloutStuck fraud", "SluiceVersionHighErrorRate fraud v2", "SluiceReconcileFailing read_git",
            "SluiceReconcileFailing apply", "SluicePrometheusQueriesFailing timeout",
        ]
        var active: Set<String> = []
        var rules: [[String: Any]] = []
        let deadline = Date().addingTimeInterval(60)
        repeat {
            try await Task.sleep(for: .milliseconds(500))
            let (alertsBody, _) = try await prometheus.get("/api/v1/alerts")
            let alerts = (Self.json(alertsBody)["data"] as? [String: Any])?["alerts"] as? [[String: Any]] ?? []
            active = Set(alerts.map { alert in
                let labels = alert["labels"] as? [String: String] ?? [:]
                return ([labels["alertname"]] + ["model", "version", "step", "kind"].map { labels[$0] }).compactMap { $0 }.joined(separator: " ")
            })
            let (rulesBody, _) = try await prometheus.get("/api/v1/rules")
            let groups = (Self.json(rulesBody)["data"] as? [String: Any])?["groups"] as? [[String: Any]] ?? []
            rules = groups.flatMap { $0["rules"] as? [[String: Any]] ?? [] }
        } while Date() < deadline && (!active.isSuperset(of: expected) || rules.contains(where: { ($0["lastEvaluation"] as? String ?? "").hasPrefix("0001") }))

        #expect(rules.count == 14, "\(rules.count) rules loaded")
        for rule in rules {
            #expect(rule["health"] as? String == "ok", "rule \(rule["name"] ?? "?") is \(rule["health"] ?? "?"): \(rule["lastError"] ?? "")")
        }
        // Stuck (step 1 for an hour while Progressing) and v2's 9% errors; v1's 1%, the model's
        // Progressing health and its quiet monitors raise nothing.
        #expect(active == expected, "active alerts: \(active.sorted())")

        // The recorded series exists from the rule's first evaluation on; a query at a whole
        // second can come before it, so ask again (one second ahead) until both versions show.
        var ratio: (status: Int, body: [String: Any]) = (0, [:])
        var values: [String: Double] = [:]
        let queryDeadline = Date().addingTimeInterval(60)
        repeat {
            ratio = try await prometheus.query("model_version:sluice_request_errors:ratio_rate5m", at: Int(Date().timeIntervalSince1970) + 1)
            values = Self.vector(ratio.body)
            if values.count < 2 { try await Task.sleep(for: .milliseconds(500)) }
        } while values.count < 2 && Date() < queryDeadline
        #expect(Set(values.keys) == ["v1", "v2"], "\(ratio.body)")
        #expect(abs((values["v1"] ?? 0) - 0.1 / 9.1) < 1e-9, "\(values)")
        #expect(abs((values["v2"] ?? 0) - 0.1 / 1.1) < 1e-9, "\(values)")
    }

    @Test("every query in docs/prometheus.md is valid PromQL once its template variables are rendered", .needsPrometheus)
    func documentedQueries() async throws {
        let docs = try String(contentsOf: SluiceBinary.packageRoot.appendingPathComponent("docs/prometheus.md"), encoding: .utf8)
        let queries = Self.documentedQueries(docs)
        #expect(queries.count >= 7, "found only \(queries.count) queries in docs/prometheus.md")
        let prometheus = try await LocalPrometheus(config: "global:\n  scrape_interval: 15s\n")
        try await prometheus.start()
        let values = ["{{model}}": "fraud", "{{version}}": "v2", "{{stableVersion}}": "v1", "{{window}}": "5m", "{{namespace}}": "default"]
        for query in queries {
            let rendered = values.reduce(query) { $0.replacingOccurrences(of: $1.key, with: $1.value) }
            #expect(!rendered.contains("{{"), "an unknown variable in \(query)")
            let (status, body) = try await prometheus.query(rendered, at: Int(Date().timeIntervalSince1970))
            #expect(status == 200, "HTTP \(status) \(body["error"] ?? ""): \(rendered)")
        }
    }

    // MARK: - Helpers

    /// The `query:` values (one line, or a `|` block) and the `promql` code blocks of a Markdown page.
    static func documentedQueries(_ markdown: String) -> [String] {
        let lines = markdown.components(separatedBy: "\n")
        var queries: [String] = []
        var index = 0
        func indentation(_ line: String) -> Int { line.prefix { $0 == " " }.count }
        while index < lines.count {
            let line = lines[index]
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            index += 1
            if trimmed == "```promql" {
                var block: [String] = []
                while index < lines.count, lines[index] != "```" { block.append(lines[index]); index += 1 }
                queries.append(block.joined(separator: "\n"))
            } else if trimmed.hasPrefix("query:") {
                guard let value = trimmed.split(separator: ":", maxSplits: 1).last.map({ $0.trimmingCharacters(in: .whitespaces) }) else { continue }
                guard value.hasPrefix("|") else {
                    queries.append(value)
                    continue
                }
                var block: [String] = []
                while index < lines.count, indentation(lines[index]) > indentation(line), !lines[index].trimmingCharacters(in: .whitespaces).isEmpty {
                    block.append(lines[index])
                    index += 1
                }
                queries.append(block.joined(separator: "\n"))
            }
        }
        return queries
    }

    /// A /metrics target for `python3 target.py PORTFILE TOKEN`: 200 with one sample for
    /// `Authorization: Bearer TOKEN`, 401 for anything else. It listens on a port the kernel
    /// chooses and then writes it to PORTFILE (renamed into place, so never read half written).
    static let tokenTarget = """
        import http.server, os, sys
        port_file, token = sys.argv[1], sys.argv[2]
        class Target(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                ok = self.path == "/metrics" and self.headers.get("Authorization") == "Bearer " + token
                body = b"# TYPE sluice_stub gauge\\nsluice_stub 1\\n" if ok else b"unauthorized\\n"
                self.send_response(200 if ok else 401)
                self.send_header("Content-Type", "text/plain; version=0.0.4")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            def log_message(self, *args):
                pass
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Target)
        with open(port_file + ".tmp", "w") as out:
            out.write(str(server.server_address[1]))
        os.rename(port_file + ".tmp", port_file)
        server.serve_forever()
        """

    /// A copy of examples/prometheus in a temporary directory (rule and token paths are relative).
    static func copyOfPrometheusExamples() throws -> URL {
        let copy = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-prometheus-examples-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: prometheusExamples, to: copy)
        return copy
    }

    /// The words after `prefix` on the lines of an examples/prometheus file.
    static func names(after prefix: String, in file: String) throws -> Set<String> {
        let text = try String(contentsOf: prometheusExamples.appendingPathComponent(file), encoding: .utf8)
        return Set(text.split(separator: "\n").compactMap { line -> String? in
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            return trimmed.hasPrefix(prefix) ? String(trimmed.dropFirst(prefix.count)) : nil
        })
    }

    static func json(_ data: Data) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
    }

    /// An instant vector's values by their `version` label.
    static func vector(_ body: [String: Any]) -> [String: Double] {
        let result = (body["data"] as? [String: Any])?["result"] as? [[String: Any]] ?? []
        return Dictionary(result.compactMap { sample -> (String, Double)? in
            guard let version = (sample["metric"] as? [String: String])?["version"],
                  let value = (sample["value"] as? [Any])?.last as? String, let number = Double(value) else { return nil }
            return (version, number)
        }, uniquingKeysWith: { first, _ in first })
    }
}
