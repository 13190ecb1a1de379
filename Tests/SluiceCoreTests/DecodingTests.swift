import SluiceCore
import Testing

/// A manifest that sets every field decodes to exactly what it says; omitted fields get the
/// documented defaults.
@Suite(.timeLimit(.minutes(10))) struct DecodingTests {
    static let kitchenSink = """
        apiVersion: sluice/v1
        kind: ModelDeployment
        metadata:
          name: everything
          labels: {team: risk, sluice.dev/tier: "1"}
        spec:
          runtime: python-v2
          versions:
            - name: v1
              artifact: models/v1.json
              digest: sha512:\(String(repeating: "ab", count: 64))
            - name: v2
              artifact: s3://bucket/v2.bst
          traffic: {v1: 20, v2: 80}
          routing:
            stickyHeader: x-user-id
            mirror: {version: v2, percent: 5}
          rollout:
            steps:
              - weight: 5
              - pause: 1h30m
              - approval:
              - weight: 60
            analysis:
              interval: 45s
              minRequests: 10
              failureLimit: 2
              inconclusiveLimit: 3
              consecutiveErrorLimit: 1
              checks:
                - {metric: latency_p95_ms, max: 80, maxRatioToStable: 1.5, minRatioToStable: 0.5}
                - {metric: input_drift, inputs: [amount, country], test: jensen_shannon, against: reference, reference: baselines/a.json, max: 0.1}
            onAbort: revert
            progressDeadline: 20m
            rollbackWindow: 2
          monitors:
            - name: mae
              metric: mae
              max: 3.5
              window: 30m
              minSamples: 50
              consecutiveWindows: 3
              severity: info
              action: retrain
            - name: drift
              metric: prediction_drift
              test: hellinger
              reference: baselines/p.json
              max: 0.3

        """

    @Test func everyFieldDecodes() throws {
        let file = ManifestValidator().validate(bytes: Array(Self.kitchenSink.utf8), path: "sink.yaml")
        #expect(file.diagnostics.isEmpty, "\(file.diagnostics)")
        let model = try #require(file.entries.first?.deployment)
        #expect(model.name == "everything")
        #expect(model.labels == ["team": "risk", "sluice.dev/tier": "1"])
        #expect(model.versions.map(\.name) == ["v1", "v2"])
        #expect(model.versions[0].digest?.algorithm == .sha512)
        #expect(model.versions[1].artifact == "s3://bucket/v2.bst")
        #expect(model.traffic == ["v1": 20, "v2": 80])
        #expect(model.routing == Routing(stickyHeader: "x-user-id", mirror: Mirror(version: "v2", percent: 5)))
        let rollout = try #require(model.rollout)
        #expect(rollout.steps == [.weight(5), .pause(Duration(milliseconds: 5_400_000)), .approval, .weight(60)])
        #expect(rollout.onAbort == .revert)
        #expect(rollout.progressDeadline == .seconds(1200))
        #expect(rollout.rollbackWindow == 2)
        let analysis = try #require(rollout.analysis)
        #expect(analysis.interval == .seconds(45))
        #expect([analysis.minRequests, analysis.failureLimit, analysis.inconclusiveLimit, analysis.consecutiveErrorLimit] == [10, 2, 3, 1])
        #expect(analysis.checks[0].thresholds == Thresholds(max: 80, maxRatioToStable: 1.5, minRatioToStable: 0.5))
        #expect(analysis.checks[1].inputs == ["amount", "country"])
        #expect(analysis.checks[1].test == .jensenShannon)
        #expect(analysis.checks[1].against == .reference)
        #expect(analysis.checks[1].reference == "baselines/a.json")
        #expect(model.monitors[0] == Monitor(
            name: "mae", metric: .mae, thresholds: Thresholds(max: 3.5), window: .seconds(1800), minSamples: 50,
            consecutiveWindows: 3, severity: .info, action: .retrain))
        #expect(model.monitors[1].test == .hellinger)
    }

    @Test func omittedFieldsGetTheDocumentedDefaults() throws {
        let yaml = """
            apiVersion: sluice/v1
            kind: ModelDeployment
            metadata: {name: small}
            spec:
              runtime: r
              versions: [{name: v1, artifact: m.json}]
              rollout:
                steps: [{weight: 10}]
                analysis: {checks: [{metric: error_rate, max: 0.1}]}
              monitors: [{name: lat, metric: latency_p99_ms, max: 200}]

            """
        let file = ManifestValidator().validate(bytes: Array(yaml.utf8), path: "small.yaml")
        #expect(file.diagnostics.isEmpty, "\(file.diagnostics)")
        let model = try #require(file.entries.first?.deployment)
        #expect(model.traffic == ["v1": 100])
        #expect(model.labels.isEmpty)
        #expect(model.rollout?.onAbort == .rollback)
        #expect(model.rollout?.progressDeadline == .seconds(600))
        #expect(model.rollout?.rollbackWindow == 5)
        #expect(model.rollout?.analysis == Analysis(checks: [AnalysisCheck(metric: .errorRate, thresholds: Thresholds(max: 0.1))]))
        #expect(model.rollout?.analysis?.consecutiveErrorLimit == 4)
        #expect(model.monitors == [Monitor(name: "lat", metric: .latencyP99, thresholds: Thresholds(max: 200))])
        #expect(model.monitors[0].window == .seconds(3600))
    }

    @Test func versionsLeftOutOfTrafficGetZero() throws {
        let yaml = """
            apiVersion: sluice/v1
            kind: ModelDeployment
            metadata: {name: ab}
            spec:
              runtime: r
              versions: [{name: a, artifact: a.json}, {name: b, artifact: b.json}]
              traffic: {b: 100}

            """
        let file = ManifestValidator().validate(bytes: Array(yaml.utf8), path: "ab.yaml")
        #expect(file.entries.first?.deployment?.traffic == ["a": 0, "b": 100])
    }
}

