import NIOConcurrencyHelpers
import SluiceCore
import SluiceServe

/// A FAKE data plane for in-process controller tests: a small model of what `sluice serve`
/// does, not a recording of expected calls. It keeps the runtime spec it was given, starts
/// "versions" that become ready after a delay measured on a ``ManualClock`` (or never: a
/// scripted `Failed` or `CrashLoopBackOff`), routes scripted traffic by the spec's weights
/// over the ready versions, and reports it through the data plane's real
/// `TrafficStatistics` and `MonitoringRecorder`, so the controller reads real statistics
/// and real monitoring buckets. Calls can be scripted to fail (unreachable, refused, or an
/// answer lost after the change took effect); every applied spec is recorded.
public final class FakeDataPlane: DataPlaneBackend {
    /// One of the backend's calls, for scripting failures and counting them.
    public enum Call: Sendable, Hashable, CaseIterable {
        /// `apply(_:)`, `currentSpec()`, `observe()`, `stats(windowSeconds:)`, `monitoring(after:)`.
        case apply, currentSpec, observe, stats, monitoring
    }

    /// How one version behaves once the spec names it.
    public struct Behaviour: Sendable {
        /// Seconds (on the manual clock) from its start to its readiness.
        public var readyAfter: Double
        /// Set: it never becomes ready and reports this phase and message.
        public var failure: (phase: VersionPhase, message: String)?
        /// The share of its answers that are 500s (spread evenly over its requests).
        public var errorRate: Double
        /// The latency of every answer, in milliseconds.
        public var latencyMs: Double
        /// Its predictions (output `predict`), cycled over its requests.
        public var predictions: [FeatureValue]

        /// By default: ready at once, no errors, 5 ms, predicts `legit`.
        public init(
            readyAfter: Double = 0, failure: (phase: VersionPhase, message: String)? = nil, errorRate: Double = 0,
            latencyMs: Double = 5, predictions: [FeatureValue] = [.category("legit")]
        ) {
            self.readyAfter = readyAfter
            self.failure = failure
            self.errorRate = errorRate
            self.latencyMs = latencyMs
            self.predictions = predictions
        }
    }

    /// A started version: a new artifact or runtime under the same name is a new instance.
    private struct InstanceKey: Hashable {
        var model: String
        var version: String
        var runtime: String?
        var artifact: String?
        var digest: String?
        var endpoint: String?
    }

    private struct Failure {
        var error: DataPlaneError
        /// An apply whose answer is lost after the spec took effect.
        var takesEffect: Bool
    }

    private struct State {
        var spec: RuntimeSpec?
        var applied: [RuntimeSpec] = []
        var started: [InstanceKey: Double] = [:]
        var behaviours: [String: Behaviour] = [:]
        var queued: [Call: [Failure]] = [:]
        var countdown: (calls: Int, failure: Failure)?
        var down: DataPlaneError?
        var calls: [Call] = []
        /// Requests answered per `model/version` (spreads errors and predictions evenly).
        var answered: [String: Int] = [:]
        /// What ``reportScaling(instance:events:replicas:)`` scripted for `observe`.
        var scaling: (instance: String, events: [ScaleEvent], replicas: [String: ObservedReplicas])?
        /// Shadow tallies `stats` reports, by model and version (the real gateway pairs copies; this fake does not).
        var shadow: [String: [String: ShadowTally]] = [:]
    }

    /// The manual clock readiness and traffic are measured with.
    public let clock: ManualClock
    /// The data plane's real per-version statistics (what `GET /v1/stats` reports).
    public let statistics: TrafficStatistics
    /// The data plane's real monitoring buckets (what `GET /v1/monitoring` reports).
    public let recorder: MonitoringRecorder
    private let state = NIOLockedValueBox(State())

    /// - Parameters:
    ///   - bucketSeconds: the monitoring bucket length (10 s, as `sluice serve`'s default).
    ///   - behaviour: how versions without their own script behave.
    public init(clock: ManualClock, bucketSeconds: Int = 10, behaviour: Behaviour = Behaviour()) {
        self.clock = clock
        statistics = TrafficStatistics(now: { UInt64(clock.now() * 1_000_000_000) })
        recorder = MonitoringRecorder(bucketSeconds: bucketSeconds, retainedBuckets: 120, wallClock: { Int64(clock.now()) })
        state.withLockedValue { $0.behaviours["*"] = behaviour }
    }

