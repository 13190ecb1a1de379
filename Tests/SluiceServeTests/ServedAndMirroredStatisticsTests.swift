import Foundation
import SluiceCore
import SluiceTestSupport
import Testing
@testable import SluiceServe

/// What `/v1/stats` and `/metrics` say about served requests, mirrored copies and versions
/// that left the spec, over a real data plane and real model-server processes.
@Suite("statistics: served, mirrored and removed versions", .serialized, .timeLimit(.minutes(10)))
struct ServedAndMirroredStatisticsTests {
    /// Model `m` with v1 serving everything and v2 sent a copy of every request.
    static let mirroredSpec = #"""
        {"revision":"r1","models":[{"name":"m","versions":[
          {"name":"v1","runtime":"test","artifact":"model.json"},{"name":"v2","runtime":"test","artifact":"model.json"}],
          "route":{"weights":{"v1":100,"v2":0},"mirror":{"version":"v2","percent":100}}}]}
        """#

    @Test("served requests summed over versions equal the calls made, in /v1/stats and /metrics; copies are counted apart and stay out of analysis windows and monitoring")
    func mirroredCopiesAreCountedApart() async throws {
        try await DataPlaneFixture.with { plane in
            try await plane.apply(Self.mirroredSpec)
            try await plane.stepUntil("both ready") { await plane.ready("v1", "v2") }
            let calls = 12
            for _ in 0..<calls {
                let answer = try await plane.infer()
                #expect(answer.status == 200 && answer.servedBy == "v1")
            }
            // Copies are answered after the caller's response: wait until all are counted.
            var snapshot = StatsSnapshot(models: [:])
            try await plane.stepUntil("copies counted", advancing: .zero) {  // the clock holds: the windows keep every call
                snapshot = try await stats(plane)
                return snapshot.models["m"]?["v2"]?.mirrored == calls
            }
            let versions = try #require(snapshot.models["m"])
            #expect(versions.values.reduce(0) { $0 + $1.requests } == calls)
            #expect(versions.values.reduce(0) { $0 + $1.window.requests } == calls)
            let v2 = try #require(versions["v2"])
            #expect(v2.requests == 0 && v2.errors == 0 && v2.status["2xx"] == 0)
            #expect(v2.mirroredStatus["2xx"] == calls && v2.window.mirrored == calls)
            #expect(v2.latencyMs.p99 == nil, "copies have no served latency")
            #expect(v2.samples.seen == 0, "copies are not sampled")
            // What canary analysis reads of the mirror target: no requests, not the copies.
            #expect(snapshot.window(model: "m", version: "v2").requests == 0)

            let metrics = try await plane.request(.GET, port: plane.inferencePort, "/metrics")
            let parsed = ParsedExposition(metrics.text)
            #expect(parsed.problems == [])
            let served = parsed.samples.filter { $0.name == "sluice_requests_total" }.reduce(0) { $0 + $1.value }
            #expect(served == Double(calls), "\(metrics.text)")
            #expect(parsed.value("sluice_mirrored_requests_total", ["model": "m", "version": "v2"]) == Double(calls))

            // Monitoring buckets (what monitors judge) hold the served requests only: wait until
            // the ten-second buckets holding v1's requests have ended.
            var buckets: [MonitoringBucket] = []
            try await plane.stepUntil("v1's monitoring buckets ended") {
                let answer = try await plane.request(
                    .GET, port: plane.adminPort, "/v1/monitoring?after=0", headers: ["authorization": "Bearer \(plane.token)"])
                buckets = try WireJSON.decode(MonitoringBatch.self, from: Array(answer.text.utf8)).buckets
                return buckets.filter { $0.version == "v1" }.reduce(0) { $0 + $1.requests } == calls
            }
            #expect(buckets.filter { $0.version == "v2" }.reduce(0) { $0 + $1.requests } == 0)
        }
    }

    @Test("a version the next spec drops stays in /v1/stats and /metrics, marked removed, with its numbers; re-added it is live, its totals continuing")
    func removedVersionKeepsItsNumbers() async throws {
        try await DataPlaneFixture.with { plane in
            try await plane.apply(DataPlaneFixture.spec(["v1": 100, "v2": 0]))
            try await plane.stepUntil("both ready") { await plane.ready("v1", "v2") }
            for _ in 0..<3 { #expect(try await plane.infer(version: "v2").status == 200) }
            #expect(try await plane.infer().status == 200)

            // The aborted candidate leaves the spec.
            try await plane.apply(DataPlaneFixture.spec(["v1": 100], revision: "r2"))
            var snapshot = try await stats(plane)
            let removed = try #require(snapshot.models["m"]?["v2"], "v2's statistics disappeared")
            #expect(removed.removed)
            #expect(removed.removedAt.flatMap { ISO8601DateFormatter().date(from: $0) } != nil)
            #expect(removed.requests == 3 && removed.window.requests == 3)
            #expect(snapshot.models["m"]?["v1"]?.removed == false)
            let metrics = try await plane.request(.GET, port: plane.inferencePort, "/metrics")
            #expect(ParsedExposition(metrics.text).value("sluice_requests_total", ["model": "m", "version": "v2", "code_class": "2xx"]) == 3)

            // Back in the spec: live again, counting on from where it was.
            try await plane.apply(DataPlaneFixture.spec(["v1": 100, "v2": 0], revision: "r3"))
            try await plane.stepUntil("v2 ready again") { await plane.ready("v2") }
            #expect(try await plane.infer(version: "v2").status == 200)
            snapshot = try await stats(plane)
            let back = try #require(snapshot.models["m"]?["v2"])
            #expect(!back.removed && back.removedAt == nil)
            #expect(back.requests == 4 && back.window.requests == 1, "totals continue; windows start with the new life")
        }
    }

    /// `GET /v1/stats` through the admin API, as the controller reads it.
    private func stats(_ plane: DataPlaneFixture) async throws -> StatsSnapshot {
        let answer = try await plane.request(.GET, port: plane.adminPort, "/v1/stats?window=60", headers: ["authorization": "Bearer \(plane.token)"])
        try #require(answer.status == 200, "GET /v1/stats answered \(answer.status): \(answer.text)")
        return try WireJSON.decode(StatsSnapshot.self, from: Array(answer.text.utf8))
    }
}
