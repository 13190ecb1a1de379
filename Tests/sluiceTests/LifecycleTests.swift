import ArgumentParser
import Foundation
import SluiceTestSupport
import Logging
@testable import sluice
import Testing

/// Log lines as users and scripts read them, log levels, and the shutdown of the
/// long-running commands on SIGTERM and SIGINT.
@Suite(.timeLimit(.minutes(10))) struct LifecycleTests {
    private static let moment = Date(timeIntervalSince1970: 1_780_000_000)  // 2026-05-28T20:26:40Z

    @Test("a log line is the time stamp, the message, then the metadata sorted by key")
    func lineFormat() {
        let plain = LineLogHandler.line(
            at: Self.moment, style: .plain, level: .info, message: "fraud: deployed: first deployment of fraud: v1 100%",
            metadata: ["trigger": "start", "model": "fraud"])
        #expect(plain == "2026-05-28T20:26:40Z fraud: deployed: first deployment of fraud: v1 100% model=fraud trigger=start\n")
        let serve = LineLogHandler.line(
            at: Self.moment, style: .leveled(component: "serve"), level: .error, message: "fraud/v1: unready: timeout",
            metadata: ["version": "v1", "model": "fraud"])
        #expect(serve == "2026-05-28T20:26:40Z serve error: fraud/v1: unready: timeout model=fraud version=v1\n")
        let bare = LineLogHandler.line(at: Self.moment, style: .leveled(component: "serve"), level: .info, message: "no saved runtime spec", metadata: [:])
        #expect(bare == "2026-05-28T20:26:40Z serve info: no saved runtime spec\n")
    }

    @Test("a metadata value that could split or forge a line is quoted and escaped")
    func hostileMetadata() {
        let line = LineLogHandler.line(
            at: Self.moment, style: .plain, level: .info, message: "m",
            metadata: [
                "trigger": "commit abc1234", "empty": "", "forged": "x\n2026-01-01T00:00:00Z fake", "pair": "a=b",
                "quote": "say \"hi\"", "list": .array(["a", "b c"]), "map": .dictionary(["k": "v"]),
            ])
        #expect(line.filter { $0 == "\n" }.count == 1, "one record, one line")
        #expect(line.contains(#" trigger="commit abc1234""#))
        #expect(line.contains(#" empty="""#))
        #expect(line.contains(#" forged="x\n2026-01-01T00:00:00Z fake""#))
        #expect(line.contains(#" pair="a=b""#))
        #expect(line.contains(#" quote="say \"hi\"""#))
        #expect(line.contains(#" list="[a,b c]""#))
        #expect(line.contains(#" map="{k=v}""#))
    }

    @Test("--log-level wins over SLUICE_LOG_LEVEL, which wins over info; a bad level names the variable")
    func levels() throws {
        #expect(try LogOptions.parse([]).level(environment: [:]) == .info)
        #expect(try LogOptions.parse([]).level(environment: ["SLUICE_LOG_LEVEL": "Debug"]) == .debug)
        #expect(try LogOptions.parse(["--log-level", "error"]).level(environment: ["SLUICE_LOG_LEVEL": "trace"]) == .error)
        #expect(throws: (any Error).self) { try LogOptions.parse(["--log-level", "loud"]) }
        do {
            _ = try LogOptions.parse([]).level(environment: ["SLUICE_LOG_LEVEL": "verbose"])
            Issue.record("an unknown level was accepted")
        } catch let error as ValidationError {
            #expect(error.message == "SLUICE_LOG_LEVEL is 'verbose'; expected one of trace, debug, info, notice, warning, error, critical")
        }
    }

    @Test("sluice serve at SLUICE_LOG_LEVEL=error logs its errors only, and stops on SIGINT with exit 0")
    func serveErrorLevelAndSIGINT() async throws {
        let serve = try ServeHarness()
        try await serve.start(environment: ["SLUICE_LOG_LEVEL": "error"])
        try await serve.apply(ServeHarness.fraudSpec(weights: ["v1": 100, "v2": 0], runtimes: ["v1": "exits"]))
        try await serve.waitReady("fraud", ["v2"])
        try await serve.waitUntil("an error logged for v1") { serve.serveLog.contains("serve error: fraud/v1: ") }
        // Named by pid and start time: once reaped, its pid may be another process's.
        let v2PID = try #require(try await serve.version("fraud", "v2")["pid"] as? Int)
        let v2 = try #require(ForeignProcess(Int32(v2PID)))
        #expect(await serve.stop(signal: SIGINT) == 0, "a graceful stop exits 0")
        #expect(!v2.isRunning, "the model server stopped with sluice serve")
        let log = serve.serveLog
        #expect(log.contains("serve error: fraud/v1: ") && log.contains(" model=fraud version=v1\n"), "\(log)")
        #expect(!log.contains("serve info:"), "\(log)")
    }

    @Test("sluice up hands its log level to its data plane; at warning neither plane logs info lines")
    func upPassesItsLevel() async throws {
        let harness = try ControllerHarness()
        try harness.repo.commit("fraud v1", files: ["manifests/fraud.yaml": ControllerHarness.fraud([("v1", "fraud-v2.1.json")], traffic: ["v1": 100])])
        try harness.start("up", environment: ["SLUICE_LOG_LEVEL": "warning"])
        defer { harness.forceStop("up") }
        try await harness.waitFor(health: "Healthy")
        #expect(try await harness.infer().1 == "v1")
        #expect(await harness.stop("up") == 0, "a graceful stop exits 0")
        let serveLog = (try? String(contentsOf: harness.directory.appendingPathComponent("state/serve/serve.log"), encoding: .utf8)) ?? ""
        #expect(serveLog.contains("sluice serve: inference on "), "the data plane wrote its log there: \(serveLog)")
        #expect(!serveLog.contains("serve info:"), "\(serveLog)")
        #expect(!harness.log("up").contains(" desired state at "), "\(harness.log("up"))")
    }

    @Test("sluice controller logs with metadata and stops on SIGTERM with exit 0; a bad SLUICE_LOG_LEVEL exits 64")
    func controllerLogsAndStops() async throws {
        let harness = try ControllerHarness()
        let head = try harness.repo.commit("fraud v1", files: ["manifests/fraud.yaml": ControllerHarness.fraud([("v1", "fraud-v2.1.json")], traffic: ["v1": 100])])
        // No data plane: every pass fails to reach it, and says so.
        try harness.start("controller")
        try await harness.waitUntil("a failed pass logged") { harness.log("controller").contains(" pass (") }
        #expect(await harness.stop("controller") == 0, "a graceful stop exits 0")
        let log = harness.log("controller")
        let lines = log.split(separator: "\n")
        #expect(log.contains(" pass (start): "), "the first pass is the start's: \(log.prefix(3000))")
        let desired = try #require(lines.first { $0.contains(" desired state at ") })
        #expect(desired.hasSuffix(" revision=\(head.prefix(7))"), "\(desired)")
        #expect(lines.contains { $0.contains(" pass (start): ") && $0.hasSuffix(" trigger=start") })
        let stamped = #/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ /#
        for line in lines where !line.hasPrefix("sluice controller: API on ") {
            #expect(line.firstMatch(of: stamped) != nil, "\(line)")
        }
        let bad = try await harness.cli(["controller", "--log-level", "loud"])
        #expect(bad.status == 64)
        let process = SpawnedProcess()
        process.executableURL = SluiceBinary.url
        process.arguments = ["controller", "--config", harness.directory.appendingPathComponent("sluice.yaml").path]
        process.environment = ProcessInfo.processInfo.environment.merging(["SLUICE_LOG_LEVEL": "verbose"]) { $1 }
        // To a file, read after the exit: a pipe read could block a thread of the pool.
        let errors = harness.directory.appendingPathComponent("bad-level.stderr")
        _ = FileManager.default.createFile(atPath: errors.path, contents: nil)
        process.standardError = try FileHandle(forWritingTo: errors)
        process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
        try #require(await ProcessWait.exitOrKill(process), "a bad SLUICE_LOG_LEVEL must end the controller at once")
        #expect(process.terminationStatus == 64)
        #expect(try String(contentsOf: errors, encoding: .utf8).contains("SLUICE_LOG_LEVEL is 'verbose'"))
    }
}
