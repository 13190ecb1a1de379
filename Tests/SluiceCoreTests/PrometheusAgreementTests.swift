import Foundation
import SluiceTestSupport
import SluiceCore
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The query checker and the renderer against a real Prometheus: templates the checker
/// accepts render to queries Prometheus accepts; syntax the checker refuses Prometheus
/// refuses too (`bad_data`); and a hostile value rendered into a literal selects exactly the
/// series whose label holds that value, no more (the data is backfilled with promtool from
/// OpenMetrics text, an escaping path independent of PromQL's).
///
/// Needs `prometheus` and `promtool` (scripts/setup.sh); without them the tests are skipped,
/// except under CI, where they fail.
@Suite(.enabled(if: PrometheusServer.isInstalled || ProcessInfo.processInfo.environment["CI"] != nil), .timeLimit(.minutes(10)))
struct PrometheusAgreementTests {
    static let values = QueryTemplate.Values(model: "fraud", version: "v2", stableVersion: "v1", window: .seconds(300), namespace: "prod")

    /// Templates the checker refuses for their syntax, as Prometheus does.
    static let refused: [String] = [
        "sum(x);", "sum(rate(x[5m])", "sum(x))", "sum(x]", #"x{a="b"#, #"x{a="b}"#, #"x{a="\q"}"#, #"x{a="\'"}"#,
        #"x{a="\x4"}"#, "x{a=\"\u{FFFD}\"}", "x$", #"x =~ "a""#, "1_000", "x[5]", "x[30m1h]", "x[1.5m]", "x[0s]", "x[5m:1]",
        "x[5m:1m:1m]", #"x{,a="b"}"#, #"x{a "b"}"#, "x{a=b}", "(x)[5m]", "x[5m][1h:]", "x offset 5m [5m]", "1[5m:]",
        "rate(x[5m]) * 5m", "rate(x[5m]) * {{window}}", "rate(x[{{window}}m])", "", "# only a comment", "x{a=`b}", "x[5m",
        #"x{a="b";}"#, "x{a={{window}}}",
    ]

    @Test func checkerAndPrometheusAgree() async throws {
        let server = try await PrometheusServer.start(series: [])
        defer { server.stop() }
        for text in QueryTemplateCheckerTests.valid {
            let template = QueryTemplate(text)
            #expect(QueryTemplateChecker.check(template).problems.isEmpty)
            let answer = try await server.query(template.render(Self.values))
            #expect(answer.status == "success", "\(text) → \(template.render(Self.values)): \(answer.error)")
        }
        for text in Self.refused {
            let template = QueryTemplate(text)
            #expect(!QueryTemplateChecker.check(template).problems.isEmpty, "the checker accepts \(text)")
            let answer = try await server.query(template.render(Self.values))
            #expect(answer.status == "error" && answer.errorType == "bad_data", "Prometheus accepts \(text) → \(template.render(Self.values))")
        }
    }

    /// Random token soup: whenever the checker refuses one for its syntax, Prometheus refuses
    /// it too, so the checker never blocks a query Prometheus would run.
    @Test func checkerNeverRefusesWhatPrometheusAccepts() async throws {
        let server = try await PrometheusServer.start(series: [])
        defer { server.stop() }
        let pieces = [
            "x", "sum", "rate", "by", "offset", " ", "(", ")", "{", "}", "[", "]", ",", ":", "=", "!=", "=~", "!~", "==", "+", "-",
            "*", "/", "@", "5m", "1h30m", "0", "1.5", "0x1f", "1e3", "\"a\"", "'b'", "`c`", "\"\\n\"", "#c\n", "\n", ";", "le",
        ]
        var generator = QueryPositionPropertyTests.Generator(state: 13)
        var refusedBoth = 0
        for _ in 0..<1000 {
            var query = ""
            for _ in 0..<(1 + generator.next(9)) { query += pieces[generator.next(pieces.count)] }
            let problems = QueryTemplateChecker.check(QueryTemplate(query)).problems
            guard !problems.isEmpty else { continue }
            let answer = try await server.query(query)
            #expect(answer.status == "error", "the checker refuses \(query.debugDescription) (\(problems.map(\.message))), Prometheus accepts it")
            refusedBoth += answer.status == "error" ? 1 : 0
        }
        #expect(refusedBoth > 300)
    }

    /// Label values that try to leave their literal, and neighbours they must not select.
    static let hostile = [
        "a\"b", "a\\b", "a\nb", "\"} or vector(1) #", "'} or vector(1) #", "it's", "tab\there", "x\u{7F}y", "é ü",
        "\u{FFFD}", "a.b", "a+b", "a|b", "back`tick", "\\\"", "{{model}}",
    ]
    static let neighbours = ["a", "b", "aXb", "aab", "x", "it", "\\"]

    @Test func hostileValuesSelectExactlyTheirSeries() async throws {
        let server = try await PrometheusServer.start(series: Self.hostile + Self.neighbours)
        defer { server.stop() }
        let templates = [#"sluice_probe{model="{{model}}"}"#, "sluice_probe{model='{{model}}'}", #"sluice_probe{model=~"{{model}}"}"#]
        for value in Self.hostile {
            for text in templates {
                let template = QueryTemplate(text)
                #expect(QueryTemplateChecker.check(template).problems.isEmpty)
                var values = Self.values
                values.model = value
                let query = template.render(values)
                let answer = try await server.query(query)
                #expect(answer.status == "success", "\(query): \(answer.error)")
                #expect(answer.models == [value], "\(value.debugDescription) with \(text) rendered \(query) and selected \(answer.models)")
            }
        }
    }
}

/// A Prometheus server on a loopback port with a temporary TSDB, optionally backfilled with
/// `sluice_probe{model="…"} 1` series at ``timestamp``.
final class PrometheusServer {
    let port: Int
    let directory: URL
    let process: SpawnedProcess
    /// When the backfilled samples are (a day ago, well inside the retention).
    let timestamp: Int

