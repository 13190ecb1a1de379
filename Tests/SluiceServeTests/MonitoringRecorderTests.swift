import Foundation
import NIOConcurrencyHelpers
import SluiceCore
import Testing
@testable import SluiceServe

/// The data plane's monitoring buckets and remembered predictions.
@Suite("monitoring recorder", .timeLimit(.minutes(10)))
struct MonitoringRecorderTests {
    /// Seconds since the epoch, moved by hand.
    final class WallClock: Sendable {
        private let seconds = NIOLockedValueBox<Int64>(1_000_000)
        var now: Int64 { seconds.withLockedValue { $0 } }
        func advance(_ by: Int64) { seconds.withLockedValue { $0 += by } }
    }

    static let features: [(name: String, values: [FeatureValue])] = [("amount", [.number(12.5)]), ("contract", [.category("monthly")])]

    @Test("a bucket is served once it has ended, holds counts and sketches, and is not served again after the cursor")
    func bucketsEndAndAreCollectedOnce() throws {
        let clock = WallClock()
        let recorder = MonitoringRecorder(bucketSeconds: 10, retainedBuckets: 6, wallClock: { clock.now })
        for status in [200, 200, 500, 0] {
            recorder.record(model: "fraud", version: "v1", status: status, latencyMicros: 2000, inputs: Self.features,
                            outputs: status == 200 ? [("predict", [.category("legit")])] : [], predictions: status == 200 ? 1 : 0)
        }
        #expect(recorder.buckets(after: .min).isEmpty, "the bucket has not ended")
        clock.advance(10)
        let buckets = recorder.buckets(after: .min)
        let bucket = try #require(buckets.first)
        #expect(buckets.count == 1)
        #expect(bucket.start == 1_000_000 && bucket.seconds == 10)
        #expect(bucket.requests == 4 && bucket.errors == 2)
        #expect(bucket.labels.predictions == 2)
        #expect(bucket.inputs.numeric["amount"]?.count == 4)
        #expect(bucket.inputs.categorical["contract"]?.count == 4)
        #expect(bucket.outputs.categorical["predict"]?.count == 2)
        #expect(bucket.latencyMs.quantile(0.5) == 2)
        #expect(recorder.buckets(after: bucket.start).isEmpty)
    }

    @Test("memory is bounded: only the last `retained` buckets are kept, whatever the traffic")
    func retention() {
        let clock = WallClock()
        let recorder = MonitoringRecorder(bucketSeconds: 10, retainedBuckets: 3, wallClock: { clock.now })
        for _ in 0..<10 {
            recorder.record(model: "m", version: "v", status: 200, latencyMicros: 1000, inputs: [], outputs: [], predictions: 0)
            clock.advance(10)
        }
        let starts = recorder.buckets(after: .min).map(\.start)
        #expect(starts == [1_000_070, 1_000_080, 1_000_090])
        recorder.retain(models: ["other": ["v"]])
        #expect(recorder.buckets(after: .min).isEmpty)
    }

    @Test("predictions are remembered by request id, claimed once, and the oldest forgotten beyond capacity")
    func predictionLog() {
        let log = PredictionLog(capacity: 2)
        log.remember(model: "m", requestID: "a", version: "v1", values: [.number(1)])
        log.remember(model: "m", requestID: "b", version: "v2", values: [.number(0)])
        log.remember(model: "m", requestID: "c", version: "v1", values: [.number(1)])
        #expect(log.count == 2)
        if case .unknown = log.claim(model: "m", requestID: "a") {} else { Issue.record("the oldest was kept") }
        if case .found(let prediction) = log.claim(model: "m", requestID: "b") {
            #expect(prediction.version == "v2")
        } else {
            Issue.record("b was forgotten")
        }
        if case .alreadyLabeled = log.claim(model: "m", requestID: "b") {} else { Issue.record("a label counted twice") }
        if case .unknown = log.claim(model: "other", requestID: "c") {} else { Issue.record("ids are per model") }
    }
}

@Suite("monitoring recorder: sketch admission", .timeLimit(.minutes(10)))
struct MonitoringAdmissionTests {
    @Test("every request is sketched up to the per-second limit; beyond it a thinning share, so cost stays flat")
    func admission() {
        let recorder = MonitoringRecorder(bucketSeconds: 10, retainedBuckets: 6, sketchedPerSecond: 10, wallClock: { 1_000_000 })
        let admitted = (0..<10_000).filter { _ in recorder.admit(model: "m", version: "v") }.count
        #expect(admitted >= 100 + 100 && admitted < 1_500, "\(admitted) of 10000 with a limit of 100 per bucket")
        let quiet = MonitoringRecorder(bucketSeconds: 10, retainedBuckets: 6, sketchedPerSecond: 10, wallClock: { 1_000_000 })
        #expect((0..<100).allSatisfy { _ in quiet.admit(model: "m", version: "v") }, "below the limit every request counts")
    }
}
