extension ModelRuntime {
    /// The model as a data plane runs it at `route`, the rollout engine's decision: the one
    /// translation from the engine's route to the runtime spec (the controller's apply and
    /// `sluice plan --render` both use it).
    public init(name: String, route: ModelRoute, sketchInputs: [String]? = nil) {
        self.init(
            name: name,
            versions: route.versions.map {
                VersionRuntime(
                    name: $0.name, runtime: $0.runtime, artifact: $0.artifact, digest: $0.digest, scaling: route.scaling[$0.name])
            },
            route: Route(
                weights: route.weights, stickyHeader: route.stickyHeader,
                mirror: route.mirror.map { Route.Mirror(version: $0.version, percent: Double($0.percent), pairing: route.mirrorPairing) }),
            sketchInputs: sketchInputs)
    }
}
