import SluiceCore

/// A model and version by name: what replicas, load and scale events belong to (an
/// artifact change makes a new ``InstanceKey`` but the same version).
struct VersionName: Hashable, Sendable, CustomStringConvertible {
    var model: String
    var version: String

    var description: String { "\(model)/\(version)" }
}

/// How many replicas one version of the spec runs, and why: its bounds, the autoscaler's
/// want and what the process cap grants. Owned by the supervisor.
final class VersionScale {
    let name: VersionName
    /// The spec's bounds; nil runs one process with no autoscaler.
    private(set) var scaling: ReplicaScaling?
    private(set) var autoscaler: ReplicaAutoscaler?
    /// Replicas the bounds and load ask for.
    var want: Int
    /// Replicas the process cap grants (at most `want`): what runs.
    var granted = 0
    /// Whether the route gives it a share (weight above 0).
    var weighted = false
    /// Requests its replicas completed, counted by the supervisor from each target.
    var completed = 0
    /// The total load of the last recommendation, in the target's unit.
    var load: Double?
    /// Whether load asked for more than `maxReplicas`.
    var cappedByMaximum = false
    /// What changed `want` since the last grant (bounds from a new spec, or load).
    var pendingReason: ScaleReason?
    /// Whether the cap was shared with it once (its first grant is its start, not an event).
    var started = false
    /// Scale events of this run, for `sluice_scale_events_total`.
    var scaledUp = 0
    var scaledDown = 0

    init(name: VersionName, scaling: ReplicaScaling?) {
        self.name = name
        self.scaling = scaling
        autoscaler = scaling.map(ReplicaAutoscaler.init)
        want = scaling?.minReplicas ?? 1
    }

    var minReplicas: Int { scaling?.minReplicas ?? 1 }
    var maxReplicas: Int { scaling?.maxReplicas ?? 1 }

    /// Takes new bounds from a spec; the want moves into them at once (reason `bounds`),
    /// load history is kept, nothing restarts.
    func update(_ newScaling: ReplicaScaling?) {
        guard newScaling != scaling else { return }
        scaling = newScaling
        if let newScaling {
            if autoscaler == nil { autoscaler = ReplicaAutoscaler(scaling: newScaling) } else { autoscaler?.scaling = newScaling }
        } else {
            autoscaler = nil
            load = nil
            cappedByMaximum = false
        }
        let bounded = min(max(want, minReplicas), maxReplicas)
        if bounded != want {
            want = bounded
            pendingReason = .bounds
        }
    }

    /// Feeds one sample to the autoscaler and takes its recommendation.
    func autoscale(inFlight: Int, at now: ContinuousClock.Instant) {
        guard var autoscaler else { return }
        autoscaler.observe(inFlight: inFlight, completed: completed, at: now)
        let recommendation = autoscaler.recommend(current: want, at: now)
        self.autoscaler = autoscaler
        load = recommendation.load
        cappedByMaximum = recommendation.cappedByMaximum
        if recommendation.replicas != want {
            want = recommendation.replicas
            pendingReason = recommendation.reason
        }
    }

    /// Why fewer replicas run than load asks for, if they do.
    var limitedBy: ScaleLimit? {
        if granted < want { return .maxProcesses }
        return cappedByMaximum ? .maxReplicas : nil
    }
}
