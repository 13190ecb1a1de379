import NIOConcurrencyHelpers
import SluiceCore
import SluiceServe

/// Turns KServe payload-logger CloudEvents into the same monitoring buckets the data plane
/// keeps, for the `kserve` driver, where no Sluice gateway sees the traffic.
///
/// The renderer points each version's logger at `<collectorURL>/<model>/<version>`, so the
/// path says whose an event is. The request and response events of one call (one `ce-id`)
/// are joined in a bounded table; the joined call goes through the data plane's own
/// ``MonitoringRecorder`` (sketch admission, bucket sealing, retention) and its prediction
/// into the data plane's own `PredictionLog`, so drift and accuracy are computed by the same
/// code whichever backend runs the model, and ``monitoring(after:)`` answers exactly what
/// `GET /v1/monitoring` answers.
///
/// Anyone who reaches the endpoint can post (the logger sends no credentials), so
/// everything is bounded: body size, pending halves and the values they hold, how long a
/// half waits, the sketched rate; unknown versions are refused.
public final class KServeLogCollector: Sendable {
    /// The collector's bounds.
    public struct Limits: Sendable, Hashable {
        /// The largest event body read, in bytes; a larger one is refused (413) and its
        /// call counted without features.
        public var maximumBody = 1 << 20
        /// Halves (requests or responses) waiting for their other half at once.
        public var pendingCapacity = 10_000
        /// Feature values held by the waiting halves, all together.
        public var pendingValues = 2_000_000
        /// How long a half waits for its other half, in seconds.
        public var pendingSeconds: Double = 60
        /// Calls per second and version whose features are sketched in full, as
        /// `serve.monitoring.sketchedPerSecond`.
        public var sketchedPerSecond = 200
        /// Predictions remembered for feedback, as `serve.monitoring.predictions` (0: off).
        public var rememberedPredictions = 100_000

        /// The defaults.
        public init() {}
    }

    /// What became of one posted event.
    public enum Outcome: Sendable, Hashable {
        /// Its other half was waiting: the call is recorded.
        case joined
        /// Kept until its other half comes (or it expires).
        case pending
        /// The same half of the same call came before; dropped.
        case duplicate
        /// Not taken.
        case refused(Refusal)
    }

    /// Why an event was not taken.
    public enum Refusal: Error, Sendable, Hashable {
        /// The path names a model or version the collector was not told about.
        case unknownVersion
        /// The body was over ``Limits/maximumBody``.
        case tooLarge
        /// The pending table is full.
        case pendingFull
        /// Its headers or body could not be read.
        case malformed(KServeEventProblem)
    }

    /// Bucket length in seconds.
    public let bucketSeconds: Int
    /// The bounds in force.
    public let limits: Limits
    let recorder: MonitoringRecorder
    let predictions: PredictionLog
    let feedbackToken: @Sendable () -> String?
    private let sketchInputs: @Sendable (String) -> [String]?
    private let clock: any WallClock
    private let state: NIOLockedValueBox<State>

    private struct State: Sendable {
        var known: [String: Set<String>] = [:]
        var pending: KServePendingTable
        var counters = KServeCollectorCounters()
    }

    /// Creates a collector that knows no version yet (see ``setKnownVersions(_:)``).
    /// - Parameters:
    ///   - bucketSeconds: the length of one monitoring bucket (at least 1).
    ///   - retentionSeconds: how long ended buckets are kept for the monitor pass to collect.
    ///   - sketchInputs: per model, the input features to sketch (the spec's `sketchInputs`);
    ///     nil or empty: none, as on the data plane.
    ///   - clock: the controller's wall clock.
    ///   - feedbackToken: the bearer token `POST /v1/feedback/{model}` needs, read on each
    ///     request; nil refuses every feedback request.
    ///   - limits: the bounds.
    public init(
        bucketSeconds: Int = 10,
        retentionSeconds: Int = 600,
        sketchInputs: @escaping @Sendable (String) -> [String]?,
        clock: any WallClock,
        feedbackToken: @escaping @Sendable () -> String?,
        limits: Limits = Limits()
    ) {
        let bucket = max(1, bucketSeconds)
        self.bucketSeconds = bucket
        self.limits = limits
        self.sketchInputs = sketchInputs
        self.clock = clock
        self.feedbackToken = feedbackToken
        recorder = MonitoringRecorder(
            bucketSeconds: bucket, retainedBuckets: max(1, retentionSeconds / bucket), sketchedPerSecond: limits.sketchedPerSecond,
            wallClock: { Int64(clock.now().rounded(.down)) })
        predictions = PredictionLog(capacity: limits.rememberedPredictions)
        state = NIOLockedValueBox(State(pending: KServePendingTable(
            capacity: limits.pendingCapacity, valueBudget: limits.pendingValues, ttl: limits.pendingSeconds)))
    }

    /// The versions events are taken for (model name to version names), set by the backend
    /// on each apply. Buckets and waiting halves of versions no longer listed are dropped.
    public func setKnownVersions(_ models: [String: Set<String>]) {
        state.withLockedValue { state in
            state.known = models
            state.pending.retain(models: models)
        }
        recorder.retain(models: models)
    }

    /// Whether events for `model`/`version` are taken; a refusal is counted.
    func admits(model: String, version: String) -> Bool {
        state.withLockedValue { state in
            guard state.known[model]?.contains(version) == true else {
                state.counters.refusedUnknownVersion += 1
                return false
            }
            return true
        }
    }

    /// Counts an event whose headers could not be read.
    func countMalformed() {
        state.withLockedValue { $0.counters.malformed += 1 }
    }

    /// Whether feedback for `model` is taken (any of its versions is known).
    func knows(model: String) -> Bool {
        state.withLockedValue { $0.known[model]?.isEmpty == false }
    }

