import SluiceConfig
import SluiceCore

/// Readiness on the `gateway-api` driver: the version's Deployment has rolled out
/// (observedGeneration ≥ generation, updated == available == desired > 0) and the model's
/// HTTPRoute (and its GRPCRoute, when rendered) is Accepted with ResolvedRefs by our Gateway for its current generation.
extension ObservedStateReader {
    func gatewayAPIVersions(model: ModelRuntime, objects: [KubernetesObject]) -> [ObservedVersion] {
        let routeName = KubernetesNames.modelObject(model: model.name)
        var routeProblem = Self.find(.httpRoute, named: routeName, in: objects).map(routeStatusProblem)
            ?? "HTTPRoute \(routeName) not found"
        if routeProblem == nil, KubernetesRenderer(context: context).rendersGRPCRoute(model) {
            routeProblem = Self.find(.grpcRoute, named: routeName, in: objects).map(routeStatusProblem) ?? "GRPCRoute \(routeName) not found"
        }
        return model.versions.map { version in
            let name = KubernetesNames.versionObject(model: model.name, version: version.name)
            let port = version.runtime.flatMap { context.runtimes[$0]?.kubernetes?.port }
            var observed = ObservedVersion(
                name: version.name, runtime: version.runtime,
                endpoint: port.map { "http://\(name).\(context.namespace).svc:\($0)" }, state: .missing, port: port)
            guard let deployment = Self.find(.deployment, named: name, in: objects) else {
                observed.message = "Deployment \(name) not found"
                return withMirrorNote(observed, model: model)
            }
            guard Self.find(.service, named: name, in: objects) != nil else {
                observed.message = "Service \(name) not found"
                return withMirrorNote(observed, model: model)
            }
            observed.replicas = replicas(
                of: version, deployment: deployment, autoscaler: Self.find(.horizontalPodAutoscaler, named: name, in: objects))
            let (phase, problem) = Self.deploymentReadiness(deployment)
            observed.state = phase
            if let problem {
                observed.ready = false
                observed.message = problem
            } else if let routeProblem {
                observed.state = .starting
                observed.ready = false
                observed.message = routeProblem
            } else {
                observed.ready = true
            }
            return withMirrorNote(observed, model: model)
        }
    }

    /// The phase of a Deployment and why it is not ready (nil: ready).
    static func deploymentReadiness(_ deployment: KubernetesObject) -> (VersionPhase, String?) {
        let generation = deployment.generation ?? 0
        let observed = deployment["status", "observedGeneration"]?.intValue ?? 0
        let desired = deployment["spec", "replicas"]?.intValue ?? 1
        let updated = deployment["status", "updatedReplicas"]?.intValue ?? 0
        let available = deployment["status", "availableReplicas"]?.intValue ?? 0
        let conditions = deployment["status", "conditions"]
        if let progressing = condition("Progressing", in: conditions), !progressing.isTrue, progressing.reason == "ProgressDeadlineExceeded" {
            return (.failed, "Deployment not progressing: \(progressing.why)")
        }
        if let failure = condition("ReplicaFailure", in: conditions), failure.isTrue {
            return (.failed, "Deployment ReplicaFailure: \(failure.why)")
        }
        if observed < generation {
            return (.starting, "Deployment generation \(generation) not yet observed (observedGeneration \(observed))")
        }
        if desired == 0 { return (.unready, "Deployment scaled to 0 replicas") }
        if updated == desired, available == desired { return (.ready, nil) }
        let phase: VersionPhase = available > 0 && updated == desired ? .unready : .starting
        return (phase, "Deployment \(available) of \(desired) replicas available, \(updated) updated")
    }

    /// Why the HTTPRoute (or GRPCRoute: the same `RouteStatus`) does not route yet (nil: Accepted
    /// and ResolvedRefs by our Gateway, for the current generation). Accepted means accepted, not
    /// yet programmed in every proxy.
    func routeStatusProblem(_ route: KubernetesObject) -> String? {
        let kind = route.kind
        let generation = route.generation ?? 0
        let parents = route["status", "parents"]?.arrayValue ?? []
        let wantedSection = kind == ResourceKind.grpcRoute.kind
            ? context.gateway?.grpcSectionName ?? context.gateway?.sectionName : context.gateway?.sectionName
        let ours = parents.first { parent in
            guard let reference = parent["parentRef"], reference["name"]?.stringValue == context.gateway?.name else { return false }
            let namespace = reference["namespace"]?.stringValue ?? route.namespace ?? context.namespace
            let wanted = context.gateway?.namespace ?? route.namespace ?? context.namespace
            let section = reference["sectionName"]?.stringValue
            return namespace == wanted && section == wantedSection
        }
        guard let ours else { return "\(kind) status not yet reported by Gateway \(context.gateway?.name ?? "")" }
        for type in ["Accepted", "ResolvedRefs"] {
            guard let condition = Self.condition(type, in: ours["conditions"]) else { return "\(kind) has no \(type) condition yet" }
            if !condition.isTrue { return "\(kind) not \(type): \(condition.why)" }
            if let seen = condition.observedGeneration, seen < generation {
                return "\(kind) \(type) is for generation \(seen), not \(generation) yet"
            }
        }
        return nil
    }

    /// The mirror target's message says when the mirror is configured but not rendered.
    func withMirrorNote(_ version: ObservedVersion, model: ModelRuntime) -> ObservedVersion {
        guard let mirror = model.route.mirror, mirror.version == version.name, !context.requestMirror else { return version }
        var version = version
        let note = "mirror not rendered: backend.requestMirror is false (the Gateway implementation lacks the RequestMirror filter)"
        version.message = version.message.map { "\($0); \(note)" } ?? note
        return version
    }
}
