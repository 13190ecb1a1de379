extension RolloutEngine {
    /// Each data-plane version's replica bounds in `route` (issue 21, Argo Rollouts'
    /// `setCanaryScale` default):
    /// - A stable version gets the stable spec's bounds in proportion to its stable weight
    ///   (``ReplicaScaling/share(percent:mirrored:)``), and keeps them during a canary, so an
    ///   abort is an instant flip to capacity that is already running.
    /// - A version of the candidate gets the target spec's bounds in proportion to the weight
    ///   it is routed now, so a 25% canary of `maxReplicas: 8` may grow to 2.
    /// - A version in both keeps whichever bounds ask for more.
    /// After promotion the target is stable and its own bounds apply. A spec without
    /// `scaling` gives its versions none (one process each).
    static func replicaBounds(stable: ServingSet, candidate target: ServingSet?, route: ModelRoute) -> [String: ReplicaScaling] {
        var bounds: [String: ReplicaScaling] = [:]
        if let scaling = stable.scaling {
            for version in stable.versions {
                bounds[version.name] = scaling.share(
                    percent: stable.weights[version.name] ?? 0, mirrored: mirrored(version.name, stable.mirror))
            }
        }
        if let target, let scaling = target.scaling {
            for version in target.versions {
                let name = dataPlaneName(of: version, stable: stable)
                let share = scaling.share(percent: route.weights[name] ?? 0, mirrored: mirrored(name, route.mirror))
                bounds[name] = bounds[name].map { $0.covering(share) } ?? share
            }
        }
        return bounds
    }

    private static func mirrored(_ version: String, _ mirror: Mirror?) -> Int {
        mirror?.version == version ? mirror?.percent ?? 0 : 0
    }
}
