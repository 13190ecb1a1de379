import Foundation
import SluiceConfig
import SluiceCore
import SluiceKubernetes
import SluiceTestSupport
import Testing

/// A model served over gRPC through the real ``KubernetesBackend`` (server-side apply, watches,
/// drift, pruning) against the loopback **fake** API server — not a cluster, not a Gateway: the
/// GRPCRoute is applied after the HTTPRoute, its status (Accepted, ResolvedRefs) gates
/// readiness, a changed weight or a deleted GRPCRoute is drift healed by the next apply, and
/// the GRPCRoute is pruned when a version loses its gRPC port.
@Suite("Kubernetes backend (against the fake API server): a model's GRPCRoute", .timeLimit(.minutes(10)))
struct GRPCRouteBackendTests {
    static let namespace = ClientFixture.namespace

    static func spec(_ model: ModelRuntime, revision: String) -> RuntimeSpec {
        RuntimeSpec(revision: revision, models: [model])
    }

    /// Whether the backend reads `model` back as in force (no drift in any of its objects).
    static func readBack(_ backend: KubernetesBackend) async -> Bool {
        (try? await backend.currentSpec())?.models.map(\.name) == ["fraud-detector"]
    }

    @Test("with grpcHostname and grpcSectionName the GRPCRoute's status on that listener makes the versions ready")
    func grpcListener() async throws {
        var config = RenderFixtures.config()
        config.gateway?.grpcSectionName = "grpc"
        config.gateway?.grpcHostname = "{model}.grpc.example.com"
        try await ClientFixture.withClient { fake, client in
            let backend = KubernetesBackend(client: client, config: config, driver: .gatewayAPI, runtimes: RenderFixtures.grpcRuntimes, logger: ClientFixture.logger)
            let watches = Task { await backend.run() }
            defer { watches.cancel() }
            try await backend.waitUntilSynced()
            _ = try await backend.apply(Self.spec(RenderFixtures.grpcStates[0].model, revision: "h1"))
            let route = try #require(fake.object(kind: .grpcRoute, namespace: Self.namespace, name: "fraud-detector"))
            #expect(route["spec", "hostnames"] == .array([.string("fraud-detector.grpc.example.com")]))
            var message: String?
            let ready = await ClientFixture.eventually {
                let versions = (try? await backend.observe())?.models.first?.versions
                message = versions?.first?.message
                return versions?.allSatisfy { $0.ready == true } == true
            }
            #expect(ready, "\(String(describing: message))")
        }
    }

    @Test("applied, read back without drift, ready once Accepted; weight edit and deletion are drift healed by apply; pruned without gRPC")
    func lifecycle() async throws {
        let model = RenderFixtures.grpcStates[0].model
        try await ClientFixture.withClient { fake, client in
            let backend = KubernetesBackend(
                client: client, config: RenderFixtures.config(), driver: .gatewayAPI, runtimes: RenderFixtures.grpcRuntimes, logger: ClientFixture.logger)
            let watches = Task { await backend.run() }
            defer { watches.cancel() }
            try await backend.waitUntilSynced()
            _ = try await backend.apply(Self.spec(model, revision: "g1"))

            let route = try #require(fake.object(kind: .grpcRoute, namespace: Self.namespace, name: "fraud-detector"))
            #expect(route.labels[KubernetesLabels.managedBy] == KubernetesLabels.managerName)
            #expect(fake.routeWeights(model: "fraud-detector", namespace: Self.namespace, kind: .grpcRoute) == ["v1": 90, "v2": 10])
            #expect(await ClientFixture.eventually { await Self.readBack(backend) }, "the applied model was not read back without drift")
            let ready = await ClientFixture.eventually {
                (try? await backend.observe())?.models.first?.versions.allSatisfy { $0.ready == true } == true
            }
            #expect(ready, "versions not ready once the GRPCRoute was Accepted")

            // A GRPCRoute the Gateway does not accept holds the versions back, naming it.
            fake.holdUnready(kind: .grpcRoute, namespace: Self.namespace, name: "fraud-detector")
            var message: String?
            let held = await ClientFixture.eventually {
                message = (try? await backend.observe())?.models.first?.versions.first?.message
                return message?.hasPrefix("GRPCRoute not Accepted: NotAllowedByListeners") == true
            }
            #expect(held, "\(String(describing: message))")
            fake.setReady(kind: .grpcRoute, namespace: Self.namespace, name: "fraud-detector", ready: true)

            // Someone shifts the gRPC weights: drift (the model is not read back), healed by the next apply.
            fake.edit(kind: .grpcRoute, namespace: Self.namespace, name: "fraud-detector") { json in
                json = json.replacing(["spec", "rules"], with: .array((json["spec"]?["rules"]?.arrayValue ?? []).map { rule in
                    guard let refs = rule["backendRefs"]?.arrayValue, refs.count == 2 else { return rule }
                    return rule.replacing(["backendRefs"], with: .array([refs[0].replacing(["weight"], with: .int(50)), refs[1].replacing(["weight"], with: .int(50))]))
                }))
            }
            #expect(await ClientFixture.eventually { !(await Self.readBack(backend)) }, "a changed GRPCRoute weight was not drift")
            _ = try await backend.apply(Self.spec(model, revision: "g2"))
            #expect(fake.routeWeights(model: "fraud-detector", namespace: Self.namespace, kind: .grpcRoute) == ["v1": 90, "v2": 10])
            #expect(await ClientFixture.eventually { await Self.readBack(backend) })

            // Someone deletes the GRPCRoute: drift, recreated by the next apply.
            try await client.delete(.grpcRoute, namespace: Self.namespace, name: "fraud-detector", uid: nil)
            #expect(await ClientFixture.eventually { !(await Self.readBack(backend)) }, "a deleted GRPCRoute was not drift")
            _ = try await backend.apply(Self.spec(model, revision: "g3"))
            #expect(fake.object(kind: .grpcRoute, namespace: Self.namespace, name: "fraud-detector") != nil)
            // Pruning works from the watch caches: wait until they hold the recreated route.
            #expect(await ClientFixture.eventually { await Self.readBack(backend) })

            // v2 moves to a runtime without a gRPC port: the GRPCRoute is pruned, the HTTPRoute stays.
            let mixed = RenderFixtures.fraud([RenderFixtures.grpcV1, RenderFixtures.v2], ["v1": 90, "v2": 10])
            _ = try await backend.apply(Self.spec(mixed, revision: "g4"))
            #expect(fake.objects(kind: .grpcRoute, namespace: Self.namespace).isEmpty)
            #expect(fake.object(kind: .httpRoute, namespace: Self.namespace, name: "fraud-detector") != nil)
            #expect(await ClientFixture.eventually {
                let observed = try? await backend.observe()
                return observed?.models.first?.versions.allSatisfy { $0.ready == true } == true
            }, "versions without a GRPCRoute wait for one")

            // The model leaves the spec: both routes and the versions' objects go.
            _ = try await backend.apply(Self.spec(model, revision: "g5"))
            #expect(fake.object(kind: .grpcRoute, namespace: Self.namespace, name: "fraud-detector") != nil)
            #expect(await ClientFixture.eventually { await Self.readBack(backend) })
            _ = try await backend.apply(RuntimeSpec(revision: "g6", models: []))
            #expect(fake.objects(kind: .grpcRoute, namespace: Self.namespace).isEmpty)
            #expect(fake.objects(kind: .httpRoute, namespace: Self.namespace).isEmpty)
        }
    }
}
