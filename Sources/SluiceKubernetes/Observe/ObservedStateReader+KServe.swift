import SluiceConfig
import SluiceCore

/// Readiness on the `kserve` driver (KServe v0.20.0 status): conditions `Ready` and
/// `PredictorReady`, `status.components.predictor` revisions and traffic (Serverless), and
/// `status.canaryStatuses[]` (Standard).
extension ObservedStateReader {
    func kserveVersions(model: ModelRuntime, objects: [KubernetesObject]) -> [ObservedVersion] {
        let name = KubernetesNames.modelObject(model: model.name)
        let base = model.versions.map { ObservedVersion(name: $0.name, runtime: $0.runtime, state: .missing) }
        guard let service = Self.find(.inferenceService, named: name, in: objects) else {
            return base.map { with($0, .missing, ready: nil, "InferenceService \(name) not found") }
        }
        let generation = service.generation ?? 0
        let seen = service["status", "observedGeneration"]?.intValue ?? 0
        if seen < generation {
            return base.map { with($0, .starting, ready: false, "InferenceService generation \(generation) not yet observed (observedGeneration \(seen))") }
        }
        switch context.kserveDeploymentMode {
        case .serverless: return serverlessVersions(model: model, service: service, base: base)
        case .rawDeployment: return standardVersions(model: model, service: service, base: base)
        }
    }

    /// Serverless: the newest version is the latest revision; the other version with traffic
    /// is KServe's previous rolled-out revision (`prev`), ready while it is in `traffic[]`.
    func serverlessVersions(model: ModelRuntime, service: KubernetesObject, base: [ObservedVersion]) -> [ObservedVersion] {
        let conditions = service["status", "conditions"]
        let predictor = service["status", "components", "predictor"]
        let latestCreated = predictor?["latestCreatedRevision"]?.stringValue
        let latestReady = predictor?["latestReadyRevision"]?.stringValue
        let latestRolledout = predictor?["latestRolledoutRevision"]?.stringValue
        let previous = predictor?["previousRolledoutRevision"]?.stringValue
        let traffic = predictor?["traffic"]?.arrayValue ?? []
        let live = service.annotations[KubernetesAnnotations.version]
        let livePrevious = service.annotations[KubernetesAnnotations.previousVersion]
        let newest = model.versions.last?.name
        // KServe resets latestRolledoutRevision to the previous one when canaryTrafficPercent is 0.
        let previousRevision = previous ?? (latestRolledout != latestCreated ? latestRolledout : nil)
        return base.map { version in
            if version.name == newest {
                guard live == version.name else {
                    return with(version, .missing, ready: nil, "InferenceService predictor runs \(live ?? "another version"), not \(version.name) yet")
                }
                let predictorReady = Self.condition("PredictorReady", in: conditions)
                guard let latestCreated, latestReady == latestCreated else {
                    let why = predictorReady.map { $0.isTrue ? "" : ": \($0.why)" } ?? ""
                    return with(version, .starting, ready: false, "revision \(latestCreated ?? "(none yet)") not ready yet\(why)")
                }
                if let predictorReady, !predictorReady.isTrue {
                    return with(version, .unready, ready: false, "PredictorReady \(predictorReady.status): \(predictorReady.why)")
                }
                return with(version, .ready, ready: true, nil)
            }
            guard livePrevious == version.name else {
                if (model.route.weights[version.name] ?? 0) == 0 {
                    return with(version, .missing, ready: nil, "not kept by KServe Serverless: only the latest and previous revisions run")
                }
                return with(version, .missing, ready: nil, "not KServe's previous rolled-out revision of \(service.name)")
            }
            guard let previousRevision, traffic.contains(where: { $0["revisionName"]?.stringValue == previousRevision }) else {
                return with(version, .starting, ready: false, "previous rolled-out revision \(previousRevision ?? "(none)") is not in status traffic")
            }
            return with(version, .ready, ready: true, nil)
        }
    }

    /// Standard: the stable version is the predictor (`PredictorReady`), each other version
    /// a named canary (`status.canaryStatuses[].ready`).
    func standardVersions(model: ModelRuntime, service: KubernetesObject, base: [ObservedVersion]) -> [ObservedVersion] {
        let conditions = service["status", "conditions"]
        let canaries = service["status", "canaryStatuses"]?.arrayValue ?? []
        let stable = model.versions.first?.name
        return base.map { version in
            if version.name == stable {
                guard service.annotations[KubernetesAnnotations.version] == version.name else {
                    return with(version, .missing, ready: nil, "InferenceService predictor runs another version, not \(version.name) yet")
                }
                guard let ready = Self.condition("PredictorReady", in: conditions) else {
                    return with(version, .starting, ready: false, "InferenceService has no PredictorReady condition yet")
                }
                return ready.isTrue ? with(version, .ready, ready: true, nil) : with(version, .starting, ready: false, "PredictorReady \(ready.status): \(ready.why)")
            }
            let canary = KubernetesNames.dns1035(raw: version.name, identity: version.name)
            guard let status = canaries.first(where: { $0["name"]?.stringValue == canary }) else {
                return with(version, .missing, ready: nil, "canary \(canary) not in status.canaryStatuses")
            }
            return status["ready"]?.boolValue == true
                ? with(version, .ready, ready: true, nil) : with(version, .starting, ready: false, "canary \(canary) not ready")
        }
    }

    private func with(_ version: ObservedVersion, _ state: VersionPhase, ready: Bool?, _ message: String?) -> ObservedVersion {
        var version = version
        version.state = state
        version.ready = ready
        version.message = message
        return version
    }
}
