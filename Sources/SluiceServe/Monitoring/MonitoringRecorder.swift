import Atomics
import NIOConcurrencyHelpers
import SluiceCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Feeds every answered request into its version's monitoring bucket: counts, latency,
/// and the distributions of inputs and outputs, in mergeable sketches. The controller
/// collects ended buckets through `GET /v1/monitoring` and adds them up into its
/// monitors' windows.
///
/// Called from every event loop; each version has its own lock, held for a few sketch
/// inserts.
public final class MonitoringRecorder: Sendable {
    /// Length of one bucket in seconds.
    public let bucketSeconds: Int
    /// Ended buckets kept per version for the controller to collect.
    public let retainedBuckets: Int
    /// Requests per second and version whose features are sketched in full; above it,
    /// a thinning share (see ``admit(model:version:)``).
    public let sketchedPerSecond: Int

    private let wallClock: @Sendable () -> Int64
    private let table = NIOLockedValueBox<[VersionKey: SpinningLockedBox<MonitoringRing>]>([:])
    /// Bumped whenever the table drops a version (``TableMemo``).
    private let dropped = ManagedAtomic(0)

    /// Changes whenever the table drops a version: a ring read at another generation may be
    /// one the table no longer holds.
    var generation: Int { dropped.load(ordering: .acquiring) }

    /// Creates a recorder.
    /// - Parameters:
    ///   - bucketSeconds: the length of one bucket (at least 1).
    ///   - retainedBuckets: ended buckets kept per version (at least 1).
    ///   - wallClock: seconds since the Unix epoch, injected by tests.
    public init(
        bucketSeconds: Int = 10,
        retainedBuckets: Int = 60,
        sketchedPerSecond: Int = 200,
        wallClock: @Sendable @escaping () -> Int64 = { Int64(time(nil)) }
    ) {
        precondition(bucketSeconds >= 1 && retainedBuckets >= 1, "a bucket lasts at least a second and at least one is kept")
        self.bucketSeconds = bucketSeconds
        self.retainedBuckets = retainedBuckets
        self.sketchedPerSecond = max(1, sketchedPerSecond)
        self.wallClock = wallClock
    }

    /// Decides, before any features are read, whether this request's features are
    /// sketched. Counts, errors and latency are recorded for every request regardless.
    public func admit(model: String, version: String) -> Bool {
        admit(ring(model: model, version: version))
    }

    /// ``admit(model:version:)`` for a version's ring looked up once (``ring(model:version:)``).
    func admit(_ ring: SpinningLockedBox<MonitoringRing>) -> Bool {
        let now = wallClock()
        let limit = sketchedPerSecond * bucketSeconds
        return ring.withLockedValue { $0.admit(now: now, limit: limit) }
    }

    /// Records one answered (or failed) request.
    /// - Parameters:
    ///   - status: the HTTP status, 0 when no response came; 5xx and 0 are errors.
    ///   - latencyMicros: how long the answer took; nil when it is not known (the KServe
    ///     payload logger reports no timing), so no made-up latency enters the sketch.
    ///   - inputs: the request's features; outputs: the response's (empty on errors, and
    ///     both empty for a request that was not admitted).
    ///   - predictions: rows predicted and remembered for feedback.
    public func record(
        model: String, version: String, status: Int, latencyMicros: UInt64?,
        inputs: [(name: String, values: [FeatureValue])],
        outputs: [(name: String, values: [FeatureValue])],
        predictions: Int
    ) {
        record(ring(model: model, version: version), status: status, latencyMicros: latencyMicros, inputs: inputs, outputs: outputs, predictions: predictions)
    }

    /// ``record(model:version:status:latencyMicros:inputs:outputs:predictions:)`` into a
    /// version's ring looked up once.
    func record(
        _ ring: SpinningLockedBox<MonitoringRing>, status: Int, latencyMicros: UInt64?,
        inputs: [(name: String, values: [FeatureValue])],
        outputs: [(name: String, values: [FeatureValue])],
        predictions: Int
    ) {
        let now = wallClock()
        ring.withLockedValue { ring in
            ring.update(now: now) { bucket in
                bucket.requests += 1
                if status == 0 || status >= 500 { bucket.errors += 1 }
                if let latencyMicros { bucket.latencyMs.insert(Double(latencyMicros) / 1000) }
                bucket.inputs.insert(inputs)
                bucket.outputs.insert(outputs)
                bucket.labels.predictions += predictions
            }
        }
    }

