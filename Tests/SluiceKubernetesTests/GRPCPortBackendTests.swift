import Foundation
import SluiceConfig
import SluiceCore
import SluiceKubernetes
import SluiceTestSupport
import Testing

/// A runtime with a `grpcPort` through the real ``KubernetesBackend`` (server-side apply,
/// watches, drift) against the loopback **fake** API server — not a cluster: the stored
/// Deployment and Service carry the gRPC port, reading them back finds no drift, and a Service
/// that lost its `grpc` port is drift.
@Suite("Kubernetes backend (against the fake API server): a runtime's gRPC port", .timeLimit(.minutes(10)))
struct GRPCPortBackendTests {
    @Test("applied Deployment and Service hold the h2c/grpc ports; the stored objects read back without drift; a removed grpc port is drift")
    func appliedAndReadBack() async throws {
        var runtimes = RenderFixtures.runtimes
        runtimes["mlserver-grpc"] = RuntimeDefinition(command: ["mlserver"], kubernetes: RenderGRPCPortTests.grpcRuntime)
        let model = RenderGRPCPortTests.model
        try await ClientFixture.withClient { fake, client in
            let backend = KubernetesBackend(
                client: client, config: RenderFixtures.config(), driver: .gatewayAPI, runtimes: runtimes, logger: ClientFixture.logger)
            let watches = Task { await backend.run() }
            defer { watches.cancel() }
            try await backend.waitUntilSynced()
            _ = try await backend.apply(RuntimeSpec(revision: "g1", models: [model]))

            let name = "fraud-detector-v1"
            let service = try #require(fake.object(kind: .service, namespace: ClientFixture.namespace, name: name))
            #expect(service["spec", "ports"]?.arrayValue?.compactMap { $0["name"]?.stringValue } == ["http", "grpc"])
            #expect(service["spec", "ports"]?.arrayValue?.last?["appProtocol"] == .string("kubernetes.io/h2c"))
            let deployment = try #require(fake.object(kind: .deployment, namespace: ClientFixture.namespace, name: name))
            let container = deployment["spec", "template", "spec", "containers"]?.arrayValue?.first
            #expect(container?["ports"]?.arrayValue?.compactMap { $0["name"]?.stringValue } == ["http", "h2c"])

            // Read back from the watch caches: no drift, so the model is in the spec in force.
            var current: RuntimeSpec?
            let found = await ClientFixture.eventually {
                current = try? await backend.currentSpec()
                return current?.models.map(\.name) == [model.name]
            }
            #expect(found, "the applied model was not read back without drift: \(String(describing: current))")

            // Someone removes the gRPC Service port: drift, naming the field.
            let reader = ObservedStateReader(context: KubernetesRenderContext(config: RenderFixtures.config(), driver: .gatewayAPI, runtimes: runtimes))
            let stored = fake.objects(kind: .deployment, namespace: ClientFixture.namespace)
                + fake.objects(kind: .service, namespace: ClientFixture.namespace)
                + fake.objects(kind: .httpRoute, namespace: ClientFixture.namespace)
            #expect(reader.drift(model: model, objects: stored) == [])
            let edited = stored.map { object in
                object.kind == "Service" && object.name == name
                    ? object.replacing(["spec", "ports"], with: .array(Array(object["spec", "ports"]?.arrayValue?.prefix(1) ?? [])))
                    : object
            }
            let drift = reader.drift(model: model, objects: edited).map(\.description)
            #expect(drift.count == 1 && drift.first?.hasPrefix("Service/\(name): spec.ports") == true, "\(drift)")
        }
    }
}
