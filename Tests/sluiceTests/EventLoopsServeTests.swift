import Foundation
import SluiceTestSupport
import Testing

/// `serve.eventLoops` end to end: the real binary's threads, and a model served on one loop.
@Suite("sluice serve: event loops", .serialized, .timeLimit(.minutes(5)))
struct EventLoopsServeTests {
    /// The names of the process's event-loop threads (NIO names them `NIO-ELT-<group>-#<n>`).
    private static func eventLoopThreads(_ pid: Int32) throws -> [String] {
        let tasks = "/proc/\(pid)/task"
        return try FileManager.default.contentsOfDirectory(atPath: tasks).compactMap { task in
            let name = try? String(contentsOfFile: "\(tasks)/\(task)/comm", encoding: .utf8)
            return name.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.flatMap { $0.hasPrefix("NIO-ELT-") ? $0 : nil }
        }.sorted()
    }

    @Test("serve.eventLoops: 1 runs the gateway, the upstream connections and the supervisor on one thread, and serves")
    func oneLoop() async throws {
        let serve = try ServeHarness(extraConfig: "  eventLoops: 1")
        try await serve.start()
        defer { serve.forceStop() }
        let pid = try #require(serve.process?.processIdentifier)
        #expect(try Self.eventLoopThreads(pid) == ["NIO-ELT-1-#1"])
        try await serve.apply(ServeHarness.fraudSpec(weights: ["v1": 90, "v2": 10]))
        try await serve.waitReady("fraud", ["v1", "v2"])
        for _ in 0..<20 {
            let response = try await serve.infer("fraud")
            #expect(response.status == 200, "\(response.text)")
        }
        #expect(try Self.eventLoopThreads(pid) == ["NIO-ELT-1-#1"])
    }

    @Test("serve.eventLoops: 3 starts three event-loop threads whatever the core count")
    func threeLoops() async throws {
        let serve = try ServeHarness(extraConfig: "  eventLoops: 3")
        try await serve.start()
        defer { serve.forceStop() }
        let pid = try #require(serve.process?.processIdentifier)
        #expect(try Self.eventLoopThreads(pid) == ["NIO-ELT-1-#1", "NIO-ELT-1-#2", "NIO-ELT-1-#3"])
        let live = try await serve.request("GET", serve.inferenceURL.appendingPathComponent("/v2/health/live"))
        #expect(live.status == 200)
    }
}
