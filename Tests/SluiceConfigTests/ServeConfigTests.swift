import Foundation
import SluiceCore
import Testing
import SluiceConfig

@Suite("serve config", .timeLimit(.minutes(10)))
struct ServeConfigTests: ConfigParsing {
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
            "sluice.yaml:3:3: serve.admn: unknown field 'admn' in serve; did you mean 'admin'?",
            "sluice.yaml:7:5: serve.admin.tokenFile: give tokenEnv or tokenFile, not both",
            "sluice.yaml:8:10: serve.ports: expected a range LOW-HIGH within 1024-65535, found '10-20'",
            "sluice.yaml:9:14: serve.pinHeader: expected an HTTP header name (letters, digits and !#$%&'*+-.^_`|~), found 'bad header'",
            "sluice.yaml:10:17: serve.drainTimeout: 'soon' is not a duration: expected a number before each unit",
            "sluice.yaml:12:3: runtimes.broken.command: missing required field 'command' in runtimes.broken",
            "sluice.yaml:15:14: runtimes.empty.command: expected at least 1 item; the list is empty",
            "sluice.yaml:18:5: runtimes.typo.readyPath: unknown field 'readyPath' in runtimes.typo; expected one of command, env, readinessPath, startTimeout, workingDirectory, kubernetes, kserve",
            "sluice.yaml:21:20: runtimes.relative.readinessPath: expected a path starting with '/', found 'ready'",
        ])
    }

    @Test("serve.grpcListen: off by default, an address like listen's, a runtime naming {grpcPort} serves gRPC")
    func grpc() throws {
        #expect(try parse("runtimes: {}\n").grpcListen == nil)
        let config = try parse("""
            serve:
              grpcListen: 127.0.0.1:9090
            runtimes:
              mlserver:
                command: [mlserver, start, "{artifact}"]
                env: {MLSERVER_GRPC_PORT: "{grpcPort}"}
              rest:
                command: [server, "{port}"]
            """)
        #expect(config.grpcListen == .tcp(host: "127.0.0.1", port: 9090))
        #expect(config.runtimes["mlserver"]?.servesGRPC == true)
        #expect(config.runtimes["rest"]?.servesGRPC == false)
        #expect(RuntimeDefinition(command: ["x", "--grpc={grpcPort}"]).servesGRPC)
        #expect(problems("serve:\n  grpcListen: unix:/tmp/g.sock\n") == [
            "sluice.yaml:2:15: serve.grpcListen: expected HOST:PORT such as 127.0.0.1:8080 (this listener cannot be a unix socket), found 'unix:/tmp/g.sock'",
        ])
        #expect(problems("serve:\n  grpcListen: 9090\n") == ["sluice.yaml:2:15: serve.grpcListen: expected HOST:PORT such as 127.0.0.1:8080, found '9090'"])
        #expect(problems("serve:\n  listen: 127.0.0.1:8080\n  grpcListen: 127.0.0.1:8080\n") == [
            "sluice.yaml:3:15: serve.grpcListen: expected an address other than serve.listen ('127.0.0.1:8080'): gRPC has its own listener",
        ])
    }

    @Test("YAML errors and non-mapping documents are reported, not crashed on")
    func syntax() {
        #expect(problems("serve: [unclosed\n").first?.hasPrefix("sluice.yaml:") == true)
        #expect(problems("- a\n- b\n") == ["sluice.yaml:1:1: expected a mapping with the fields serve, runtimes, controller, backend; found a list"])
        #expect(problems("") == ["sluice.yaml: expected one YAML document with `serve:` and `runtimes:`"])
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
            "sluice.yaml:5:18: serve.monitoring.predictions: expected an integer from 0 to 10000000; found the string \"many\"",
            "sluice.yaml:6:5: serve.monitoring.window: unknown field 'window' in serve.monitoring; expected one of bucket, retain, predictions, sketchedPerSecond",
        ])
    }

    @Test("serve.maxProcesses: 64 by default, 1 to 10000, with errors at the field")
    func maxProcesses() throws {
        #expect(try parse("serve: {}\n").maxProcesses == 64)
        #expect(try parse("serve:\n  maxProcesses: 3\n").maxProcesses == 3)
        #expect(problems("serve:\n  maxProcesses: 0\n") == [
            "sluice.yaml:2:17: serve.maxProcesses: 0 is out of range; expected an integer from 1 to 10000",
        ])
        #expect(problems("serve:\n  maxProcesses: lots\n") == [
            "sluice.yaml:2:17: serve.maxProcesses: expected an integer from 1 to 10000; found the string \"lots\"",
        ])
    }

    @Test("serve.eventLoops: one per core by default, 1 to 256, with errors at the field")
    func eventLoops() throws {
        #expect(try parse("serve: {}\n").eventLoops == nil)
        #expect(try parse("serve:\n  eventLoops: 1\n").eventLoops == 1)
        #expect(problems("serve:\n  eventLoops: 0\n") == [
            "sluice.yaml:2:15: serve.eventLoops: 0 is out of range; expected an integer from 1 to 256",
        ])
        #expect(problems("serve:\n  eventLoops: all\n") == [
            "sluice.yaml:2:15: serve.eventLoops: expected an integer from 1 to 256; found the string \"all\"",
        ])
    }

    @Test("serve.gatewayEngine: epoll by default, nio when asked, anything else an error at the field")
    func gatewayEngine() throws {
        #expect(try parse("serve: {}\n").gatewayEngine == .epoll)
        #expect(try parse("serve:\n  gatewayEngine: nio\n").gatewayEngine == .nio)
        let found = problems("serve:\n  gatewayEngine: fast\n")
        #expect(found.count == 1, "\(found)")
        #expect(found.first?.hasPrefix("sluice.yaml:2:18: serve.gatewayEngine:") == true, "\(found)")
        #expect(found.first?.contains("epoll") == true, "\(found)")
    }

    @Test("serve.eventLoopScheduling: batch by default, normal when asked, anything else an error at the field")
    func eventLoopScheduling() throws {
        #expect(try parse("serve: {}\n").eventLoopScheduling == .batch)
        #expect(try parse("serve:\n  eventLoopScheduling: normal\n").eventLoopScheduling == .normal)
        let found = problems("serve:\n  eventLoopScheduling: realtime\n")
        #expect(found.count == 1, "\(found)")
        #expect(found.first?.hasPrefix("sluice.yaml:2:24: serve.eventLoopScheduling:") == true, "\(found)")
        #expect(found.first?.contains("batch") == true, "\(found)")
    }

    @Test("numbers and booleans written without quotes in commands, env and names are read as their text")
    func unquotedScalars() throws {
        let config = try parse("""
            serve:
              stateDirectory: 2024
            runtimes:
              python:
                command: [python3, server.py, --workers, 2, --debug, true]
                env: {WORKERS: 2, DEBUG: true, RATIO: 0.5}
            """)
        #expect(config.stateDirectory == "/etc/sluice/2024")
        let runtime = try #require(config.runtimes["python"])
        #expect(runtime.command == ["python3", "server.py", "--workers", "2", "--debug", "true"])
        #expect(runtime.environment == ["WORKERS": "2", "DEBUG": "true", "RATIO": "0.5"])
    }
}
