import SluiceConfig
import SluiceCore

/// Replicas on the `gateway-api` driver: a version's `scaling` becomes the Deployment's
/// `spec.replicas` when its bounds are fixed, or an `autoscaling/v2` HorizontalPodAutoscaler
/// that owns `spec.replicas` when they are not (the Deployment then leaves the field out, so
/// server-side apply never resets what the HPA chose).
extension KubernetesRenderer {
    /// The longest scale-down stabilization window an HPA accepts (autoscaling/v2 validation:
    /// `behavior.scaleDown.stabilizationWindowSeconds` from 0 to 3600).
    static let maxStabilizationWindowSeconds = 3600

    /// The per-pod custom metric an HPA reads for a target. An HPA cannot measure requests
    /// itself: a metrics adapter (Prometheus Adapter) must serve these names from the
    /// custom metrics API (docs/kubernetes.md shows the rules).
    public static func podMetricName(_ metric: ReplicaScaling.Target.Metric) -> String {
        switch metric {
        case .concurrency: "sluice_requests_in_flight"
        case .rps: "sluice_requests_per_second"
        }
    }

    /// A Deployment's `spec.replicas`: the runtime's count without `scaling`, the bound when
    /// it is fixed, nil when an HPA owns the field.
    static func deploymentReplicas(_ version: VersionRuntime, runtime: KubernetesRuntime) -> Int? {
        guard let scaling = version.scaling else { return runtime.replicas }
        return scaling.autoscales ? nil : scaling.minReplicas
    }

    /// The bounds must be valid (a runtime spec built in process is not read through the
    /// checking reader) and expressible on the driver in force.
    func checkScaling(_ version: VersionRuntime, of model: ModelRuntime) throws(KubernetesRenderError) {
        guard let scaling = version.scaling else { return }
        if let problem = scaling.problems.first {
            throw KubernetesRenderError(model: model.name, version: version.name, detail: "scaling.\(problem.field): \(problem.message)")
        }
        let field = "scaling.target.\(scaling.target.metric.rawValue)"
        switch context.driver {
        case .gatewayAPI:
            guard scaling.autoscales else { return }
            let window = Self.wholeSeconds(scaling.scaleDownDelay)
            guard window <= Self.maxStabilizationWindowSeconds else {
                throw KubernetesRenderError(
                    model: model.name, version: version.name,
                    detail: "scaling.scaleDownDelay: a HorizontalPodAutoscaler waits at most \(Self.maxStabilizationWindowSeconds)s (1h) before scaling down (behavior.scaleDown.stabilizationWindowSeconds); found \(scaling.scaleDownDelay)")
            }
            guard Self.quantity(scaling.target.value) != nil else {
                throw KubernetesRenderError(
                    model: model.name, version: version.name,
                    detail: "\(field): \(scaling.target.value) cannot be written as a Kubernetes quantity; expected a positive number below 10^15")
            }
        case .kserve:
            guard Self.kserveScaleTarget(scaling.target.value) != nil else {
                throw KubernetesRenderError(
                    model: model.name, version: version.name,
                    detail: "\(field): \(scaling.target.value) does not fit KServe's scaleTarget (a whole number from 1 to \(Int32.max))")
            }
        }
    }

    /// The HPA of an autoscaling version: named, labelled and annotated like its Deployment,
    /// whose replicas it keeps between the bounds, reading the target's per-pod metric.
    func horizontalPodAutoscaler(_ version: VersionRuntime, model: ModelRuntime, scaling: ReplicaScaling) -> KubernetesObject {
        let name = KubernetesNames.versionObject(model: model.name, version: version.name)
        let target = Self.quantity(scaling.target.value) ?? "1"
        return KubernetesObject(.object([
            ("apiVersion", .string(ResourceKind.horizontalPodAutoscaler.apiVersion)),
            ("kind", .string(ResourceKind.horizontalPodAutoscaler.kind)),
            ("metadata", metadata(name: name, labels: labels(model: model.name, version: version.name),
                                  annotations: [KubernetesAnnotations.version: version.name])),
            ("spec", .object([
                ("scaleTargetRef", .object([
                    ("apiVersion", .string(ResourceKind.deployment.apiVersion)),
                    ("kind", .string(ResourceKind.deployment.kind)),
                    ("name", .string(name)),
                ])),
                ("minReplicas", .int(scaling.minReplicas)),
                ("maxReplicas", .int(scaling.maxReplicas)),
                ("metrics", .array([.object([
                    ("type", .string("Pods")),
                    ("pods", .object([
                        ("metric", .object([("name", .string(Self.podMetricName(scaling.target.metric)))])),
                        ("target", .object([("type", .string("AverageValue")), ("averageValue", .string(target))])),
                    ])),
                ])])),
                // Scale-up keeps the HPA's default (immediate); scale-down waits scaleDownDelay.
                ("behavior", .object([
                    ("scaleDown", .object([("stabilizationWindowSeconds", .int(Self.wholeSeconds(scaling.scaleDownDelay)))])),
                ])),
            ])),
        ]))
    }

    /// `duration` in whole seconds, a fraction rounded up (the HPA's window is whole seconds).
    static func wholeSeconds(_ duration: SluiceCore.Duration) -> Int {
        let (seconds, milliseconds) = duration.milliseconds.quotientAndRemainder(dividingBy: 1000)
        return Int(clamping: seconds) + (milliseconds > 0 ? 1 : 0)
    }

    /// `value` as a Kubernetes quantity in the canonical form the API server stores, so a
    /// read-back compares equal: whole milli-units (finer fractions rounded up) with the
    /// largest decimal SI suffix that keeps the number whole (`4`, `2500m`, `2k`, `1500`).
    /// Nil when it is not positive or too large to write.
    static func quantity(_ value: Double) -> String? {
        guard value.isFinite, value > 0, value < 1e15 else { return nil }
        var mantissa = Int64((value * 1000).rounded(.up))
        var exponent = -3
        while mantissa % 1000 == 0, exponent < 18 {
            mantissa /= 1000
            exponent += 3
        }
        let suffixes = [-3: "m", 0: "", 3: "k", 6: "M", 9: "G", 12: "T", 15: "P", 18: "E"]
        return "\(mantissa)\(suffixes[exponent] ?? "")"
    }

    /// KServe's `scaleTarget` is an int32: the target rounded up (a fraction cannot be written,
    /// and rounding down could reach 0, which KServe refuses for rps; so a replica may carry up
    /// to the next whole number before another is added). Nil when it does not fit.
    static func kserveScaleTarget(_ value: Double) -> Int? {
        guard value.isFinite, value > 0 else { return nil }
        let whole = value.rounded(.up)
        guard whole <= Double(Int32.max) else { return nil }
        return Int(whole)
    }
}
