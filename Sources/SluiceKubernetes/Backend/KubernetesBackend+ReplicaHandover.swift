import Logging
import SluiceCore

/// Giving a Deployment's `spec.replicas` to its HorizontalPodAutoscaler without a reset.
///
/// Server-side apply removes a field its manager stops applying when no other manager owns
/// it, and a Deployment's `spec.replicas` then falls back to its default, 1: the first apply
/// without the field would scale an autoscaling version down to one pod before its HPA acts.
/// The Kubernetes documentation's transfer procedure (server-side apply, "Transferring
/// ownership") avoids it: a second field manager applies the current value first, so the
/// field keeps an owner and its value; the HPA's next scale (an update) takes it from there.
extension KubernetesBackend {
    /// The field manager that holds a Deployment's replica count between Sluice and its HPA.
    static let replicaHandoverManager = "sluice-handover-to-hpa"

    /// When `object` (a Deployment about to be applied) leaves `spec.replicas` out and the
    /// live Deployment's count is still Sluice's, applies that count under
    /// ``replicaHandoverManager`` first.
    func handOverReplicas(of object: KubernetesObject, live: KubernetesObject) async throws(KubernetesError) {
        guard object.kind == ResourceKind.deployment.kind, object["spec", "replicas"] == nil,
              let replicas = live["spec", "replicas"]?.intValue, Self.appliesReplicas(live) else { return }
        let handover = KubernetesObject(.object([
            ("apiVersion", .string(ResourceKind.deployment.apiVersion)),
            ("kind", .string(ResourceKind.deployment.kind)),
            ("metadata", .object([("name", .string(object.name)), ("namespace", .string(namespace))])),
            ("spec", .object([("replicas", .int(replicas))])),
        ]))
        _ = try await client.apply(handover, fieldManager: Self.replicaHandoverManager)
        logger.info("handed \(object.name)'s replica count (\(replicas)) over to its HorizontalPodAutoscaler", metadata: [
            "model": "\(object.labels[KubernetesLabels.model] ?? "")",
        ])
    }

    /// When `object` (a Deployment about to be applied) sets `spec.replicas` again while its
    /// HPA still runs (the version stopped autoscaling), deletes the HPA first, so it cannot
    /// scale the Deployment away from Sluice's count between the apply and the prune.
    func retireAutoscaler(before object: KubernetesObject, live: [ObjectKey: KubernetesObject]) async throws(KubernetesError) {
        guard object.kind == ResourceKind.deployment.kind, object["spec", "replicas"] != nil else { return }
        let key = ObjectKey(apiVersion: ResourceKind.horizontalPodAutoscaler.apiVersion, kind: ResourceKind.horizontalPodAutoscaler.kind, name: object.name)
        guard let autoscaler = live[key], autoscaler.isManagedBySluice else { return }
        try await client.delete(.horizontalPodAutoscaler, namespace: namespace, name: autoscaler.name, uid: autoscaler.uid)
        logger.info("pruned \(ResourceKind.horizontalPodAutoscaler) \(namespace)/\(autoscaler.name) before applying its Deployment's replica count", metadata: [
            "model": "\(object.labels[KubernetesLabels.model] ?? "")",
        ])
    }

    /// Whether Sluice's apply owns the live Deployment's `spec.replicas` (its managedFields
    /// entry lists `f:spec` → `f:replicas`). Without managedFields (a server or proxy that
    /// leaves them out) it is assumed to, since the hand-over costs one request and is harmless.
    static func appliesReplicas(_ live: KubernetesObject) -> Bool {
        guard let entries = live["metadata", "managedFields"]?.arrayValue else { return true }
        return entries.contains { entry in
            entry["manager"]?.stringValue == KubernetesLabels.managerName && entry["operation"]?.stringValue == "Apply"
                && entry["fieldsV1"]?["f:spec"]?["f:replicas"] != nil
        }
    }
}
