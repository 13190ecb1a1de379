import Crypto
import Foundation
import Logging
import NIOConcurrencyHelpers
import SluiceCore

extension KubernetesBackend {
    /// The annotation holding the hash of what Sluice last applied to an object: an object
    /// whose hash and rendered fields match is not sent again (cost follows the change).
    static let appliedHashAnnotation = "sluice.dev/applied-hash"
    /// The annotation of the per-model object holding the model as a one-model runtime spec.
    static let runtimeAnnotation = KubernetesAnnotations.runtime
    /// The ConfigMap holding the revision of the spec in force and when it was applied.
    static let runtimeConfigMap = "sluice-runtime"

    /// Applies every model's changed objects: a dry run first (admission errors refuse that
    /// model only, which keeps its last good objects), then server-side apply in order
    /// (Services, Deployments and HPAs before the route), then the pruning of managed objects
    /// whose model or version left the spec (or whose version stopped autoscaling: its HPA). Models that could not be applied are named in the
    /// error thrown after the others were applied.
    public func apply(_ spec: RuntimeSpec) async throws(DataPlaneError) -> ObservedState {
        let live = try await cachedObjects(Self.watchedKinds(driver))
        let byModel = Dictionary(grouping: live) { $0.labels[KubernetesLabels.model] ?? "" }
        let previous = state.withLockedValue { $0 }
        var verified: [String: [String]] = [:]
        var failures: [String] = []
        var appliedModels: Set<String> = []
        for model in spec.models {
            let own = byModel[KubernetesNames.labelValue(model.name)] ?? []
            let fingerprint = Self.fingerprint(own)
            // Unchanged since it was last found in place: nothing to render or send.
            if previous.spec?.model(model.name) == model, previous.verified[model.name] == fingerprint {
                verified[model.name] = fingerprint
                appliedModels.insert(model.name)
                continue
            }
            do {
                var byKey: [ObjectKey: KubernetesObject] = [:]
                for object in own { if let key = ObjectKey(object) { byKey[key] = object } }
                if try await applyModel(model, live: byKey) == 0 { verified[model.name] = fingerprint }
                appliedModels.insert(model.name)
            } catch {
                failures.append("\(model.name): \(error)")
            }
        }
        // Models that failed keep every object they had: nothing of theirs is pruned.
        let keep = Dictionary(uniqueKeysWithValues: spec.models.map { ($0.name, Set($0.versions.map(\.name))) })
        let autoscaled = Dictionary(uniqueKeysWithValues: spec.models.map { model in
            (model.name, Set(model.versions.filter { $0.scaling?.autoscales == true }.map(\.name)))
        })
        let grpcRouted = Set(spec.models.filter(renderer.rendersGRPCRoute).map(\.name))
        do {
            try await prune(
                live: live, keep: keep, autoscaled: autoscaled, grpcRouted: grpcRouted,
                failedModels: Set(spec.models.map(\.name)).subtracting(appliedModels))
            try await recordRevision(spec.revision)
        } catch {
            failures.append("\(error)")
        }
        let now = Self.timestamp()
        state.withLockedValue { $0 = AppliedState(spec: spec, appliedAt: now, verified: verified) }
        specApplied?(spec)
        if !failures.isEmpty {
            // The next pass sees the difference and tries again (a dry run, so a refused spec
            // costs one request per model and pass).
            state.withLockedValue { $0.spec = nil }
            throw DataPlaneError(.refused(status: 422), "the cluster refused \(failures.count) model(s): " + failures.joined(separator: "; "))
        }
        return try await observe()
    }

    /// What identifies the state of a model's objects, status aside: kind, name, the hash
    /// Sluice applied and the generation (which a spec edit by anyone bumps).
    static func fingerprint(_ objects: [KubernetesObject]) -> [String] {
        objects.map { "\($0.kind)/\($0.name)#\($0.annotations[appliedHashAnnotation] ?? "")#\($0.generation ?? 0)" }.sorted()
    }

    /// Renders `model` (whose live objects are `live`), checks ownership, dry-runs the
    /// objects that changed and applies them; returns how many were sent.
    @discardableResult
    func applyModel(_ model: ModelRuntime, live: [ObjectKey: KubernetesObject]) async throws -> Int {
        let rendered = try renderer.objects(for: model, revision: nil)
        // Fields Sluice renders that someone changed since: those objects are applied again.
        let drifted = Set(reader.drift(rendered: rendered, objects: Array(live.values)).map(\.object))
        // Each changed object with the live one it replaces (from the cache, or read when the
        // cache has not seen it yet).
        var changed: [(object: KubernetesObject, current: KubernetesObject?)] = []
        for object in rendered {
            let stamped = Self.stamped(object)
            guard let key = ObjectKey(stamped) else { continue }
            var current = live[key]
            if let current {
                let unchanged = current.annotations[Self.appliedHashAnnotation] == stamped.annotations[Self.appliedHashAnnotation]
                if unchanged && !drifted.contains("\(object.kind)/\(object.name)") { continue }
            } else if let kind = ResourceKind.of(stamped), let existing = try await client.get(kind, namespace: namespace, name: stamped.name) {
                guard existing.isManagedBySluice else {
                    // Not in the managed caches but present: someone else's object of that name.
                    throw KubernetesError(
                        .notOwned,
                        "\(kind) \(namespace)/\(stamped.name) exists and is not managed by Sluice (no \(KubernetesLabels.managedBy)=\(KubernetesLabels.managerName)); it is never overwritten: rename or delete it")
                }
                current = existing
            }
            changed.append((stamped, current))
        }
        guard !changed.isEmpty else { return 0 }
        // Admission (schemas, CEL rules, webhooks) judges the whole change before any of it lands.
        for (object, _) in changed { _ = try await client.apply(object, dryRun: true) }
        for (object, current) in changed {
            if let current { try await handOverReplicas(of: object, live: current) }
            try await retireAutoscaler(before: object, live: live)
            _ = try await client.apply(object)
        }
        logger.info("applied \(changed.count) object(s) of \(model.name)", metadata: ["model": "\(model.name)"])
        return changed.count
    }

