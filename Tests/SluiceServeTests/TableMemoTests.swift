import NIOConcurrencyHelpers
import SluiceCore
import Testing

@testable import SluiceServe

/// A target keeps its version's statistics and monitoring ring between requests, and reads
/// them again once their table has dropped a version: what it records after a version left
/// the spec and came back lands in what the tables serve, not in what they dropped.
@Suite("table memos")
struct TableMemoTests {
    static func target() -> UpstreamTarget {
        UpstreamTarget(model: "fraud", version: "v1", address: UpstreamAddress(host: "127.0.0.1", port: 9))
    }

    @Test("a target's statistics are the table's until the table drops the version, then the table's new ones")
    func statisticsFollowDrops() {
        let statistics = TrafficStatistics()
        let target = Self.target()
        func memo() -> VersionStatistics { target.statisticsMemo.value(at: statistics.generation) { statistics.statistics(target.key) } }
        let first = memo()
        #expect(memo() === first)
        #expect(first === statistics.statistics(target.key))
        statistics.forget(model: "fraud", version: "v1")
        let after = memo()
        #expect(after !== first, "the dropped statistics are not read again")
        #expect(after === statistics.statistics(target.key))
        // Dropping another version also makes the memo read again, and finds the same.
        _ = statistics.statistics(model: "fraud", version: "v2")
        statistics.forget(model: "fraud", version: "v2")
        #expect(memo() === after)
    }

    @Test("what a target records after its version was dropped from the monitoring table and came back is collected")
    func ringsFollowDrops() throws {
        let clock = MonitoringRecorderTests.WallClock()
        let recorder = MonitoringRecorder(bucketSeconds: 10, retainedBuckets: 6, wallClock: { clock.now })
        let target = Self.target()
        func record() {
            let ring = target.ringMemo.value(at: recorder.generation) { recorder.ring(target.key) }
            recorder.record(ring, status: 200, latencyMicros: 1000, inputs: [], outputs: [], predictions: 0)
        }
        record()
        recorder.retain(models: [:])
        // The version is back in the spec: its next requests go to a ring the table holds.
        recorder.retain(models: ["fraud": ["v1"]])
        record()
        record()
        clock.advance(10)
        let bucket = try #require(recorder.buckets(after: .min).first)
        #expect(bucket.requests == 2, "the two requests after the drop are in the bucket the table serves")
    }
}
