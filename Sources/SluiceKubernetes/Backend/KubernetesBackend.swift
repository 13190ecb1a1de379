import Foundation
import Logging
import NIOConcurrencyHelpers
import SluiceConfig
import SluiceCore

/// Kubernetes as a backend: the same runtime spec the local data plane takes, rendered as
/// the objects of one driver (Deployments, Services and an HTTPRoute per model, or a KServe
/// InferenceService per model) and applied by server-side apply.
///
/// What runs is read from watch-fed caches (``ResourceInformer``), so a pass that changes
/// nothing sends no request, and one that changes a model sends requests for that model's
/// changed objects only. Only objects labelled `app.kubernetes.io/managed-by: sluice` are ever
/// changed or deleted; an object of the same name that Sluice did not create is a conflict.
public final class KubernetesBackend: DataPlaneBackend, RolloutStateReplica {
    let client: KubernetesClient
    let namespace: String
    let driver: KubernetesDriver
    let renderer: KubernetesRenderer
    let reader: ObservedStateReader
    let informers: [ResourceKind: ResourceInformer]
    let logger: Logger
    /// Monitoring buckets (the KServe payload-logger collector); nil: none on this driver.
    let monitoringSource: (@Sendable (Int64?) async -> MonitoringBatch)?
    /// Told each spec after it is applied (the payload-logger collector accepts events of its
    /// versions only and sketches the inputs it names).
    let specApplied: (@Sendable (RuntimeSpec) -> Void)?
    let state = NIOLockedValueBox(AppliedState())
    /// Replica-count changes seen between observations (HPA scaling), for the controller's history.
    let scaleLog = NIOLockedValueBox(KubernetesScaleLog())

    /// What this process applied last; a fresh process starts from the cluster's annotations.
    struct AppliedState {
        var spec: RuntimeSpec?
        var appliedAt: String?
        /// Per model, what its live objects looked like when they were last found to match
        /// its rendering (kind, name, applied hash and generation of each): while neither the
        /// model nor that fingerprint changes, an apply skips the model without rendering it.
        var verified: [String: [String]] = [:]
    }

    /// - Parameters:
    ///   - driver: the resolved driver (``KubernetesBackend/resolveDriver(_:client:)`` for `auto`).
    ///   - runtimes: the operator's runtimes (their `kubernetes:` or `kserve:` sections).
    public init(
        client: KubernetesClient, config: KubernetesBackendConfig, driver: KubernetesDriver, runtimes: [String: RuntimeDefinition],
        pinHeader: String = "x-sluice-version", logger: Logger,
        monitoringSource: (@Sendable (Int64?) async -> MonitoringBatch)? = nil,
        specApplied: (@Sendable (RuntimeSpec) -> Void)? = nil
    ) {
        self.client = client
        self.namespace = config.namespace
        self.driver = driver
        let context = KubernetesRenderContext(config: config, driver: driver, runtimes: runtimes, pinHeader: pinHeader)
        self.renderer = KubernetesRenderer(context: context)
        self.reader = ObservedStateReader(context: context)
        self.logger = logger
        self.monitoringSource = monitoringSource
        self.specApplied = specApplied
        var informers: [ResourceKind: ResourceInformer] = [:]
        for kind in Self.watchedKinds(driver) + [.configMap] {
            informers[kind] = ResourceInformer(
                client: client, kind: kind, namespace: config.namespace, labelSelector: KubernetesLabels.managedSelector, logger: logger)
        }
        self.informers = informers
    }

    /// The kinds whose objects make up a model on `driver`, in apply order.
    static func watchedKinds(_ driver: KubernetesDriver) -> [ResourceKind] {
        switch driver {
        case .gatewayAPI: return [.service, .deployment, .horizontalPodAutoscaler, .httpRoute, .grpcRoute]
        case .kserve: return [.inferenceService]
        }
    }

    /// The kind of the one per-model object (the route or the InferenceService).
    var modelKind: ResourceKind { driver == .kserve ? .inferenceService : .httpRoute }

    /// The driver `choice` names; `auto` asks the API server which APIs it serves (KServe first).
    public static func resolveDriver(_ choice: KubernetesDriverChoice, client: KubernetesClient) async throws(KubernetesError) -> KubernetesDriver {
        switch choice {
        case .gatewayAPI: return .gatewayAPI
        case .kserve: return .kserve
        case .auto:
            if try await client.serves(group: "serving.kserve.io", version: "v1beta1") { return .kserve }
            if try await client.serves(group: "gateway.networking.k8s.io", version: "v1") { return .gatewayAPI }
            throw KubernetesError(
                .notFound,
                "backend.driver auto: the cluster serves neither serving.kserve.io/v1beta1 (KServe) nor gateway.networking.k8s.io/v1 (Gateway API); install one or set backend.driver")
        }
    }

    /// Runs the watches until cancelled. The backend answers `unreachable` until each has listed once.
    public func run() async {
        await withTaskGroup(of: Void.self) { group in
            for informer in informers.values { group.addTask { await informer.run() } }
        }
    }

    /// Waits until every watch has listed once (or throws the list's error).
    public func waitUntilSynced() async throws(KubernetesError) {
        for informer in informers.values { try await informer.waitUntilSynced() }
    }

    /// HTTP requests sent to the API server so far.
    public var requestCount: Int { client.requestCount }

    public func stats(windowSeconds: Int) async throws(DataPlaneError) -> StatsSnapshot {
        // No gateway of Sluice's sees the traffic on a cluster: error rate and latency come from
        // Prometheus (`prometheus.builtinMetrics: prometheus`, the default on this backend).
        StatsSnapshot(models: [:])
    }

    public func monitoring(after: Int64?) async throws(DataPlaneError) -> MonitoringBatch {
        if let monitoringSource { return await monitoringSource(after) }
        return MonitoringBatch(now: Int64(Date().timeIntervalSince1970), bucketSeconds: 10, buckets: [])
    }

    /// Kinds only some models need (an HPA per autoscaling version, a GRPCRoute per model
    /// served over gRPC): a Role written before they existed, or a cluster without their API
    /// (Gateway API before v1.1 has no GRPCRoute), leaves them out instead of stopping the
    /// backend; a model that needs one fails its own apply with the API server's answer.
    static let optionalKinds: Set<ResourceKind> = [.horizontalPodAutoscaler, .grpcRoute]

    /// The cached objects of every watched kind, after checking the watches have listed.
    func cachedObjects(_ kinds: [ResourceKind]) async throws(DataPlaneError) -> [KubernetesObject] {
        var objects: [KubernetesObject] = []
        for kind in kinds {
            guard let informer = informers[kind] else { continue }
            do {
                try await informer.waitUntilSynced()
            } catch where Self.optionalKinds.contains(kind) && (error.kind == .forbidden || error.kind == .notFound) {
                continue
            } catch {
                throw DataPlaneError(Self.dataPlaneKind(error), "the cluster's \(kind) cannot be listed: \(error)")
            }
            objects += await informer.objects()
        }
        return objects
    }

    /// The data-plane failure kind of an API failure.
    static func dataPlaneKind(_ error: KubernetesError) -> DataPlaneError.Kind {
        switch error.kind {
        case .unreachable, .unavailable: return .unreachable
        case .unauthorized: return .refused(status: 401)
        case .forbidden: return .refused(status: 403)
        case .notFound: return .refused(status: 404)
        case .conflict, .notOwned: return .refused(status: 409)
        case .gone: return .refused(status: 410)
        case .invalid(let status): return .refused(status: status)
        case .unreadable: return .unreadable
        }
    }
}