    /// Records one answered (or failed) request into a version's ring and decides, in the same
    /// hold of its lock, whether its features are sketched (as ``admit(_:)`` does): the gateway
    /// takes the ring's lock once a request, and reads features only for one admitted (then
    /// handed to ``sketch(_:at:inputs:outputs:)``). `now` is ``now`` read once, for both calls.
    func recordAdmitting(_ ring: SpinningLockedBox<MonitoringRing>, at now: Int64, status: Int, latencyMicros: UInt64, predictions: Int) -> Bool {
        let limit = sketchedPerSecond * bucketSeconds
        return ring.withLockedValue { ring in
            let admitted = ring.admit(now: now, limit: limit)
            ring.update(now: now) { bucket in
                bucket.requests += 1
                if status == 0 || status >= 500 { bucket.errors += 1 }
                bucket.latencyMs.insert(Double(latencyMicros) / 1000)
                bucket.labels.predictions += predictions
            }
            return admitted
        }
    }

    /// Sketches an admitted request's features (``recordAdmitting(_:at:status:latencyMicros:predictions:)``)
    /// into the bucket its counts went to, the one of `now`; nothing once that bucket has ended.
    func sketch(
        _ ring: SpinningLockedBox<MonitoringRing>, at now: Int64,
        inputs: [(name: String, values: [FeatureValue])], outputs: [(name: String, values: [FeatureValue])]
    ) {
        guard !inputs.isEmpty || !outputs.isEmpty else { return }
        ring.withLockedValue { ring in
            ring.updateIfCurrent(now: now) { bucket in
                bucket.inputs.insert(inputs)
                bucket.outputs.insert(outputs)
            }
        }
    }

    /// Records labels joined to a version's predictions (in the bucket of their arrival).
    public func record(model: String, version: String, labels: LabelTally) {
        let now = wallClock()
        ring(model: model, version: version).withLockedValue { ring in
            ring.update(now: now) { $0.labels.merge(labels) }
        }
    }

    /// Ended buckets of every version that started after `after` (seconds since the epoch),
    /// sorted by model, version and start.
    public func buckets(after: Int64) -> [MonitoringBucket] {
        let now = wallClock()
        let rings = table.withLockedValue { table in table.sorted { $0.key < $1.key }.map(\.value) }
        return rings.flatMap { ring in ring.withLockedValue { $0.ended(after: after, now: now) } }
    }

    /// The current time on the recorder's clock.
    public var now: Int64 { wallClock() }

    /// Drops every version that is not listed (model name to version names).
    public func retain(models: [String: Set<String>]) {
        table.withLockedValue { table in
            let kept = table.filter { key, _ in models[key.model]?.contains(key.version) == true }
            guard kept.count < table.count else { return }
            table = kept
            dropped.wrappingIncrement(ordering: .releasing)
        }
    }

    /// The version's ring, made on first use. A caller holding it past a spec change records
    /// into a ring that may have been dropped (``retain(models:)``): a late answer of a removed
    /// version then counts nowhere instead of bringing its ring back.
    func ring(model: String, version: String) -> SpinningLockedBox<MonitoringRing> {
        ring(VersionKey(model: model, version: version))
    }

    /// The version's ring, made on first use.
    func ring(_ key: VersionKey) -> SpinningLockedBox<MonitoringRing> {
        if let found = table.withLockedValue({ $0[key] }) { return found }
        let created = SpinningLockedBox(MonitoringRing(model: key.model, version: key.version, bucketSeconds: bucketSeconds, retained: retainedBuckets))
        return table.withLockedValue { table in
            if let found = table[key] { return found }
            table[key] = created
            return created
        }
    }
}
