import SluiceConfig
import SluiceCore
import SluiceKubernetes

/// `sluice plan --backend kubernetes --render`: the Kubernetes objects each changed model
/// would be applied as, at the rollout's first step (later steps change only weights).
struct PlanRender {
    /// The backend settings and runtimes from the operator's config, resolved to one driver.
    var context: KubernetesRenderContext

    /// The YAML stream of every changed model's objects, with a header per model, and the
    /// models that cannot be rendered with why.
    func render(_ plan: SluiceCore.Plan, from: DesiredState?, to: DesiredState) -> (yaml: String, errors: [KubernetesRenderError]) {
        let renderer = KubernetesRenderer(context: context)
        var output = "# Kubernetes objects to apply (driver \(context.driver.rawValue), namespace \(context.namespace)), "
            + "at each changed model's first rollout step; later steps change only the weights.\n"
        var errors: [KubernetesRenderError] = []
        for change in plan.changes.sorted(by: { $0.name < $1.name }) where change.action.changesSomething {
            guard change.action.kind != .prune else {
                output += "# \(change.name): pruned; its objects are deleted\n"
                continue
            }
            guard let model = Self.firstStep(of: change, from: from, to: to) else { continue }
            do {
                let objects = try renderer.objects(for: model, revision: to.revision)
                output += "# \(change.name): \(change.action.kind.rawValue), weights "
                    + model.route.weights.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
                    + Self.replicaBounds(model) + "\n"
                output += KubernetesYAML.stream(objects)
            } catch {
                output += "# \(change.name): cannot be rendered: \(error)\n"
                errors.append(error)
            }
        }
        return (output, errors)
    }

    /// `, replicas v1=4–8 v2=1–2` (each version's bounds in the runtime spec), empty for a
    /// model without `scaling`.
    static func replicaBounds(_ model: ModelRuntime) -> String {
        let bounds = model.versions.compactMap { version in
            version.scaling.map { "\(version.name)=\($0.minReplicas)–\($0.maxReplicas)" }
        }
        return bounds.isEmpty ? "" : ", replicas " + bounds.joined(separator: " ")
    }

    /// The model as the controller would send it at the first step of its rollout: the
    /// rollout engine advanced once from the base revision's stable spec, every version ready.
    static func firstStep(of change: ModelChange, from: DesiredState?, to: DesiredState) -> ModelRuntime? {
        guard let target = to.models[change.name] else { return nil }
        let allReady = { (models: [DesiredState.Model?]) in
            ModelObservation(readyVersions: Set(models.compactMap { $0 }.flatMap { model in
                model.deployment.versions.flatMap { [$0.name, "\($0.name)~canary"] }
            }))
        }
        var state: RolloutState?
        if let before = from?.models[change.name] {
            state = RolloutEngine.reconcile(
                desired: before, revision: from?.revision ?? "", manifestError: nil, state: nil,
                observation: allReady([before]), now: 0).state
            // The plan found this spec in the model's recent history: the engine takes the fast path too.
            if change.action.kind == .fastRollback { state?.stableHistory.insert(target.specDigest, at: 0) }
        }
        let decided = RolloutEngine.reconcile(
            desired: target, revision: to.revision, manifestError: nil, state: state,
            observation: allReady([from?.models[change.name], target]), now: 0)
        guard let route = RolloutEngine.route(for: decided.state) else { return nil }
        return ModelRuntime(name: change.name, route: route)
    }
}
