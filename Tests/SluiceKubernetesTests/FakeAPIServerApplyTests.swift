import Foundation
import SluiceCore
import SluiceKubernetes
import SluiceTestSupport
import Testing

@Suite("Fake API server (a loopback fake, not a cluster): server-side apply, generation and optimistic concurrency", .timeLimit(.minutes(10)))
struct FakeAPIServerApplyTests {
    static let path = "/apis/apps/v1/namespaces/models/deployments/iris-v1"

    @Test("a re-apply updates the fields applied, removes a field no longer applied, and keeps a field another manager set")
    func applyUpdatesAndRemoves() async throws {
        let server = try await FakeKubernetesAPIServer.startQuiet()
        let client = try FakeAPIServerClientForTests(server)
        defer { Task { await client.shutdown(); await server.stop() } }
        var first = FakeAPIServerObjects.deployment("iris-v1", labels: [("sluice.dev/version", .string("v1"))])
        first.setAnnotation("sluice.dev/revision", "abc")
        _ = try await client.apply(first)
        // Someone else (an HPA, kubectl) adds an annotation of their own.
        server.edit(kind: .deployment, namespace: "models", name: "iris-v1", manager: "kubectl-annotate") { json in
            json.setAnnotation("team", "ml")
        }
        // Sluice re-applies without its annotation and with more replicas.
        let second = FakeAPIServerObjects.deployment("iris-v1", replicas: 5, labels: [("sluice.dev/version", .string("v1"))])
        let answer = try await client.apply(second)
        #expect(answer.status == 200)
        let stored = KubernetesObject(answer.json)
        #expect(stored["spec", "replicas"]?.intValue == 5)
        #expect(stored.annotations["sluice.dev/revision"] == nil)
        #expect(stored.annotations["team"] == "ml")
        #expect(stored.labels["sluice.dev/version"] == "v1")
        let managers = stored["metadata", "managedFields"]?.arrayValue?.compactMap { $0["manager"]?.stringValue } ?? []
        #expect(Set(managers) == ["sluice", "kubectl-annotate"])
    }

    @Test("status in an applied body is ignored; the generation moves on spec changes only, not on metadata or status")
    func generationRules() async throws {
        let server = try await FakeKubernetesAPIServer.startQuiet()
        let client = try FakeAPIServerClientForTests(server)
        defer { Task { await client.shutdown(); await server.stop() } }
        var body = FakeAPIServerObjects.deployment("iris-v1")
        body.setMember("status", .object([("replicas", .int(99))]))
        let created = KubernetesObject(try await client.apply(body).json)
        #expect(created.generation == 1 && created["status"] == nil)
        var relabelled = FakeAPIServerObjects.deployment("iris-v1")
        relabelled.setAnnotation("note", "metadata only")
        let afterMetadata = KubernetesObject(try await client.apply(relabelled).json)
        #expect(afterMetadata.generation == 1)
        #expect(afterMetadata.resourceVersion != created.resourceVersion)
        let unchanged = KubernetesObject(try await client.apply(relabelled).json)
        #expect(unchanged.resourceVersion == afterMetadata.resourceVersion)
        let afterSpec = KubernetesObject(try await client.apply(FakeAPIServerObjects.deployment("iris-v1", image: "mlserver:2")).json)
        #expect(afterSpec.generation == 2)
        server.edit(kind: .deployment, namespace: "models", name: "iris-v1") { json in
            json.setMember("status", .object([("observedGeneration", .int(2))]))
        }
        #expect(server.object(kind: .deployment, namespace: "models", name: "iris-v1")?.generation == 2)
    }

    @Test("dryRun=All answers the object that would be stored and stores nothing")
    func dryRunStoresNothing() async throws {
        let server = try await FakeKubernetesAPIServer.startQuiet()
        let client = try FakeAPIServerClientForTests(server)
        defer { Task { await client.shutdown(); await server.stop() } }
        let before = server.resourceVersion
        let created = try await client.apply(FakeAPIServerObjects.deployment("iris-v1"), dryRun: true)
        #expect(created.status == 201 && KubernetesObject(created.json)["spec", "replicas"]?.intValue == 2)
        #expect(server.object(kind: .deployment, namespace: "models", name: "iris-v1") == nil)
        #expect(server.resourceVersion == before)
        _ = try await client.apply(FakeAPIServerObjects.deployment("iris-v1"))
        let changed = try await client.apply(FakeAPIServerObjects.deployment("iris-v1", replicas: 7), dryRun: true)
        #expect(KubernetesObject(changed.json)["spec", "replicas"]?.intValue == 7)
        #expect(server.object(kind: .deployment, namespace: "models", name: "iris-v1")?["spec", "replicas"]?.intValue == 2)
    }

    @Test("applying without force over a field kubectl set is a 409 with the upstream conflict wording; force takes the field over")
    func conflictWithoutForce() async throws {
        let server = try await FakeKubernetesAPIServer.startQuiet()
        let client = try FakeAPIServerClientForTests(server)
        defer { Task { await client.shutdown(); await server.stop() } }
        try server.put(KubernetesObject(FakeAPIServerObjects.deployment("iris-v1", replicas: 3)), manager: "kubectl")
        let refused = try await client.apply(FakeAPIServerObjects.deployment("iris-v1", replicas: 5), force: false)
        #expect(refused.status == 409 && refused.reason == "Conflict")
        #expect(refused.message == "Apply failed with 1 conflict: conflict with \"kubectl\" using apps/v1: .spec.replicas")
        let cause = refused.json["details"]?["causes"]?.arrayValue?.first
        #expect(cause?["type"]?.stringValue == "FieldManagerConflict" && cause?["field"]?.stringValue == ".spec.replicas")
        #expect(server.object(kind: .deployment, namespace: "models", name: "iris-v1")?["spec", "replicas"]?.intValue == 3)
        let forced = try await client.apply(FakeAPIServerObjects.deployment("iris-v1", replicas: 5), force: true)
        #expect(forced.status == 200 && KubernetesObject(forced.json)["spec", "replicas"]?.intValue == 5)
        // The same values as kubectl's are no conflict.
        try server.put(KubernetesObject(FakeAPIServerObjects.deployment("other", replicas: 3)), manager: "kubectl")
        #expect(try await client.apply(FakeAPIServerObjects.deployment("other", replicas: 3), force: false).status == 200)
    }