    // MARK: Scripting

    /// Makes `stats` report `tally` as what a shadow step paired for `model`'s `version`
    /// (nil: nothing), as `sluice serve`'s gateway would after mirroring with pairing.
    public func reportShadow(_ model: String, _ version: String, _ tally: ShadowTally?) {
        state.withLockedValue { $0.shadow[model, default: [:]][version] = tally }
    }

    /// Makes `observe` answer as a data plane with replicas does: its run's `instance`, its
    /// latest scale events, and the replicas of versions (by `model/version`).
    public func reportScaling(instance: String, events: [ScaleEvent], replicas: [String: ObservedReplicas] = [:]) {
        state.withLockedValue { $0.scaling = (instance, events, replicas) }
    }

    /// Scripts a version by its data-plane name (`v2`, `v1~canary`).
    public func script(_ model: String, _ version: String, _ behaviour: Behaviour) {
        state.withLockedValue { $0.behaviours["\(model)/\(version)"] = behaviour }
    }

    /// The next call of this kind fails with `error`; `takesEffect`: an apply whose spec is
    /// in force although its answer never came.
    public func failNext(_ call: Call, with error: DataPlaneError = .init(.unreachable, "the fake data plane did not answer"), takesEffect: Bool = false) {
        state.withLockedValue { $0.queued[call, default: []].append(Failure(error: error, takesEffect: takesEffect)) }
    }

    /// The `number`-th call from now (1: the next), whatever its kind, fails with `error`.
    public func failCall(number: Int, with error: DataPlaneError = .init(.unreachable, "the fake data plane did not answer"), takesEffect: Bool = false) {
        state.withLockedValue { $0.countdown = (number, Failure(error: error, takesEffect: takesEffect)) }
    }

    /// Every call fails with `error` until called again with nil.
    public func setDown(_ error: DataPlaneError?) {
        state.withLockedValue { $0.down = error }
    }

    /// Replaces the spec without the controller (someone else's `PUT /v1/spec`): not
    /// counted among the applied specs.
    public func replaceSpec(_ spec: RuntimeSpec?) {
        state.withLockedValue { Self.install(spec, into: &$0, now: clock.now()) }
        retainStatistics()
    }

    // MARK: What happened

    /// Every spec the controller applied, oldest first.
    public var appliedSpecs: [RuntimeSpec] { state.withLockedValue { $0.applied } }

    /// The spec in force.
    public var spec: RuntimeSpec? { state.withLockedValue { $0.spec } }

    /// The calls received (failed ones included), oldest first.
    public var calls: [Call] { state.withLockedValue { $0.calls } }

    /// The configured weights of a model in the spec in force.
    public func weights(_ model: String) -> [String: Int]? { spec?.model(model)?.route.weights }

    // MARK: Traffic

