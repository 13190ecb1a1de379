import Foundation
import Logging
import SluiceConfig
import SluiceCore
import SluiceKubernetes
import SluiceTestSupport
import Testing

/// Replica scaling through the real ``KubernetesBackend`` (client, watches, server-side apply,
/// prune, observe) against the loopback **fake** API server — not a cluster. The fake's HPA
/// "controller" scales the Deployment to what a test makes its metric recommend.
@Suite("Kubernetes backend (against the fake API server): replicas, HPAs and their pruning", .timeLimit(.minutes(10)))
struct ScalingBackendTests {
    static let namespace = ClientFixture.namespace
    static let deploymentName = "fraud-detector-v1"

    /// A started backend over `client`, its watches running until the body ends.
    static func withBackend(
        _ fake: FakeKubernetesAPIServer, _ client: KubernetesClient, _ body: (KubernetesBackend) async throws -> Void
    ) async throws {
        let backend = KubernetesBackend(
            client: client, config: RenderFixtures.config(), driver: .gatewayAPI, runtimes: RenderFixtures.runtimes,
            logger: ClientFixture.logger)
        let watches = Task { await backend.run() }
        defer { watches.cancel() }
        try await backend.waitUntilSynced()
        try await body(backend)
    }

    static func spec(_ versions: [VersionRuntime], revision: String) -> RuntimeSpec {
        RuntimeSpec(revision: revision, models: [RenderFixtures.fraud(versions, Dictionary(uniqueKeysWithValues: versions.map { ($0.name, 100 / versions.count) }))])
    }

    static func v1(_ scaling: ReplicaScaling?, digest: String? = nil) -> VersionRuntime {
        var version = RenderFixtures.v1
        version.scaling = scaling
        version.digest = digest
        return version
    }

    static let autoscaling = ReplicaScaling(minReplicas: 2, maxReplicas: 8, target: .concurrency(4), scaleDownDelay: .seconds(120))

    /// The field managers that own the Deployment's `spec.replicas`.
    static func replicaOwners(_ deployment: KubernetesObject?) -> Set<String> {
        Set((deployment?["metadata", "managedFields"]?.arrayValue ?? []).compactMap { entry in
            entry["fieldsV1"]?["f:spec"]?["f:replicas"] == nil ? nil : entry["manager"]?.stringValue
        })
    }

    /// The version's observed replicas once `condition` holds (polled; a generous cap, not a timing assertion).
    static func observedReplicas(_ backend: KubernetesBackend, _ condition: (ObservedReplicas) -> Bool) async throws -> ObservedReplicas {
        var last: ObservedReplicas?
        let reached = await ClientFixture.eventually {
            last = try? await backend.observe().models.first?.versions.first?.replicas
            return last.map(condition) ?? false
        }
        if !reached { Issue.record("observed replicas never reached the expected state: \(String(describing: last))") }
        return try #require(last)
    }