    static var binary: String? { installed("prometheus") }
    static var promtool: String? { installed("promtool") }
    static func installed(_ name: String) -> String? {
        ["/usr/bin/", "/usr/local/bin/"].map { $0 + name }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }
    static var isInstalled: Bool { binary != nil && promtool != nil }

    private init(port: Int, directory: URL, process: SpawnedProcess, timestamp: Int) {
        self.port = port
        self.directory = directory
        self.process = process
        self.timestamp = timestamp
    }

    struct StartError: Error, CustomStringConvertible {
        var description: String
    }

    static func start(series models: [String]) async throws -> PrometheusServer {
        guard let binary, let promtool else { throw StartError(description: "prometheus and promtool are not installed; run scripts/setup.sh") }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-prometheus-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let timestamp = Int(Date().timeIntervalSince1970) - 86_400
        try Data().write(to: directory.appendingPathComponent("prometheus.yml"))
        if !models.isEmpty {
            var text = "# TYPE sluice_probe gauge\n"
            for model in models {
                let escaped = model.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
                    .replacingOccurrences(of: "\n", with: "\\n")
                text += "sluice_probe{model=\"\(escaped)\"} 1 \(timestamp)\n"
            }
            text += "# EOF\n"
            let input = directory.appendingPathComponent("series.om")
            try Data(text.utf8).write(to: input)
            let backfill = SpawnedProcess()
            backfill.executableURL = URL(fileURLWithPath: promtool)
            backfill.arguments = ["tsdb", "create-blocks-from", "openmetrics", input.path, directory.appendingPathComponent("data").path]
            backfill.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
            try backfill.run()
            // Polled, never a blocking wait on the pool; a hung promtool fails the test after 2 min.
            let started = ContinuousClock.now
            while backfill.isRunning {
                guard ContinuousClock.now - started < .seconds(120) else {
                    backfill.signal(SIGKILL)
                    throw StartError(description: "promtool did not finish backfilling \(input.path) within 120 s")
                }
                try await Task.sleep(for: .milliseconds(10))
            }
            guard backfill.terminationStatus == 0 else { throw StartError(description: "promtool could not backfill \(input.path)") }
        }
        var lastError = "no attempt"
        for _ in 0..<5 {
            let port = Int.random(in: 12_000..<19_000)
            let process = SpawnedProcess()
            process.executableURL = URL(fileURLWithPath: binary)
            process.arguments = [
                "--config.file=" + directory.appendingPathComponent("prometheus.yml").path,
                "--storage.tsdb.path=" + directory.appendingPathComponent("data").path,
                "--storage.tsdb.retention.time=10y", "--web.listen-address=127.0.0.1:\(port)", "--log.level=warn",
            ]
            let log = directory.appendingPathComponent("prometheus-\(port).log")
            guard FileManager.default.createFile(atPath: log.path, contents: nil) else { throw StartError(description: "cannot write \(log.path)") }
            let handle = try FileHandle(forWritingTo: log)
            process.standardOutput = handle
            process.standardError = handle
            try process.run()
            let server = PrometheusServer(port: port, directory: directory, process: process, timestamp: timestamp)
            for _ in 0..<150 where process.isRunning {
                if await server.isReady() { return server }
                try await Task.sleep(for: .milliseconds(100))
            }
            lastError = (try? String(contentsOf: log, encoding: .utf8)) ?? "no log"
            server.stop(removing: false)
        }
        throw StartError(description: "prometheus did not become ready: \(lastError)")
    }

    private func isReady() async -> Bool {
        guard let url = URL(string: "http://127.0.0.1:\(port)/-/ready"),
            let (_, response) = try? await URLSession.shared.data(from: url)
        else { return false }
        return (response as? HTTPURLResponse)?.statusCode == 200
    }

    /// What `/api/v1/query` answered.
    struct Answer {
        var status: String
        var errorType: String?
        var error: String
        /// The `model` label of each series of a vector result.
        var models: [String]
    }

    func query(_ query: String) async throws -> Answer {
        var request = URLRequest(url: try #require(URL(string: "http://127.0.0.1:\(port)/api/v1/query")))
        request.httpMethod = "POST"
        request.setValue("application/x-www-form-urlencoded", forHTTPHeaderField: "Content-Type")
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        let encoded = query.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
        request.httpBody = Data("query=\(encoded)&time=\(timestamp)".utf8)
        let (data, _) = try await URLSession.shared.data(for: request)
        let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
        let result = (object["data"] as? [String: Any])?["result"] as? [[String: Any]] ?? []
        return Answer(
            status: object["status"] as? String ?? "", errorType: object["errorType"] as? String,
            error: object["error"] as? String ?? "",
            models: result.compactMap { ($0["metric"] as? [String: String])?["model"] }.sorted())
    }

    func stop(removing: Bool = true) {
        if process.isRunning {
            // SIGKILL and no wait (Foundation reaps it): any wait would hold a thread of the
            // tests' cooperative pool.
            process.signal(SIGKILL)
        }
        if removing { try? FileManager.default.removeItem(at: directory) }
    }
}
