import Foundation
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
    /// A value and the generation it belongs to, for the race below.
    private final class Stamped: Sendable {
        let generation: Int
        init(_ generation: Int) { self.generation = generation }
    }

    /// Readers on four threads while the table's generation moves 2,000 times: every read
    /// gets the value of the generation it asked at (never a pair torn between two
    /// publications), and a memo read at the current generation is not looked up again.
    @Test("reads race publications and never get another generation's value")
    func concurrentReadsAreConsistent() {
        let memo = TableMemo<Stamped>()
        let current = NIOLockedValueBox(0)
        let lookups = NIOLockedValueBox(0)
        let wrong = NIOLockedValueBox(0)
        let done = NIOLockedValueBox(false)
        let group = DispatchGroup()
        for _ in 0..<4 {
            DispatchQueue.global().async(group: group) {
                var reads = 0
                while !done.withLockedValue({ $0 }) || reads < 10_000 {
                    let generation = current.withLockedValue { $0 }
                    let value = memo.value(at: generation) {
                        lookups.withLockedValue { $0 += 1 }
                        return Stamped(generation)
                    }
                    if value.generation != generation { wrong.withLockedValue { $0 += 1 } }
                    reads += 1
                }
            }
        }
        for _ in 0..<2_000 {
            current.withLockedValue { $0 += 1 }
            usleep(50)
        }
        done.withLockedValue { $0 = true }
        group.wait()
        #expect(wrong.withLockedValue { $0 } == 0)
        // Each generation is looked up a few times at most (readers that missed together),
        // not once a read.
        #expect(lookups.withLockedValue { $0 } < 2_001 * 8)
        let before = lookups.withLockedValue { $0 }
        let last = current.withLockedValue { $0 }
        for _ in 0..<100 {
            _ = memo.value(at: last) {
                lookups.withLockedValue { $0 += 1 }
                return Stamped(last)
            }
        }
        #expect(lookups.withLockedValue { $0 } == before, "a kept value is read without a lookup")
    }
}
