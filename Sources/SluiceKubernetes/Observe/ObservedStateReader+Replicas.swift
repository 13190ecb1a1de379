import SluiceConfig
import SluiceCore

/// A version's replicas on the `gateway-api` driver, from its Deployment and, when it
/// autoscales, its HorizontalPodAutoscaler. (The `kserve` driver reports none: an
/// InferenceService's status has no replica counts.)
extension ObservedStateReader {
    /// Desired: the HPA's `status.desiredReplicas` when an HPA scales the version, else the
    /// Deployment's `spec.replicas`; ready: the Deployment's `status.readyReplicas`; bounds from
    /// the version's `scaling` (or the runtime's fixed count), target and metric when it
    /// autoscales; load from the HPA's `status.currentMetrics`; limited when the HPA reports
    /// `ScalingLimited` because of its maximum.
    func replicas(of version: VersionRuntime, deployment: KubernetesObject, autoscaler: KubernetesObject?) -> ObservedReplicas {
        let fixed = version.runtime.flatMap { context.runtimes[$0]?.kubernetes?.replicas } ?? 1
        let bounds = version.scaling ?? ReplicaScaling.fixed(fixed)
        let specified = deployment["spec", "replicas"]?.intValue ?? 1
        var observed = ObservedReplicas(
            desired: specified, ready: deployment["status", "readyReplicas"]?.intValue ?? 0,
            minReplicas: bounds.minReplicas, maxReplicas: bounds.maxReplicas)
        guard bounds.autoscales else { return observed }
        observed.target = bounds.target.value
        observed.metric = bounds.target.metric
        guard let autoscaler else { return observed }
        if let desired = autoscaler["status", "desiredReplicas"]?.intValue { observed.desired = desired }
        let metricName = KubernetesRenderer.podMetricName(bounds.target.metric)
        let current = autoscaler["status", "currentMetrics"]?.arrayValue?.first {
            $0["type"]?.stringValue == "Pods" && $0["pods"]?["metric"]?["name"]?.stringValue == metricName
        }
        observed.load = current?["pods"]?["current"]?["averageValue"]?.stringValue.flatMap(Self.quantityValue)
        if let limited = Self.condition("ScalingLimited", in: autoscaler["status", "conditions"]), limited.isTrue,
           limited.reason == "TooManyReplicas" {
            observed.limitedBy = .maxReplicas
        }
        return observed
    }

    /// A Kubernetes quantity as a number (`4`, `2500m`, `1.5k`); nil when unreadable.
    static func quantityValue(_ text: String) -> Double? {
        let scales: [Character: Double] = ["n": 1e-9, "u": 1e-6, "m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15, "E": 1e18]
        guard let last = text.last else { return nil }
        if let scale = scales[last] { return Double(text.dropLast()).map { $0 * scale } }
        return Double(text)
    }
}