    @Test("an apply without fieldManager is a 400; a body for another name is a 400")
    func applyRequiresFieldManager() async throws {
        let server = try await FakeKubernetesAPIServer.startQuiet()
        let client = try FakeAPIServerClientForTests(server)
        defer { Task { await client.shutdown(); await server.stop() } }
        let missing = try await client.apply(FakeAPIServerObjects.deployment("iris-v1"), manager: nil)
        #expect(missing.status == 400 && missing.message == "fieldManager is required for apply requests")
        let wrongName = try await client.send(
            .PATCH, "\(Self.path)?fieldManager=sluice", body: FakeAPIServerObjects.deployment("other"), contentType: "application/apply-patch+yaml")
        #expect(wrongName.status == 400 && wrongName.message.contains("does not match the name on the URL"))
        let badName = try await client.apply(FakeAPIServerObjects.deployment("Bad_Name"))
        #expect(badName.status == 422 && badName.reason == "Invalid")
    }

    @Test("create answers 409 AlreadyExists; replace with a stale resourceVersion answers 409 with the upstream optimistic-lock wording")
    func createAndReplace() async throws {
        let server = try await FakeKubernetesAPIServer.startQuiet()
        let client = try FakeAPIServerClientForTests(server)
        defer { Task { await client.shutdown(); await server.stop() } }
        let collection = "/apis/coordination.k8s.io/v1/namespaces/models/leases"
        let lease = JSONValue.object([
            ("apiVersion", .string("coordination.k8s.io/v1")), ("kind", .string("Lease")),
            ("metadata", .object([("name", .string("sluice-leader")), ("namespace", .string("models"))])),
            ("spec", .object([("holderIdentity", .string("a")), ("leaseDurationSeconds", .int(15))])),
        ])
        let created = try await client.send(.POST, collection, body: lease)
        #expect(created.status == 201)
        let again = try await client.send(.POST, collection, body: lease)
        #expect(again.status == 409 && again.reason == "AlreadyExists" && again.message == "leases.coordination.k8s.io \"sluice-leader\" already exists")
        var renewed = created.json
        renewed.setMember("spec", .object([("holderIdentity", .string("a")), ("leaseDurationSeconds", .int(15)), ("renewTime", .string("2026-12-03T18:00:00.000000Z"))]))
        let replaced = try await client.send(.PUT, "\(collection)/sluice-leader", body: renewed)
        #expect(replaced.status == 200)
        // The same (now stale) resourceVersion again: another replica won the race.
        let stale = try await client.send(.PUT, "\(collection)/sluice-leader", body: renewed)
        #expect(stale.status == 409 && stale.reason == "Conflict")
        #expect(stale.message == "Operation cannot be fulfilled on leases.coordination.k8s.io \"sluice-leader\": the object has been modified; please apply your changes to the latest version and try again")
    }

    @Test("a ConfigMap (no spec, no generation) is applied, its data replaced on re-apply, and listed")
    func configMap() async throws {
        let server = try await FakeKubernetesAPIServer.startQuiet()
        let client = try FakeAPIServerClientForTests(server)
        defer { Task { await client.shutdown(); await server.stop() } }
        func configMap(_ data: [(String, JSONValue)]) -> JSONValue {
            .object([
                ("apiVersion", .string("v1")), ("kind", .string("ConfigMap")),
                ("metadata", .object([("name", .string("sluice-rollouts")), ("namespace", .string("models"))])), ("data", .object(data)),
            ])
        }
        let created = KubernetesObject(try await client.apply(configMap([("iris", .string("v1")), ("wine", .string("v3"))])).json)
        #expect(created.generation == nil && created["data", "wine"]?.stringValue == "v3")
        let updated = KubernetesObject(try await client.apply(configMap([("iris", .string("v2"))])).json)
        #expect(updated["data", "iris"]?.stringValue == "v2" && updated["data", "wine"] == nil)
        #expect(updated.resourceVersion != created.resourceVersion)
        let list = try await client.send(.GET, "/api/v1/namespaces/models/configmaps")
        #expect(list.json["kind"]?.stringValue == "ConfigMapList" && list.json["items"]?.arrayValue?.count == 1)
    }
}

extension JSONValue {
    /// Sets a top-level member of an object (test helper).
    mutating func setMember(_ key: String, _ value: JSONValue) {
        guard case .object(var members) = self else { return }
        members.removeAll { $0.0 == key }
        members.append((key, value))
        self = .object(members)
    }

    /// Sets `metadata.annotations[key]` (test helper).
    mutating func setAnnotation(_ key: String, _ value: String) {
        var metadata = self["metadata"] ?? .object([])
        var annotations = metadata["annotations"] ?? .object([])
        annotations.setMember(key, .string(value))
        metadata.setMember("annotations", annotations)
        setMember("metadata", metadata)
    }
}