/// Renderers: compiler-style text, JSON, GitHub workflow commands.
@Suite(.timeLimit(.minutes(10))) struct RendererTests {
    static func report() -> ValidationReport {
        let text = "apiVersion: sluice/v1\nkind: ModelDeployment\nmetadata:\n\tname: x\n"
        return ValidationReport(files: [ManifestValidator().validate(bytes: Array(text.utf8), path: "a,b:c.yaml")])
    }

    @Test func githubEscapesPropertiesAndData() {
        let diagnostic = Diagnostic(
            file: "dir/a,b:c.yaml", location: SourceLocation(line: 3, column: 7), code: .unknownField,
            message: "50% off\nsecond line")
        let output = DiagnosticRenderer(format: .github).render(
            ValidationReport(files: [ManifestFile(path: "dir/a,b:c.yaml", entries: [], diagnostics: [diagnostic])]))
        #expect(output.hasPrefix("::error file=dir/a%2Cb%3Ac.yaml,line=3,col=7,title=sluice validate%3A unknown-field::50%25 off%0Asecond line\n"))
    }

    @Test func caretKeepsTabs() {
        let diagnostic = Diagnostic(file: "t.yaml", location: SourceLocation(line: 1, column: 3), code: .syntax, message: "m")
        let output = DiagnosticRenderer(format: .text) { _, _ in "\tab" }.render(
            ValidationReport(files: [ManifestFile(path: "t.yaml", entries: [], diagnostics: [diagnostic])]))
        #expect(output.contains("\n\tab\n\t ^\n"))
    }

    @Test func jsonListsEveryDiagnostic() {
        let report = Self.report()
        let json = DiagnosticRenderer(format: .json).renderJSON(report)
        #expect(json["valid"] == .bool(false))
        guard case .array(let diagnostics)? = json["diagnostics"] else { Issue.record("no diagnostics"); return }
        #expect(diagnostics.count == report.diagnostics.count)
        #expect(diagnostics.first?["code"] == .string("yaml-syntax"))
    }
}