    /// Sends `requests` requests to `model`, split by the spec's weights over the ready
    /// versions (largest remainder, so the split is exact); each version answers as
    /// scripted. Returns the requests each version answered.
    @discardableResult
    public func serve(
        _ model: String, requests: Int,
        inputs: @Sendable (Int) -> [(name: String, values: [FeatureValue])] = { [("amount", [.number(Double(50 + $0 % 100))])] }
    ) -> [String: Int] {
        let now = clock.now()
        let (split, behaviours, offsets) = state.withLockedValue { state -> ([String: Int], [String: Behaviour], [String: Int]) in
            guard let runtime = state.spec?.model(model) else { return ([:], [:], [:]) }
            let ready = runtime.versions.filter { Self.phase(of: $0, model: model, in: state, now: now).ready == true }.map(\.name)
            let total = ready.reduce(0) { $0 + (runtime.route.weights[$1] ?? 0) }
            guard total > 0 else { return ([:], [:], [:]) }
            var exact = ready.map { ($0, Double(requests * (runtime.route.weights[$0] ?? 0)) / Double(total)) }
            var split = Dictionary(uniqueKeysWithValues: exact.map { ($0.0, Int($0.1.rounded(.down))) })
            var left = requests - split.values.reduce(0, +)
            exact.sort { ($0.1 - $0.1.rounded(.down), $1.0) > ($1.1 - $1.1.rounded(.down), $0.0) }
            for (name, _) in exact where left > 0 {
                split[name, default: 0] += 1
                left -= 1
            }
            var behaviours: [String: Behaviour] = [:]
            var offsets: [String: Int] = [:]
            for (version, count) in split {
                behaviours[version] = Self.behaviour(model, version, in: state)
                offsets[version] = state.answered["\(model)/\(version)", default: 0]
                state.answered["\(model)/\(version)", default: 0] += count
            }
            return (split, behaviours, offsets)
        }
        for (version, count) in split {
            guard let behaviour = behaviours[version] else { continue }
            for index in 0..<count {
                let number = (offsets[version] ?? 0) + index
                // Errors spread evenly: request n fails when the running count of errors steps up.
                let failed = (Double(number + 1) * behaviour.errorRate).rounded(.down) > (Double(number) * behaviour.errorRate).rounded(.down)
                let status = failed ? 500 : 200
                let latency = UInt64(behaviour.latencyMs * 1000)
                let features = inputs(number)
                let outputs: [(name: String, values: [FeatureValue])] = failed || behaviour.predictions.isEmpty
                    ? [] : [("predict", [behaviour.predictions[number % behaviour.predictions.count]])]
                statistics.record(model: model, version: version, status: status, latencyMicros: latency)
                if let ticket = statistics.admitSample(model: model, version: version) {
                    statistics.storeInputs(ticket, features)
                    statistics.storeOutputs(ticket, outputs)
                }
                let sketched = recorder.admit(model: model, version: version)
                recorder.record(
                    model: model, version: version, status: status, latencyMicros: latency, inputs: sketched ? features : [],
                    outputs: sketched ? outputs : [], predictions: failed ? 0 : 1)
            }
        }
        return split
    }

    // MARK: DataPlaneBackend

    /// Puts the spec in force (recorded), unless a failure is scripted for it.
    public func apply(_ spec: RuntimeSpec) async throws(DataPlaneError) -> ObservedState {
        let now = clock.now()
        let outcome: Result<ObservedState, DataPlaneError> = state.withLockedValue { state in
            if let failure = Self.take(.apply, from: &state) {
                if failure.takesEffect {
                    state.applied.append(spec)
                    Self.install(spec, into: &state, now: now)
                }
                return .failure(failure.error)
            }
            state.applied.append(spec)
            Self.install(spec, into: &state, now: now)
            return .success(Self.observed(state, now: now))
        }
        retainStatistics()
        return try outcome.get()
    }

    /// The spec in force.
    public func currentSpec() async throws(DataPlaneError) -> RuntimeSpec? {
        try call(.currentSpec) { state, _ in state.spec }
    }

    /// Each version's phase and readiness at the manual clock's now.
    public func observe() async throws(DataPlaneError) -> ObservedState {
        try call(.observe) { state, now in Self.observed(state, now: now) }
    }

    /// The real statistics of the traffic served so far.
    public func stats(windowSeconds: Int) async throws(DataPlaneError) -> StatsSnapshot {
        let shadow = try call(.stats) { state, _ in state.shadow }
        var snapshot = statistics.snapshot(windowSeconds: windowSeconds)
        for (model, versions) in shadow {
            for (version, tally) in versions {
                // A version at weight 0 served nobody: its entry may not exist yet.
                var stats = snapshot.models[model]?[version] ?? VersionStats(
                    requests: 0, errors: 0, mirrored: 0, errorRate: 0, status: [:], latencyMs: LatencyQuantiles(),
                    window: WindowTally(seconds: windowSeconds, requests: 0, errors: 0, errorRate: 0),
                    samples: SampleColumns(rows: 0, seen: 0, inputs: [:], outputs: [:]))
                stats.shadow = tally
                snapshot.models[model, default: [:]][version] = stats
            }
        }
        return snapshot
    }

    /// The real monitoring buckets that ended by the manual clock's now.
    public func monitoring(after: Int64?) async throws(DataPlaneError) -> MonitoringBatch {
        try call(.monitoring) { _, _ in () }
        return MonitoringBatch(now: recorder.now, bucketSeconds: recorder.bucketSeconds, buckets: recorder.buckets(after: after ?? .min))
    }

