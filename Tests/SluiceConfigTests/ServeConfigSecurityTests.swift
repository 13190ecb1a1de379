import Foundation
import SluiceCore
import Testing
import SluiceConfig

@Suite("serve config: feedback, metrics and connection limits", .timeLimit(.minutes(10)))
struct ServeConfigSecurityTests: ConfigParsing {
    @Test("defaults: feedback needs a generated token, /metrics is open, connections and timeouts are bounded")
    func defaults() throws {
        let config = try parse("serve: {}\n")
        #expect(config.feedback == .token(.generated))
        #expect(config.metricsToken == nil)
        #expect(config.maximumConnections == 1024)
        #expect(config.idleTimeout == .seconds(60))
        #expect(config.headerTimeout == .seconds(10))
        #expect(config.bodyTimeout == .seconds(10))
        #expect(config.bufferedMiB == 256)
    }

    @Test("feedback and metrics tokens from a file or the environment; an explicit setting opens feedback")
    func tokens() throws {
        let config = try parse("""
            serve:
              feedback:
                tokenFile: secrets/feedback
              metrics:
                tokenEnv: SCRAPE_TOKEN
              limits:
                maxConnections: 50
                idleTimeout: 30s
                headerTimeout: 2s
                bodyTimeout: 5s
                bufferedMiB: 64
            """)
        #expect(config.feedback == .token(.file("/etc/sluice/secrets/feedback")))
        #expect(config.metricsToken == .environment("SCRAPE_TOKEN"))
        #expect(config.maximumConnections == 50)
        #expect(config.idleTimeout == .seconds(30))
        #expect(config.headerTimeout == .seconds(2))
        #expect(config.bodyTimeout == .seconds(5))
        #expect(config.bufferedMiB == 64)
        #expect(try parse("serve:\n  feedback:\n    open: true\n").feedback == .open)
        #expect(try parse("serve:\n  feedback:\n    open: false\n").feedback == .token(.generated))
    }

    @Test("contradictions and out-of-range limits are refused at their field")
    func problemsAreSpecific() {
        #expect(problems("serve:\n  feedback:\n    open: true\n    tokenEnv: T\n") == [
            "sluice.yaml:3:11: serve.feedback.open: an open feedback endpoint takes no token; remove tokenEnv/tokenFile or open",
        ])
        #expect(problems("serve:\n  feedback:\n    open: yes please\n") == ["sluice.yaml:3:11: serve.feedback.open: expected true or false; found the string \"yes please\""])
        #expect(problems("serve:\n  metrics:\n    tokenEnv: A\n    tokenFile: b\n") == ["sluice.yaml:4:5: serve.metrics.tokenFile: give tokenEnv or tokenFile, not both"])
        #expect(problems("serve:\n  limits:\n    maxConnections: 0\n    headerTimeout: 10ms\n") == [
            "sluice.yaml:3:21: serve.limits.maxConnections: 0 is out of range; expected an integer from 1 to 1000000",
            "sluice.yaml:4:20: serve.limits.headerTimeout: expected a duration from 100ms to 1h, found 10ms",
        ])
    }
}

@Suite("serve config: the example file", .timeLimit(.minutes(10)))
struct ExampleServeConfigTests {
    @Test("examples/sluice.yaml, with its documented access and limits settings, loads")
    func exampleLoads() throws {
        let config = try SluiceConfiguration.load(path: TestPaths.packageRoot.appendingPathComponent("examples/sluice.yaml").path).serve
        #expect(config.feedback == .token(.generated))
        #expect(config.maximumConnections == 1024)
        #expect(config.headerTimeout == .seconds(10))
    }
}
