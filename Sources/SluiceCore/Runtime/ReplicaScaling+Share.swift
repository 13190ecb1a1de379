extension ReplicaScaling {
    /// The bounds for a version that carries `percent` of the model's traffic (and receives
    /// copies of `mirrored` percent more): each bound scaled by its share and rounded up, at
    /// least one replica (Argo Rollouts' `setCanaryScale` default). At 100% the bounds are
    /// these ones; a version kept warm at 0% runs one replica, more only for the copies it
    /// is mirrored. The target and the delay are the model's.
    public func share(percent: Int, mirrored: Int = 0) -> ReplicaScaling {
        let serving = min(max(percent, 0), 100)
        let loaded = min(serving + max(mirrored, 0), 100)
        guard serving < 100 else { return self }
        let low = Self.ceilShare(minReplicas, serving)
        let high = max(Self.ceilShare(maxReplicas, loaded), low)
        return ReplicaScaling(minReplicas: low, maxReplicas: high, target: target, scaleDownDelay: scaleDownDelay)
    }

    /// `count` × `percent` / 100, rounded up, at least 1.
    private static func ceilShare(_ count: Int, _ percent: Int) -> Int {
        max(1, (count * percent + 99) / 100)
    }

    /// Bounds that cover both: the larger minimum and the larger maximum (a version that is
    /// stable and part of the candidate's split keeps whichever asks for more).
    public func covering(_ other: ReplicaScaling) -> ReplicaScaling {
        var covering = self
        covering.minReplicas = max(minReplicas, other.minReplicas)
        covering.maxReplicas = max(maxReplicas, other.maxReplicas)
        return covering
    }
}