    /// Takes one event posted to `/v1/collector/kserve/{model}/{version}`.
    /// - Parameter body: the payload; nil when it was over ``Limits/maximumBody`` and not
    ///   read (the call is still counted, without its features).
    public func receive(model: String, version: String, event: KServeCloudEvent, body: [UInt8]?) -> Outcome {
        guard admits(model: model, version: version) else { return .refused(.unknownVersion) }
        let features: [(name: String, values: [FeatureValue])]
        if let body {
            do throws(KServeEventProblem) {
                features = try self.features(of: event.kind, model: model, body: body)
            } catch {
                state.withLockedValue { $0.counters.malformed += 1 }
                return .refused(.malformed(error))
            }
        } else {
            features = []
        }
        let now = clock.now()
        let key = KServePendingTable.Key(model: model, version: version, id: event.id)
        let (offer, expired) = state.withLockedValue { state in
            let expired = state.pending.expire(now: now)
            let offer = state.pending.offer(.init(kind: event.kind, features: features, arrived: now), key: key)
            state.counters.count(offer, oversized: body == nil, expired: expired)
            return (offer, expired)
        }
        record(expired)
        switch offer {
        case .joined(let request, let response):
            record(model: model, version: version, id: event.id, request: request, response: response)
            return body == nil ? .refused(.tooLarge) : .joined
        case .pending: return body == nil ? .refused(.tooLarge) : .pending
        case .duplicate: return .duplicate
        case .full: return .refused(body == nil ? .tooLarge : .pendingFull)
        }
    }

    /// Ended buckets that started after `after` (nil: all kept), exactly as the data plane's
    /// `GET /v1/monitoring` answers; halves that waited too long are recorded first.
    public func monitoring(after: Int64?) -> MonitoringBatch {
        expire()
        return MonitoringBatch(now: recorder.now, bucketSeconds: recorder.bucketSeconds, buckets: recorder.buckets(after: after ?? .min))
    }

    /// Records the halves that waited too long by now.
    public func expire() {
        let now = clock.now()
        let expired = state.withLockedValue { state in
            let expired = state.pending.expire(now: now)
            state.counters.count(expired: expired)
            return expired
        }
        record(expired)
    }

    /// What the collector did so far.
    public var counters: KServeCollectorCounters { state.withLockedValue(\.counters) }

    /// Halves waiting for their other half.
    public var pendingCount: Int { state.withLockedValue(\.pending.count) }

    /// The counters in the Prometheus text format, for the controller's `/metrics`.
    public func metricsText() -> String {
        let (counters, pending) = state.withLockedValue { ($0.counters, $0.pending.count) }
        var exposition = PrometheusExposition()
        counters.write(into: &exposition, pending: pending)
        return exposition.text
    }

    /// The features kept of a half, read the way the gateway reads them: a request's
    /// inputs named in the model's `sketchInputs`, a response's outputs.
    private func features(of kind: KServeCloudEvent.Kind, model: String, body: [UInt8]) throws(KServeEventProblem) -> [(name: String, values: [FeatureValue])] {
        let json: JSONValue
        do {
            json = try JSONParser.parse(body)
        } catch {
            throw KServeEventProblem(field: "body", message: "not JSON: \(error)")
        }
        let member = kind == .request ? "inputs" : "outputs"
        guard case .array? = json[member] else {
            throw KServeEventProblem(field: "body", message: "expected an Open Inference Protocol (V2) \(kind == .request ? "request" : "response") with a \"\(member)\" list")
        }
        guard kind == .request else { return InferenceTensors.features(in: json, member: member) }
        let sketched = Set(sketchInputs(model) ?? [])
        guard !sketched.isEmpty else { return [] }
        return InferenceTensors.features(in: json, member: member).filter { sketched.contains($0.name) }
    }

    private func record(_ expired: [(key: KServePendingTable.Key, half: KServePendingTable.Half)]) {
        for (key, half) in expired {
            record(model: key.model, version: key.version, id: key.id,
                   request: half.kind == .request ? half : nil, response: half.kind == .response ? half : nil)
        }
    }

    /// Records one call as the gateway records an answered request: a request with no
    /// response is a failed call (the logger reports only 200 answers), a response with no
    /// request an answered one without inputs. No latency: the logger reports none.
    private func record(model: String, version: String, id: String, request: KServePendingTable.Half?, response: KServePendingTable.Half?) {
        let sketched = recorder.admit(model: model, version: version)
        var predicted = 0
        if let first = response?.features.first, !first.values.isEmpty {
            predictions.remember(model: model, requestID: id, version: version, values: first.values)
            predicted = first.values.count
        }
        recorder.record(
            model: model, version: version, status: response == nil ? 0 : 200, latencyMicros: nil,
            inputs: sketched && response != nil ? request?.features ?? [] : [],
            outputs: sketched ? response?.features ?? [] : [], predictions: predicted)
    }
}

extension KServeCollectorCounters {
    /// Counts an offered half and the halves that expired before it.
    fileprivate mutating func count(_ offer: KServePendingTable.Offer, oversized: Bool, expired: [(key: KServePendingTable.Key, half: KServePendingTable.Half)]) {
        count(expired: expired)
        if oversized { refusedTooLarge += 1 }
        switch offer {
        case .joined:
            joins += 1
            if !oversized { accepted += 1 }
        case .pending:
            if !oversized { accepted += 1 }
        case .duplicate: duplicates += 1
        case .full: if !oversized { refusedPendingFull += 1 }
        }
    }

    fileprivate mutating func count(expired: [(key: KServePendingTable.Key, half: KServePendingTable.Half)]) {
        for (_, half) in expired {
            if half.kind == .request { expiredRequests += 1 } else { expiredResponses += 1 }
        }
    }
}