    // MARK: Internals

    private func call<Answer>(_ call: Call, _ answer: (State, Double) -> Answer) throws(DataPlaneError) -> Answer {
        let now = clock.now()
        let outcome: Result<Answer, DataPlaneError> = state.withLockedValue { state in
            if let failure = Self.take(call, from: &state) { return .failure(failure.error) }
            return .success(answer(state, now))
        }
        return try outcome.get()
    }

    /// Counts the call and returns the failure scripted for it, if any.
    private static func take(_ call: Call, from state: inout State) -> Failure? {
        state.calls.append(call)
        if let down = state.down { return Failure(error: down, takesEffect: false) }
        if let (calls, failure) = state.countdown {
            state.countdown = calls <= 1 ? nil : (calls - 1, failure)
            if calls <= 1 { return failure }
        }
        if var queue = state.queued[call], !queue.isEmpty {
            let failure = queue.removeFirst()
            state.queued[call] = queue
            return failure
        }
        return nil
    }

    /// Puts `spec` in force: versions new to it start now; versions it no longer names stop.
    private static func install(_ spec: RuntimeSpec?, into state: inout State, now: Double) {
        state.spec = spec
        var started: [InstanceKey: Double] = [:]
        for model in spec?.models ?? [] {
            for version in model.versions {
                let key = key(model.name, version)
                started[key] = state.started[key] ?? now
            }
        }
        state.started = started
    }

    private func retainStatistics() {
        let served = state.withLockedValue { state in
            Dictionary((state.spec?.models ?? []).map { ($0.name, Set($0.versions.map(\.name))) }, uniquingKeysWith: { first, _ in first })
        }
        statistics.retain(models: served)
        recorder.retain(models: served)
    }

    private static func key(_ model: String, _ version: VersionRuntime) -> InstanceKey {
        InstanceKey(
            model: model, version: version.name, runtime: version.runtime, artifact: version.artifact, digest: version.digest,
            endpoint: version.endpoint)
    }

    private static func behaviour(_ model: String, _ version: String, in state: State) -> Behaviour {
        state.behaviours["\(model)/\(version)"] ?? state.behaviours["*"] ?? Behaviour()
    }

    private static func phase(of version: VersionRuntime, model: String, in state: State, now: Double) -> ObservedVersion {
        let behaviour = behaviour(model, version.name, in: state)
        guard let started = state.started[key(model, version)] else { return ObservedVersion(name: version.name, state: .missing) }
        if let failure = behaviour.failure {
            return ObservedVersion(
                name: version.name, runtime: version.runtime, state: failure.phase, ready: false, serving: false, restarts: 3,
                lastExit: "exit 1", message: failure.message)
        }
        let ready = now - started >= behaviour.readyAfter
        return ObservedVersion(
            name: version.name, runtime: version.runtime, state: ready ? .ready : .starting, ready: ready, serving: ready, restarts: 0)
    }

    private static func observed(_ state: State, now: Double) -> ObservedState {
        let models = (state.spec?.models ?? []).map { model -> ObservedModel in
            let versions = model.versions.map { version in
                var observed = phase(of: version, model: model.name, in: state, now: now)
                observed.replicas = state.scaling?.replicas["\(model.name)/\(version.name)"]
                return observed
            }
            let readyWeight = versions.filter { $0.ready == true }.reduce(0) { $0 + (model.route.weights[$1.name] ?? 0) }
            var effective: [String: Double] = [:]
            for version in versions {
                let weight = Double(model.route.weights[version.name] ?? 0)
                effective[version.name] = version.ready == true && readyWeight > 0 ? (weight / Double(readyWeight) * 10_000).rounded() / 100 : 0
            }
            return ObservedModel(
                name: model.name, ready: readyWeight > 0,
                weights: Dictionary(model.versions.map { ($0.name, model.route.weights[$0.name] ?? 0) }, uniquingKeysWith: { first, _ in first }),
                effectiveWeights: effective, versions: versions)
        }
        return ObservedState(revision: state.spec?.revision, models: models, instance: state.scaling?.instance, scaleEvents: state.scaling?.events)
    }
}