    @Test("fixed bounds → 3 replicas; autoscaling → an HPA takes spec.replicas over without a reset; its choice survives Sluice's next apply; removing scaling prunes it")
    func autoscalingLifecycle() async throws {
        try await ClientFixture.withClient { fake, client in
            try await Self.withBackend(fake, client) { backend in
                _ = try await backend.apply(Self.spec([Self.v1(.fixed(3))], revision: "a1"))
                #expect(fake.object(kind: .deployment, namespace: Self.namespace, name: Self.deploymentName)?["spec", "replicas"] == .int(3))
                #expect(fake.objects(kind: .horizontalPodAutoscaler, namespace: Self.namespace).isEmpty)
                let fixed = try await Self.observedReplicas(backend) { $0.ready == 3 }
                #expect(fixed == ObservedReplicas(desired: 3, ready: 3, minReplicas: 3, maxReplicas: 3))

                // Autoscaling: the Deployment leaves spec.replicas out; the count stays 3 (the hand-over), not 1.
                _ = try await backend.apply(Self.spec([Self.v1(Self.autoscaling)], revision: "a2"))
                let hpa = try #require(fake.object(kind: .horizontalPodAutoscaler, namespace: Self.namespace, name: Self.deploymentName))
                #expect(hpa["spec", "minReplicas"] == .int(2) && hpa["spec", "maxReplicas"] == .int(8))
                #expect(hpa.labels[KubernetesLabels.managedBy] == "sluice")
                let handedOver = fake.object(kind: .deployment, namespace: Self.namespace, name: Self.deploymentName)
                #expect(handedOver?["spec", "replicas"] == .int(3))
                #expect(!Self.replicaOwners(handedOver).contains("sluice"))

                // Once the HPA's status is watched (load 0 at first), desired follows it alone.
                let watched = try await Self.observedReplicas(backend) { $0.load == 0 }
                #expect(watched.desired == 3 && watched.minReplicas == 2 && watched.maxReplicas == 8)

                // The HPA's metric asks for 5 at 9 in flight per pod; status shows it.
                fake.recommendReplicas(namespace: Self.namespace, name: Self.deploymentName, replicas: 5, load: "9")
                let scaled = try await Self.observedReplicas(backend) { $0.desired == 5 && $0.ready == 5 && $0.load == 9 }
                #expect(scaled == ObservedReplicas(
                    desired: 5, ready: 5, minReplicas: 2, maxReplicas: 8, load: 9, target: 4, metric: .concurrency))
                #expect(Self.replicaOwners(fake.object(kind: .deployment, namespace: Self.namespace, name: Self.deploymentName)) == ["kube-controller-manager"])
                // The HPA's change is a scale event for the controller's history.
                let observed = try await backend.observe()
                let event = try #require(observed.scaleEvents?.last)
                #expect(observed.instance != nil)
                #expect(event.model == "fraud-detector" && event.version == "v1" && event.from == 3 && event.to == 5 && event.reason == .load)
                #expect(event.message == "v1: 3 → 5 replicas (in flight 9 per replica, target 4)")

                // A new digest re-applies the Deployment: the HPA's 5 stay.
                _ = try await backend.apply(Self.spec([Self.v1(Self.autoscaling, digest: "sha256:" + String(repeating: "a", count: 64))], revision: "a3"))
                let reapplied = fake.object(kind: .deployment, namespace: Self.namespace, name: Self.deploymentName)
                #expect(reapplied?.annotations[KubernetesAnnotations.digest] != nil)
                #expect(reapplied?["spec", "replicas"] == .int(5))

                // Above the maximum: limited, and said so.
                fake.recommendReplicas(namespace: Self.namespace, name: Self.deploymentName, replicas: 12, load: "24500m")
                let limited = try await Self.observedReplicas(backend) { $0.desired == 8 }
                #expect(limited.limitedBy == .maxReplicas && limited.load == 24.5)

                // Scaling removed: the HPA is pruned and Sluice's count (the runtime's 1) applies again.
                _ = try await backend.apply(Self.spec([Self.v1(nil)], revision: "a4"))
                #expect(fake.objects(kind: .horizontalPodAutoscaler, namespace: Self.namespace).isEmpty)
                #expect(fake.object(kind: .deployment, namespace: Self.namespace, name: Self.deploymentName)?["spec", "replicas"] == .int(1))
                let back = try await Self.observedReplicas(backend) { $0.ready == 1 && $0.desired == 1 }
                #expect(back.minReplicas == 1 && back.maxReplicas == 1 && back.metric == nil)
            }
        }
    }

    @Test("a version that leaves the spec takes its HPA with it; the other version's HPA stays")
    func versionRemovalPrunesItsHPA() async throws {
        try await ClientFixture.withClient { fake, client in
            try await Self.withBackend(fake, client) { backend in
                var v2 = RenderFixtures.v2
                v2.scaling = ReplicaScaling(minReplicas: 1, maxReplicas: 3, target: .rps(50))
                _ = try await backend.apply(Self.spec([Self.v1(Self.autoscaling), v2], revision: "b1"))
                #expect(Set(fake.objects(kind: .horizontalPodAutoscaler, namespace: Self.namespace).map(\.name)) == ["fraud-detector-v1", "fraud-detector-v2"])
                _ = try await backend.apply(Self.spec([v2], revision: "b2"))
                #expect(fake.objects(kind: .horizontalPodAutoscaler, namespace: Self.namespace).map(\.name) == ["fraud-detector-v2"])
                #expect(fake.objects(kind: .deployment, namespace: Self.namespace).map(\.name) == ["fraud-detector-v2"])
            }
        }
    }

    @Test("without permission to list HPAs the backend still runs; a model that needs an HPA fails alone, naming the refusal")
    func hpaForbidden() async throws {
        try await ClientFixture.withClient { fake, client in
            fake.failNext(method: "GET", pathContains: "horizontalpodautoscalers", status: 403, count: 1000)
            fake.failNext(method: "PATCH", pathContains: "horizontalpodautoscalers", status: 403, count: 1000)
            let backend = KubernetesBackend(
                client: client, config: RenderFixtures.config(), driver: .gatewayAPI, runtimes: RenderFixtures.runtimes,
                logger: ClientFixture.logger)
            let watches = Task { await backend.run() }
            defer { watches.cancel() }
            _ = try await backend.apply(Self.spec([Self.v1(.fixed(2))], revision: "c1"))
            #expect(fake.object(kind: .deployment, namespace: Self.namespace, name: Self.deploymentName)?["spec", "replicas"] == .int(2))
            do {
                _ = try await backend.apply(Self.spec([Self.v1(Self.autoscaling)], revision: "c2"))
                Issue.record("an HPA the Role does not allow was applied")
            } catch let error as DataPlaneError {
                #expect(error.detail.contains("fraud-detector: ") && error.detail.contains("horizontalpodautoscalers"), "\(error)")
            }
        }
    }
}
