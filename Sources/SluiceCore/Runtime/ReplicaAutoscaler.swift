/// Recommends how many replicas one version should run, from samples of its load: the
/// requests in flight over all its replicas (mirrored copies included: they take capacity
/// too) and its count of completed requests (for a rate).
///
/// The rule is the Kubernetes HPA's: `desired = ceil(load / target)`, clamped to
/// `[minReplicas, maxReplicas]`. Scaling up is immediate, judged on a short average;
/// scaling down goes only as low as the highest recommendation of the last
/// `scaleDownDelay` (the HPA's stabilisation window), so a lull shorter than the delay
/// never costs a cold start. Pure: time comes in with each call.
public struct ReplicaAutoscaler: Sendable {
    /// The bounds and target in force; a change applies from the next recommendation and
    /// never restarts anything.
    public var scaling: ReplicaScaling

    /// The window load is averaged over. One 100 ms sample is a noisy instantaneous count (a
    /// burst of simultaneous requests); 20 samples smooth that, yet the window is short
    /// enough that replicas are added within seconds of a rise, before a queue builds
    /// (Knative's panic window is 6 s; a model server's own start takes seconds anyway).
    public static let loadWindow: Swift.Duration = .seconds(2)

    private var samples: [Sample] = []
    /// Recommendations of the last `scaleDownDelay`, as a sliding-window maximum: values
    /// strictly decreasing from the front, so the front is the highest (O(1) per sample).
    private var recent: [(at: ContinuousClock.Instant, replicas: Int)] = []

    private struct Sample {
        var at: ContinuousClock.Instant
        var inFlight: Double
        var completed: Int
    }

    /// One recommendation.
    public struct Recommendation: Sendable, Hashable {
        /// Replicas to run now, within the bounds.
        public var replicas: Int
        /// The version's total load in the target's unit (requests in flight, or per second),
        /// averaged over ``ReplicaAutoscaler/loadWindow``.
        public var load: Double
        /// Why the count differs from the current one; nil when it does not.
        public var reason: ScaleReason?
        /// Whether load asked for more than `maxReplicas`.
        public var cappedByMaximum: Bool
    }

    /// An autoscaler for `scaling`, with no samples yet.
    public init(scaling: ReplicaScaling) {
        self.scaling = scaling
    }

    /// Records the load at `at`: requests in flight over every replica, and the version's
    /// completed requests so far (a counter that only grows).
    public mutating func observe(inFlight: Int, completed: Int, at: ContinuousClock.Instant) {
        samples.append(Sample(at: at, inFlight: Double(inFlight), completed: completed))
        let horizon = at - Self.loadWindow
        if let firstKept = samples.firstIndex(where: { $0.at >= horizon }), firstKept > 0 {
            // One older sample is kept as the window's start, so the rate spans all of it.
            samples.removeFirst(firstKept - 1)
        }
    }

    /// The version's load now, in the target's unit: average requests in flight, or
    /// requests completed per second, over the load window.
    public var load: Double {
        guard let last = samples.last else { return 0 }
        switch scaling.target {
        case .concurrency:
            let window = samples.filter { $0.at >= last.at - Self.loadWindow }
            return window.reduce(0) { $0 + $1.inFlight } / Double(max(window.count, 1))
        case .rps:
            guard let first = samples.first, first.at < last.at else { return 0 }
            let span = (last.at - first.at).components
            let seconds = Double(span.seconds) + Double(span.attoseconds) / 1e18
            return Double(max(0, last.completed - first.completed)) / seconds
        }
    }

    /// The replicas to run at `now` for a version running `current`.
    public mutating func recommend(current: Int, at now: ContinuousClock.Instant) -> Recommendation {
        let load = self.load
        // A hair below the boundary: load exactly at the target is one replica's worth.
        let raw = Int((load / scaling.target.value - 1e-9).rounded(.up))
        let wanted = min(max(raw, scaling.minReplicas), scaling.maxReplicas)
        remember(wanted, at: now)
        let highest = recent.first?.replicas ?? wanted
        let capped = raw > scaling.maxReplicas
        if current < scaling.minReplicas || current > scaling.maxReplicas {
            let bounded = min(max(current, scaling.minReplicas), scaling.maxReplicas)
            // Outside new bounds: move to them, or further up at once if load asks for it.
            let replicas = max(bounded, wanted)
            return Recommendation(replicas: replicas, load: load, reason: replicas == bounded ? .bounds : .load, cappedByMaximum: capped)
        }
        if wanted > current {
            return Recommendation(replicas: wanted, load: load, reason: .load, cappedByMaximum: capped)
        }
        let replicas = min(current, highest)
        return Recommendation(replicas: replicas, load: load, reason: replicas < current ? .idle : nil, cappedByMaximum: capped)
    }

    private mutating func remember(_ replicas: Int, at now: ContinuousClock.Instant) {
        while let last = recent.last, last.replicas <= replicas { recent.removeLast() }
        recent.append((now, replicas))
        let horizon = now - .milliseconds(scaling.scaleDownDelay.milliseconds)
        while recent.count > 1, recent[0].at < horizon { recent.removeFirst() }
    }
}