    /// Deletes the managed objects whose model or version left the spec, the HPAs of
    /// versions that no longer autoscale, and the GRPCRoutes of models not in `grpcRouted`
    /// (a version lost its gRPC port): routes first (traffic leaves), then HPAs (before
    /// the Deployments they scale), Deployments and Services. Only objects carrying Sluice's
    /// label are considered, and each delete is conditioned on the uid that was seen.
    func prune(
        live: [KubernetesObject], keep: [String: Set<String>], autoscaled: [String: Set<String>] = [:], grpcRouted: Set<String> = [],
        failedModels: Set<String>
    ) async throws {
        // Labels hold sanitized names (``KubernetesNames/labelValue(_:)``): compare in that form.
        let labelled = { (map: [String: Set<String>]) in
            Dictionary(uniqueKeysWithValues: map.map { (KubernetesNames.labelValue($0.key), Set($0.value.map(KubernetesNames.labelValue))) })
        }
        let kept = labelled(keep)
        let scaled = labelled(autoscaled)
        let failed = Set(failedModels.map(KubernetesNames.labelValue))
        let routedOverGRPC = Set(grpcRouted.map(KubernetesNames.labelValue))
        let order: [String: Int] = [
            ResourceKind.httpRoute.kind: 0, ResourceKind.grpcRoute.kind: 0, ResourceKind.inferenceService.kind: 0, ResourceKind.horizontalPodAutoscaler.kind: 1,
            ResourceKind.deployment.kind: 2, ResourceKind.service.kind: 3,
        ]
        let perVersion: Set<String> = [ResourceKind.deployment.kind, ResourceKind.service.kind, ResourceKind.horizontalPodAutoscaler.kind]
        let stale = live.filter { object in
            guard object.isManagedBySluice, let model = object.labels[KubernetesLabels.model], !failed.contains(model) else { return false }
            guard let versions = kept[model] else { return true }
            if object.kind == ResourceKind.grpcRoute.kind { return !routedOverGRPC.contains(model) }
            // A version's own objects go with it; the model's route or InferenceService (whose
            // version label names its predictor) stays while the model does.
            guard perVersion.contains(object.kind), let version = object.labels[KubernetesLabels.version] else { return false }
            if object.kind == ResourceKind.horizontalPodAutoscaler.kind { return !(scaled[model]?.contains(version) ?? false) }
            return !versions.contains(version)
        }.sorted { (order[$0.kind] ?? 4, $0.name) < (order[$1.kind] ?? 4, $1.name) }
        for object in stale {
            guard let kind = ResourceKind.of(object) else { continue }
            try await client.delete(kind, namespace: namespace, name: object.name, uid: object.uid)
            logger.info("pruned \(kind) \(namespace)/\(object.name)", metadata: ["model": "\(object.labels[KubernetesLabels.model] ?? "")"])
        }
    }

    /// Records the spec's revision in the `sluice-runtime` ConfigMap (one object, so a new
    /// commit does not rewrite every model's objects).
    func recordRevision(_ revision: String?) async throws {
        let cached = await informers[.configMap]?.object(named: Self.runtimeConfigMap)
        if let revision, cached?["data", "revision"]?.stringValue == revision { return }
        let object = KubernetesObject(.object([
            ("apiVersion", .string("v1")), ("kind", .string("ConfigMap")),
            ("metadata", .object([
                ("name", .string(Self.runtimeConfigMap)), ("namespace", .string(namespace)),
                ("labels", .object([(KubernetesLabels.managedBy, .string(KubernetesLabels.managerName))])),
            ])),
            ("data", .object([("revision", .string(revision ?? "")), ("appliedAt", .string(Self.timestamp()))])),
        ]))
        _ = try await client.apply(object)
    }

    /// `object` with the hash of its content in ``appliedHashAnnotation``.
    static func stamped(_ object: KubernetesObject) -> KubernetesObject {
        let hash = "sha256:" + SHA256.hexDigest(of: Array(object.json.serialized().utf8))
        var copy = object
        copy.json = object.json.setting(["metadata", "annotations", appliedHashAnnotation], to: .string(hash))
        return copy
    }

    /// Now, as an RFC 3339 time.
    static func timestamp() -> String {
        ISO8601DateFormatter().string(from: Date())
    }
}

/// An object's identity in a namespace: its kind and name.
struct ObjectKey: Hashable {
    var apiVersion: String
    var kind: String
    var name: String

    init(apiVersion: String, kind: String, name: String) {
        self.apiVersion = apiVersion
        self.kind = kind
        self.name = name
    }

    init?(_ object: KubernetesObject) {
        guard !object.kind.isEmpty, !object.name.isEmpty else { return nil }
        apiVersion = object.apiVersion
        kind = object.kind
        name = object.name
    }
}
