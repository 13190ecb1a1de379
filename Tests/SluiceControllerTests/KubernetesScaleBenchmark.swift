import Foundation
import SluiceCore
import SluiceKubernetes
import SluiceTestSupport
import Testing
@testable import SluiceController

/// A benchmark, not a test of behaviour: run with `SLUICE_BENCH=1 swift test --filter
/// KubernetesScaleBenchmark` (Benchmarks/README.md). 1,000 models on the gateway-api driver
/// against the loopback **fake** API server: the passes that deploy them, that change nothing,
/// that change one model, and that start a canary on every model, each with its wall time,
/// the API requests it sent, and the process's peak memory.
@Suite("benchmark: kubernetes backend at 1,000 models", .enabled(if: ProcessInfo.processInfo.environment["SLUICE_BENCH"] == "1"), .timeLimit(.minutes(10)))
struct KubernetesScaleBenchmark {
    static let models = 1000

    static func name(_ index: Int) -> String { String(format: "m%04d", index) }

    static func peakMemoryMiB() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_maxrss) / 1024
    }

    /// Runs `body` as one timed pass; returns a report row.
    static func measure(_ label: String, fixture: ClusterFixture, _ body: () async throws -> Void) async rethrows -> String {
        let requests = fixture.client.requestCount
        let started = ContinuousClock.now
        try await body()
        let elapsed = ContinuousClock.now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return String(format: "%-34@ wall %8.3f s  requests %6d  peak RSS %6.0f MiB", label as NSString, seconds, fixture.client.requestCount - requests, peakMemoryMiB())
    }

    @Test("1,000 models: deploy, idle, one change, a canary on every model")
    func scale() async throws {
        var files: [String: String] = [:]
        for index in 0..<Self.models { files["manifests/\(Self.name(index)).yaml"] = ClusterManifests.fraud(name: Self.name(index)) }
        let fixture = try await ClusterFixture(files: files)
        defer { Task { await fixture.close(); await fixture.server.stop() } }
        var rows: [String] = []
        rows.append(await Self.measure("deploy pass (3,000 objects)", fixture: fixture) { await fixture.pass(.start) })
        try await fixture.passUntil("every model healthy", limit: 400) {
            await (0..<Self.models).asyncAllSatisfy { await fixture.state(Self.name($0))?.health == .healthy }
        }
        for round in 0..<3 {
            rows.append(await Self.measure("idle pass \(round)", fixture: fixture) { await fixture.pass(.rolloutTick) })
        }
        try fixture.commit("one model", [Self.name(7): ClusterManifests.fraud(["v2"], traffic: ["v2": 100], name: Self.name(7))])
        rows.append(await Self.measure("one model changed", fixture: fixture) { await fixture.pass(.rolloutTick) })
        var canaries: [String: String] = [:]
        for index in 0..<Self.models where index != 7 {
            canaries[Self.name(index)] = ClusterManifests.fraud(
                ["v1", "v2"], traffic: ["v1": 0, "v2": 100], name: Self.name(index), extra: KubernetesPassTests.canarySteps)
        }
        try fixture.commit("every model to v2 by canary", canaries)
        rows.append(await Self.measure("canary started on 999 models", fixture: fixture) { await fixture.pass(.rolloutTick) })
        print("kubernetes backend at \(Self.models) models (fake API server, debug build unless -c release):\n" + rows.joined(separator: "\n"))
    }
}
