import Foundation
import SluiceCore
import SluiceTestSupport
import Testing
@testable import SluiceServe

/// The cap on mirrored copies in flight, and the shadow tallies in `/v1/stats` and `/metrics`.
@Suite("statistics: mirror cap and shadow tallies", .timeLimit(.minutes(10)))
struct ShadowStatisticsTests {
    static let pair = ShadowPairOutcome.paired(
        OutputComparison.compare(stable: [.number(1)], candidate: [.number(1.004)]), candidateMicros: 3000, stableMicros: 1000)

    @Test("a version gets at most the cap of copies in flight; one over it is shed and counted, for paired and plain mirrors alike")
    func cap() throws {
        let statistics = TrafficStatistics()
        let first = try #require(statistics.admitMirror(model: "m", version: "v2", cap: 2, tolerances: [0, 0.01]))
        let second = try #require(statistics.admitMirror(model: "m", version: "v2", cap: 2, tolerances: [0, 0.01]))
        #expect(statistics.admitMirror(model: "m", version: "v2", cap: 2, tolerances: [0, 0.01]) == nil)
        statistics.release(first)
        let third = try #require(statistics.admitMirror(model: "m", version: "v2", cap: 2, tolerances: [0, 0.01]))
        statistics.release(second)
        statistics.release(third)
        // A plain mirror to another version: shed counted, no shadow tally.
        let plain = try #require(statistics.admitMirror(model: "m", version: "v3", cap: 1, tolerances: nil))
        #expect(statistics.admitMirror(model: "m", version: "v3", cap: 1, tolerances: nil) == nil)
        statistics.release(plain)

        let snapshot = statistics.snapshot(windowSeconds: 60)
        let v2 = try #require(snapshot.models["m"]?["v2"])
        #expect(v2.shadow?.copies == 3 && v2.shadow?.shed == 1 && v2.mirroredShed == 1)
        let v3 = try #require(snapshot.models["m"]?["v3"])
        #expect(v3.shadow == nil && v3.mirroredShed == 1)
    }

    @Test("under concurrent admission from several threads the cap holds and every attempt is a copy or shed")
    func concurrentCap() throws {
        let statistics = TrafficStatistics()
        /// Slots held now, the most ever held at once, and the copies admitted.
        final class Count: @unchecked Sendable {
            let lock = NSLock()
            var held = 0, most = 0, admitted = 0
        }
        let count = Count()
        let attempts = 4 * 5000
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            for _ in 0..<5000 {
                guard let slot = statistics.admitMirror(model: "m", version: "v2", cap: 3, tolerances: [0]) else { continue }
                count.lock.withLock {
                    count.held += 1
                    count.admitted += 1
                    count.most = max(count.most, count.held)
                }
                count.lock.withLock { count.held -= 1 }
                statistics.release(slot)
            }
        }
        #expect(count.most <= 3)
        let shadow = try #require(statistics.snapshot(windowSeconds: 60).models["m"]?["v2"]?.shadow)
        #expect(shadow.copies == count.admitted)
        #expect(shadow.copies + shadow.shed == attempts)
        #expect(statistics.admitMirror(model: "m", version: "v2", cap: 3, tolerances: [0]) != nil, "every slot was given back")
    }

    @Test("outcomes count in the window of their second answer; /v1/stats shows them over the asked-for window")
    func windows() throws {
        let clock = TrafficStatisticsTests.ManualClock()
        let statistics = TrafficStatistics(now: { clock.now })
        let slot = try #require(statistics.admitMirror(model: "m", version: "v2", cap: 64, tolerances: [0, 0.01]))
        clock.advance(seconds: 10)
        statistics.release(slot)
        statistics.recordShadow(Self.pair, for: slot)
        let last = try #require(statistics.snapshot(windowSeconds: 10).models["m"]?["v2"]?.shadow)
        #expect(last.copies == 0 && last.pairs == 1 && last.agreement(tolerance: 0.01) == 1 && last.agreement(tolerance: 0) == 0)
        let both = try #require(statistics.snapshot(windowSeconds: 20).models["m"]?["v2"]?.shadow)
        #expect(both.copies == 1 && both.answered == 1)
        #expect(abs((both.meanAbsoluteError ?? 0) - 0.004) < 1e-12)
        // The JSON the controller reads carries it.
        let decoded = try JSONDecoder().decode(StatsSnapshot.self, from: JSONEncoder().encode(statistics.snapshot(windowSeconds: 20)))
        #expect(decoded.shadow(model: "m", version: "v2") == both)
        // A version re-added after removal starts with empty windows; its counters continue.
        statistics.retain(models: ["m": []])
        statistics.retain(models: ["m": ["v2"]])
        #expect(statistics.snapshot(windowSeconds: 20).models["m"]?["v2"]?.shadow == nil)
        #expect(ParsedExposition(statistics.prometheusText()).value("sluice_shadow_pairs_total", ["model": "m", "version": "v2"]) == 1)
    }

    @Test("the shadow families in /metrics, which promtool accepts", .enabled(if: Promtool.enabled))
    func exposition() async throws {
        let statistics = TrafficStatistics()
        let slot = try #require(statistics.admitMirror(model: "m", version: "v2", cap: 1, tolerances: [0, 0.01]))
        #expect(statistics.admitMirror(model: "m", version: "v2", cap: 1, tolerances: [0, 0.01]) == nil)
        statistics.record(model: "m", version: "v2", status: 200, latencyMicros: 3000, mirrored: true)
        statistics.release(slot)
        statistics.recordShadow(Self.pair, for: slot)
        let failed = try #require(statistics.admitMirror(model: "m", version: "v2", cap: 1, tolerances: [0, 0.01]))
        statistics.record(model: "m", version: "v2", status: 503, latencyMicros: 3000, mirrored: true)
        statistics.release(failed)
        statistics.recordShadow(.candidateFailed, for: failed)
        statistics.record(model: "m", version: "v1", status: 200, latencyMicros: 1000)

        let text = statistics.prometheusText()
        let parsed = ParsedExposition(text)
        #expect(parsed.problems == [])
        let labels = ["model": "m", "version": "v2"]
        #expect(parsed.value("sluice_shadow_copies_total", labels) == 2)
        #expect(parsed.value("sluice_shadow_shed_total", labels) == 1)
        #expect(parsed.value("sluice_shadow_pairs_total", labels) == 1)
        #expect(parsed.value("sluice_shadow_candidate_errors_total", labels) == 1)
        #expect(parsed.value("sluice_shadow_agreements_total", labels.merging(["tolerance": "0"]) { $1 }) == 0)
        #expect(parsed.value("sluice_shadow_agreements_total", labels.merging(["tolerance": "0.01"]) { $1 }) == 1)
        #expect(parsed.value("sluice_shadow_copies_total", ["model": "m", "version": "v1"]) == nil, "v1 was never mirrored to")
        let promtool = try #require(Promtool.path, "promtool is not installed (scripts/setup.sh) and CI is set")
        let verdict = try await Promtool.checkMetrics(text, promtool: promtool)
        #expect(verdict.status == 0 && verdict.output.isEmpty, "promtool: \(verdict.output)\n\(text)")
    }
}
