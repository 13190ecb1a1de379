import Foundation
import SluiceConfig
import SluiceCore
import Testing

/// `controller.prometheus`: the metrics provider's address, token, CA, limits and the
/// templates that answer the built-in metrics.
@Suite(.timeLimit(.minutes(10))) struct PrometheusConfigTests: ConfigParsing {
    /// The `prometheus` section of a file whose controller section holds `lines`.
    func prometheus(_ lines: String) throws -> PrometheusConfig? {
        let indented = lines.split(separator: "\n", omittingEmptySubsequences: false).map { "    " + $0 }.joined(separator: "\n")
        return try configuration("controller:\n  repository: .\n  prometheus:\n\(indented)\n").controller().prometheus
    }

    @Test func withoutASectionThereIsNoProvider() throws {
        #expect(try configuration("controller:\n  repository: .\n").controller().prometheus == nil)
    }

    @Test func aURLAloneTakesEveryDefault() throws {
        let config = try #require(try prometheus("url: https://prom.example:9090/prometheus"))
        #expect(config == PrometheusConfig(url: "https://prom.example:9090/prometheus"))
        #expect(config.timeout == .seconds(10))
        #expect(config.namespace == "default")
        #expect(config.maxConcurrentQueries == 16)
        #expect(config.builtinMetrics == .gateway)
        #expect(config.token == nil)
        #expect(config.queries.count == BuiltinQuery.allCases.count)
        // The gateway answers built-in metrics unless told otherwise.
        #expect(config.template(for: .errorRate) == nil)
    }

    @Test func everyFieldIsRead() throws {
        let config = try #require(try prometheus("""
            url: http://127.0.0.1:9090
            tokenFile: secrets/prom-token
            timeout: 2500ms
            namespace: ml-prod
            maxConcurrentQueries: 64
            builtinMetrics: prometheus
            queries:
              error_rate: sum(rate(http_errors_total{app="{{model}}",track="{{version}}"}[{{window}}]))
            """))
        #expect(config.token == .file("/etc/sluice/secrets/prom-token"))
        #expect(config.timeout == SluiceCore.Duration(milliseconds: 2500))
        #expect(config.namespace == "ml-prod")
        #expect(config.maxConcurrentQueries == 64)
        #expect(config.builtinMetrics == .prometheus)
        #expect(config.template(for: .errorRate)?.text == #"sum(rate(http_errors_total{app="{{model}}",track="{{version}}"}[{{window}}]))"#)
        // The ones not given keep their defaults.
        #expect(config.template(for: .latencyP99) == BuiltinQuery.latencyP99.defaultTemplate)
        #expect(config.template(for: .accuracy) == nil)
        #expect(config.queries[.requests] == BuiltinQuery.requests.defaultTemplate)
    }

    @Test func theDefaultTemplatesReadSluiceServesOwnMetricsAndEscapeTheirValues() {
        let values = QueryTemplate.Values(model: #"fr"aud"#, version: "v2", stableVersion: "v1", window: .seconds(60), namespace: "default")
        let errorRate = BuiltinQuery.errorRate.defaultTemplate.render(values)
        #expect(errorRate.contains(#"sluice_request_errors_total{model="fr\"aud",version="v2"}"#))
        #expect(errorRate.contains("sluice_requests_total"))
        let p99 = BuiltinQuery.latencyP99.defaultTemplate.render(values)
        #expect(p99.hasPrefix("1000 * histogram_quantile(0.99, sum by (le) (rate(sluice_request_duration_seconds_bucket{"))
        #expect(BuiltinQuery.latencyP50.defaultTemplate.text.contains("histogram_quantile(0.5,"))
        #expect(BuiltinQuery.requests.defaultTemplate.text.hasPrefix("sum(increase(sluice_requests_total{"))
    }

    @Test func theCAFileMustBeAReadablePEMFile() throws {
        let path = try write("")
        let directory = (path as NSString).deletingLastPathComponent
        try "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n".write(toFile: "\(directory)/ca.pem", atomically: true, encoding: .utf8)
        try "not a certificate\n".write(toFile: "\(directory)/ca.txt", atomically: true, encoding: .utf8)
        func load(_ caFile: String) throws -> ControllerConfig {
            try "controller:\n  repository: .\n  prometheus:\n    url: https://prom:9090\n    caFile: \(caFile)\n"
                .write(toFile: path, atomically: true, encoding: .utf8)
            return try SluiceConfiguration.load(path: path).controller()
        }
        #expect(try load("ca.pem").prometheus?.caFile == "\(directory)/ca.pem")
        for (file, reason) in [
            ("ca.txt", "holds no '-----BEGIN CERTIFICATE-----' block"),
            ("missing.pem", "does not exist (relative paths start at the config file's directory)"),
        ] {
            do {
                _ = try load(file)
                Issue.record("\(file) was accepted")
            } catch let error as ConfigError {
                #expect(error.problems == ["\(path):5:13: controller.prometheus.caFile: expected a readable PEM file of CA certificates, but '\(file)' \(reason)"])
            }
        }
    }

    @Test func theTokenIsReadAtEachUseFromAPrivateFile() throws {
        let path = try write("controller:\n  repository: .\n  stateDirectory: state\n  prometheus:\n    url: http://127.0.0.1:9090\n    tokenFile: prom-token\n")
        let directory = (path as NSString).deletingLastPathComponent
        let tokenFile = "\(directory)/prom-token"
        _ = FileManager.default.createFile(atPath: tokenFile, contents: Data("first\n".utf8), attributes: [.posixPermissions: 0o600])
        let config = try SluiceConfiguration.load(path: path).controller()
        let secrets = try ControllerSecrets.resolve(config)
        let token = try #require(secrets.prometheusToken)
        #expect(try token() == "first")
        try Data("rotated\n".utf8).write(to: URL(fileURLWithPath: tokenFile))
        #expect(try token() == "rotated")
        // Opened to others later: refused at the next use, naming the field, never the value.
        chmod(tokenFile, 0o644)
        do {
            _ = try token()
            Issue.record("a token file others can read was used")
        } catch {
            #expect("\(error)".hasPrefix("controller.prometheus.tokenFile: \(tokenFile) has mode 0644"))
            #expect(!"\(error)".contains("rotated"))
        }
        // And at start.
        #expect(throws: (any Error).self) { try ControllerSecrets.resolve(config) }
    }

    @Test func aMissingTokenVariableIsRefusedAtStart() throws {
        let name = "SLUICE_TEST_PROMETHEUS_TOKEN_\(UUID().uuidString.prefix(8))"
        let path = try write("controller:\n  repository: .\n  stateDirectory: state\n  prometheus:\n    url: http://127.0.0.1:9090\n    tokenEnv: \(name)\n")
        let config = try SluiceConfiguration.load(path: path).controller()
        #expect(config.prometheus?.token == .environment(name))
        do {
            _ = try ControllerSecrets.resolve(config)
            Issue.record("an unset token variable was accepted")
        } catch {
            #expect("\(error)" == "controller.prometheus.tokenEnv: the environment variable \(name) is not set or empty")
        }
        // A variable the process already has (PATH), not setenv: changing the environment races
        // the children that tests running beside this one start.
        let set = try write("controller:\n  repository: .\n  stateDirectory: state\n  prometheus:\n    url: http://127.0.0.1:9090\n    tokenEnv: PATH\n")
        let present = try SluiceConfiguration.load(path: set).controller()
        #expect(try ControllerSecrets.resolve(present).prometheusToken?() == ProcessInfo.processInfo.environment["PATH"])
    }

    @Test func badValuesAreRefusedNamingTheFieldAndTheExpectation() {
        let found = problems("""
            controller:
              repository: .
              prometheus:
                url: prom.example:9090
                timeout: 10m
                namespace: ""
                maxConcurrentQueries: 0
            """)
        #expect(found == [
            "sluice.yaml:4:10: controller.prometheus.url: expected an http:// or https:// URL with a host (and an optional port and path); found 'prom.example:9090': it does not start with http:// or https://",
            "sluice.yaml:5:14: controller.prometheus.timeout: expected a duration from 100ms to 5m, found 10m",
            "sluice.yaml:6:16: controller.prometheus.namespace: expected a non-empty name without control characters",
            "sluice.yaml:7:27: controller.prometheus.maxConcurrentQueries: 0 is out of range; expected an integer from 1 to 256",
        ])
        for (url, reason) in [
            ("https://user:pw@prom:9090", "credentials belong in tokenEnv or tokenFile"), ("http://:9090", "there is no host"),
            ("http://prom:9090/?x=1", "a query or fragment is not allowed"), ("ftp://prom", "the scheme is 'ftp'"),
        ] {
            #expect(problems("controller:\n  repository: .\n  prometheus:\n    url: \"\(url)\"\n").first?.hasSuffix(reason) == true, "\(url)")
        }
    }
}
