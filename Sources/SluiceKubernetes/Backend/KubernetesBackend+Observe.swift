import Logging
import NIOConcurrencyHelpers
import SluiceCore

extension KubernetesBackend {
    /// The spec in force as the cluster records it: each model from its per-model object's
    /// annotation, the revision from the `sluice-runtime` ConfigMap. A model whose live objects
    /// no longer match what was rendered from that annotation (someone edited the weights) is
    /// left out, so the controller sees a difference, applies again and reports the heal.
    public func currentSpec() async throws(DataPlaneError) -> RuntimeSpec? {
        let live = try await cachedObjects(Self.watchedKinds(driver))
        let runtime = try await cachedObjects([.configMap]).first { $0.name == Self.runtimeConfigMap }
        let grouped = Dictionary(grouping: live) { $0.labels[KubernetesLabels.model] ?? "" }
        var models: [ModelRuntime] = []
        for object in live where object.kind == modelKind.kind && object.isManagedBySluice {
            guard let model = Self.recordedModel(object) else {
                logger.warning("\(object.kind) \(object.name) has no readable \(Self.runtimeAnnotation) annotation; it is applied again")
                continue
            }
            if !reader.drift(model: model, objects: grouped[KubernetesNames.labelValue(model.name)] ?? []).isEmpty { continue }
            models.append(model)
        }
        guard runtime != nil || !models.isEmpty else { return nil }
        let revision = runtime?["data", "revision"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
        return RuntimeSpec(revision: revision, models: models.sorted { $0.name < $1.name })
    }

    /// What runs: every model of the spec in force, read from the cached objects by the
    /// driver's readiness rules, with the replica-count changes seen since earlier
    /// observations (`scaleEvents`, gateway-api only). Sends no request once the watches have listed.
    public func observe() async throws(DataPlaneError) -> ObservedState {
        let applied = state.withLockedValue { $0 }
        let spec: RuntimeSpec?
        if let known = applied.spec { spec = known } else { spec = try await currentSpec() }
        let live = try await cachedObjects(Self.watchedKinds(driver))
        let grouped = Dictionary(grouping: live) { $0.labels[KubernetesLabels.model] ?? "" }
        let models = (spec?.models ?? []).map { reader.observed(model: $0, objects: grouped[KubernetesNames.labelValue($0.name)] ?? []) }
        let now = Self.timestamp()
        let (instance, events) = scaleLog.withLockedValue { log in (log.instance, log.record(models, at: now)) }
        return ObservedState(
            revision: spec?.revision, appliedAt: applied.appliedAt, models: models, instance: instance, scaleEvents: events.isEmpty ? nil : events)
    }

    /// The model recorded in a per-model object's annotation.
    static func recordedModel(_ object: KubernetesObject) -> ModelRuntime? {
        guard let text = object.annotations[runtimeAnnotation],
              let spec = try? RuntimeSpec.decode(json: Array(text.utf8)), spec.models.count == 1 else { return nil }
        return spec.models[0]
    }
}
