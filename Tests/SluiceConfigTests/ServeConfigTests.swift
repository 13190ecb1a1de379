import Foundation
import SluiceCore
import Testing
@testable import SluiceServe

@Suite("serve config")
struct ServeConfigTests: ServeConfigParsing {
    @Test("a full config, with relative paths resolved against the file's directory")
    func full() throws {
        let config = try parse("""
            serve:
              listen: 0.0.0.0:9000
              admin:
                listen: unix:run/admin.sock
                tokenFile: secrets/token
              stateDirectory: state
              artifactRoot: /srv/models
              ports: 30000-30010
              pinHeader: X-Model-Version
              drainTimeout: 5s
              stopTimeout: 2s
              upstreamTimeout: 1m
            runtimes:
              python-v2:
                command: [python3, server.py, --port, "{port}"]
                env: {A: "1"}
                readinessPath: /v2/health/ready
                startTimeout: 45s
            """)
        #expect(config.listen == .tcp(host: "0.0.0.0", port: 9000))
        #expect(config.adminListen == .unix(path: "/etc/sluice/run/admin.sock"))
        #expect(config.adminToken == .file("/etc/sluice/secrets/token"))
        #expect(config.stateDirectory == "/etc/sluice/state")
        #expect(config.artifactRoot == "/srv/models")
        #expect(config.ports == 30000...30010)
        #expect(config.pinHeader == "x-model-version")
        #expect(config.drainTimeout == .seconds(5))
        #expect(config.upstreamTimeout == .seconds(60))
        let runtime = try #require(config.runtimes["python-v2"])
        #expect(runtime.command == ["python3", "server.py", "--port", "{port}"])
        #expect(runtime.environment == ["A": "1"])
        #expect(runtime.readinessPath == "/v2/health/ready")
        #expect(runtime.startTimeout == .seconds(45))
        #expect(runtime.workingDirectory == "/etc/sluice")
    }

    @Test("defaults: loopback listeners, a generated token, the documented timeouts")
    func defaults() throws {
        let config = try parse("runtimes: {}\n")
        #expect(config.listen == .tcp(host: "127.0.0.1", port: 8080))
        #expect(config.adminListen == .tcp(host: "127.0.0.1", port: 8081))
        #expect(config.adminToken == .generated)
        #expect(config.stateDirectory == "/etc/sluice/.sluice/serve")
        #expect(config.drainTimeout == .seconds(30))
        #expect(config.stopTimeout == .seconds(10))
    }

    @Test("every problem names the file, position and field, and says what is expected")
    func problemsAreSpecific() {
        let found = problems("""
            serve:
              listen: localhost
              admn: {}
              admin:
                listen: 127.0.0.1:8081
                tokenEnv: A
                tokenFile: b
              ports: 10-20
              pinHeader: "bad header"
              drainTimeout: soon
            runtimes:
              broken:
                env: {}
              empty:
                command: []
              typo:
                command: [x]
                readyPath: /r
              relative:
                command: [x]
                readinessPath: ready
            """)
        #expect(found == [
            "sluice.yaml:2:11: serve.listen: expected HOST:PORT such as 127.0.0.1:8080, found 'localhost'",
            "sluice.yaml:3:3: serve.admn: unknown field; did you mean 'admin'? (expected one of listen, admin, stateDirectory, artifactRoot, ports, pinHeader, drainTimeout, stopTimeout, upstreamTimeout, monitoring, feedback, metrics, limits)",
            "sluice.yaml:5:5: serve.admin: give tokenEnv or tokenFile, not both",
            "sluice.yaml:8:10: serve.ports: expected a range LOW-HIGH within 1024-65535, found '10-20'",
            "sluice.yaml:9:14: serve.pinHeader: expected an HTTP header name, found 'bad header'",
            "sluice.yaml:10:17: serve.drainTimeout: 'soon' is not a duration: expected a number before each unit",
            "sluice.yaml:13:5: runtimes.broken: missing command: a list such as [python3, server.py, --port, \"{port}\"]",
            "sluice.yaml:15:14: runtimes.empty.command: expected a non-empty list of strings (the program, then its arguments)",
            "sluice.yaml:18:5: runtimes.typo.readyPath: unknown field (expected one of command, env, readinessPath, startTimeout, workingDirectory)",
            "sluice.yaml:21:20: runtimes.relative.readinessPath: expected a path starting with '/'",
        ])
    }

    @Test("YAML errors and non-mapping documents are reported, not crashed on")
    func syntax() {
        #expect(problems("serve: [unclosed\n").first?.hasPrefix("sluice.yaml:") == true)
        #expect(problems("- a\n- b\n") == ["sluice.yaml:1:1: expected a mapping, found a list"])
        #expect(problems("") == ["sluice.yaml: expected one YAML document with `serve:` and `runtimes:`"])
    }

    @Test("artifact paths stay inside the artifact root")
    func artifactPaths() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("artifact-root-\(UInt32.random(in: 0 ... .max))")
        try FileManager.default.createDirectory(at: root.appendingPathComponent("models"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        try FileManager.default.createSymbolicLink(atPath: root.appendingPathComponent("models/escape").path, withDestinationPath: "/etc")
        #expect((try? ArtifactPath.check("models/a.json", root: root.path).get()) != nil)
        #expect((try? ArtifactPath.check(root.appendingPathComponent("models/a.json").path, root: root.path).get()) != nil)
        for escaping in ["../a.json", "models/../../a.json", "/etc/passwd", "models/escape/passwd"] {
            #expect((try? ArtifactPath.check(escaping, root: root.path).get()) == nil, "\(escaping)")
        }
    }

    @Test("serve.monitoring: bucket, retention and remembered predictions, with errors at the field")
    func monitoring() throws {
        let config = try parse("""
            serve:
              monitoring:
                bucket: 5s
                retain: 2m
                predictions: 5000
                sketchedPerSecond: 50
            """)
        #expect(config.monitoringBucket == .seconds(5))
        #expect(config.monitoringRetention == .seconds(120))
        #expect(config.rememberedPredictions == 5000)
        #expect(config.sketchedPerSecond == 50)
        #expect(problems("""
            serve:
              monitoring:
                bucket: 1500ms
                retain: 1s
                predictions: many
                window: 1h
            """) == [
            "sluice.yaml:3:13: serve.monitoring.bucket: expected whole seconds from 1s to 1h, found 1s500ms",
            "sluice.yaml:4:13: serve.monitoring.retain: expected at least one bucket (10s) and at most 24h, found 1s",
            "sluice.yaml:5:18: serve.monitoring.predictions: expected an integer from 0 to 10000000 (predictions kept for feedback)",
            "sluice.yaml:6:5: serve.monitoring.window: unknown field (expected one of bucket, retain, predictions, sketchedPerSecond)",
        ])
    }
}
