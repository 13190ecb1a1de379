import Foundation
import SluiceCore
import SluiceKubernetes
import SluiceTestSupport
import Testing

/// The upstream examples under Fixtures/upstream (sources in its README).
enum FakeAPIServerFixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/upstream")

    static func load(_ name: String) throws -> JSONValue {
        try JSONParser.parse(Array(try Data(contentsOf: directory.appendingPathComponent(name))))
    }

    static func keys(_ value: JSONValue?) -> Set<String> {
        Set(value?.fakeKeys ?? [])
    }

    static func strings(_ value: JSONValue?) -> Set<String> {
        Set(value?.arrayValue?.compactMap(\.stringValue) ?? [])
    }
}

extension JSONValue {
    fileprivate var fakeKeys: [String]? {
        if case .object(let members) = self { return members.map(\.0) }
        return nil
    }
}

/// Waits (polling, without blocking a thread) until `condition` holds for the stored object; a
/// generous cap ends a hung test, it is not a timing assertion.
func eventuallyObject(
    _ server: FakeKubernetesAPIServer, _ kind: ResourceKind, _ name: String, namespace: String = "models",
    _ condition: (KubernetesObject) -> Bool
) async throws -> KubernetesObject {
    for _ in 0..<1000 {
        if let object = server.object(kind: kind, namespace: namespace, name: name), condition(object) { return object }
        try await Task.sleep(for: .milliseconds(10))
    }
    throw FakeAPIServerTestFailure("\(kind) \(name) never reached the expected state: \(server.object(kind: kind, namespace: namespace, name: name)?.json.serialized() ?? "absent")")
}

func statusCondition(_ object: KubernetesObject, _ type: String, in path: JSONValue?) -> JSONValue? {
    path?.arrayValue?.first { $0["type"]?.stringValue == type }
}

@Suite("Fake API server (a loopback fake, not a cluster): status controllers match the upstream examples", .timeLimit(.minutes(10)))
struct FakeAPIServerStatusTests {
    @Test("a Deployment becomes available: the status has only upstream DeploymentStatus fields and upstream-shaped conditions")
    func deploymentStatus() async throws {
        let upstream = try FakeAPIServerFixtures.load("deployment-status.json")
        let server = try await FakeKubernetesAPIServer.start()
        let client = try FakeAPIServerClientForTests(server)
        defer { Task { await client.shutdown(); await server.stop() } }
        _ = try await client.apply(FakeAPIServerObjects.deployment("iris-v1", replicas: 3))
        let ready = try await eventuallyObject(server, .deployment, "iris-v1") { $0["status", "availableReplicas"]?.intValue == 3 }
        let status = ready["status"]
        #expect(FakeAPIServerFixtures.keys(status).isSubset(of: FakeAPIServerFixtures.strings(upstream["deploymentStatusFields"])))
        #expect(status?["observedGeneration"]?.intValue == ready.generation)
        #expect(status?["replicas"]?.intValue == 3 && status?["updatedReplicas"]?.intValue == 3 && status?["readyReplicas"]?.intValue == 3)
        let upstreamConditionKeys = FakeAPIServerFixtures.keys(upstream["status"]?["conditions"]?.arrayValue?.first)
        for item in status?["conditions"]?.arrayValue ?? [] {
            #expect(FakeAPIServerFixtures.keys(item) == upstreamConditionKeys)
        }
        for expected in upstream["completeConditions"]?.arrayValue ?? [] {
            let type = expected["type"]?.stringValue ?? ""
            let actual = statusCondition(ready, type, in: status?["conditions"])
            #expect(actual?["status"] == expected["status"] && actual?["reason"] == expected["reason"])
        }
        let upstreamAvailable = statusCondition(ready, "Available", in: upstream["status"]?["conditions"])
        #expect(statusCondition(ready, "Available", in: status?["conditions"])?["message"] == upstreamAvailable?["message"])
    }

    @Test("a held Deployment stays unavailable (Available False, MinimumReplicasUnavailable) until released; a spec change moves observedGeneration")
    func deploymentHeldUnready() async throws {
        let server = try await FakeKubernetesAPIServer.start()
        let client = try FakeAPIServerClientForTests(server)
        defer { Task { await client.shutdown(); await server.stop() } }
        server.holdUnready(kind: .deployment, namespace: "models", name: "iris-v2")
        _ = try await client.apply(FakeAPIServerObjects.deployment("iris-v2"))
        let starting = try await eventuallyObject(server, .deployment, "iris-v2") { $0["status", "conditions"] != nil }
        #expect(starting["status", "availableReplicas"] == nil)
        #expect(statusCondition(starting, "Available", in: starting["status", "conditions"])?["reason"]?.stringValue == "MinimumReplicasUnavailable")
        server.setReady(kind: .deployment, namespace: "models", name: "iris-v2", ready: true)
        _ = try await eventuallyObject(server, .deployment, "iris-v2") { $0["status", "availableReplicas"]?.intValue == 2 }
        _ = try await client.apply(FakeAPIServerObjects.deployment("iris-v2", image: "mlserver:2"))
        let updated = try await eventuallyObject(server, .deployment, "iris-v2") { $0["status", "observedGeneration"]?.intValue == 2 }
        #expect(updated.generation == 2)
    }

    static func route(backends: [String]) -> JSONValue {
        .object([
            ("apiVersion", .string("gateway.networking.k8s.io/v1")), ("kind", .string("HTTPRoute")),
            ("metadata", .object([("name", .string("iris")), ("namespace", .string("models"))])),
            ("spec", .object([
                ("parentRefs", .array([.object([("name", .string("inference")), ("namespace", .string("gateways"))])])),
                ("rules", .array([.object([("backendRefs", .array(backends.map { .object([("name", .string($0)), ("port", .int(8080)), ("weight", .int(50))]) }))])])),
            ])),
        ])
    }

    @Test("an HTTPRoute is Accepted with ResolvedRefs once its Services exist; a missing Service is BackendNotFound, as upstream")
    func httpRouteStatus() async throws {
        let upstream = try FakeAPIServerFixtures.load("httproute-status.json")
        let server = try await FakeKubernetesAPIServer.start()
        let client = try FakeAPIServerClientForTests(server)
        defer { Task { await client.shutdown(); await server.stop() } }
        _ = try await client.apply(FakeAPIServerObjects.service("iris-v1"))
        _ = try await client.apply(Self.route(backends: ["iris-v1", "iris-v2"]))
        let missing = try await eventuallyObject(server, .httpRoute, "iris") { $0["status", "parents"] != nil }
        let parent = missing["status", "parents"]?.arrayValue?.first
        let upstreamParent = upstream["backendNotFound"]?["parents"]?.arrayValue?.first
        #expect(FakeAPIServerFixtures.keys(parent) == FakeAPIServerFixtures.keys(upstreamParent))
        #expect(parent?["controllerName"] == upstreamParent?["controllerName"])
        #expect(parent?["parentRef"]?["name"]?.stringValue == "inference")
        let resolved = statusCondition(missing, "ResolvedRefs", in: parent?["conditions"])
        #expect(resolved?["status"]?.stringValue == "False" && resolved?["reason"]?.stringValue == "BackendNotFound")
        #expect(resolved?["message"]?.stringValue == "Service models/iris-v2 not found")
        #expect(statusCondition(missing, "Accepted", in: parent?["conditions"])?["status"]?.stringValue == "True")
        for item in parent?["conditions"]?.arrayValue ?? [] {
            #expect(FakeAPIServerFixtures.keys(item).isSubset(of: FakeAPIServerFixtures.strings(upstream["conditionFields"])))
            #expect(item["observedGeneration"]?.intValue == missing.generation)
        }
        _ = try await client.apply(FakeAPIServerObjects.service("iris-v2"))
        let accepted = try await eventuallyObject(server, .httpRoute, "iris") {
            statusCondition($0, "ResolvedRefs", in: $0["status", "parents"]?.arrayValue?.first?["conditions"])?["status"]?.stringValue == "True"
        }
        let upstreamAccepted = upstream["accepted"]?["parents"]?.arrayValue?.first?["conditions"]
        for type in ["Accepted", "ResolvedRefs"] {
            let mine = statusCondition(accepted, type, in: accepted["status", "parents"]?.arrayValue?.first?["conditions"])
            let theirs = statusCondition(accepted, type, in: upstreamAccepted)
            #expect(mine?["status"] == theirs?["status"] && mine?["reason"] == theirs?["reason"] && mine?["message"] == theirs?["message"])
        }
    }

    static func inferenceService(storageUri: String, canary: Int?) -> JSONValue {
        var predictor: [(String, JSONValue)] = [
            ("model", .object([("modelFormat", .object([("name", .string("sklearn"))])), ("storageUri", .string(storageUri))]))
        ]
        if let canary { predictor.append(("canaryTrafficPercent", .int(canary))) }
        return .object([
            ("apiVersion", .string("serving.kserve.io/v1beta1")), ("kind", .string("InferenceService")),
            ("metadata", .object([("name", .string("sklearn-iris")), ("namespace", .string("models"))])),
            ("spec", .object([("predictor", .object(predictor))])),
        ])
    }

    /// The `kubectl get isvc` columns, read as the CRD's printer columns read them.
    static func columns(_ object: KubernetesObject) -> [String: JSONValue] {
        let traffic = object["status", "components", "predictor", "traffic"]?.arrayValue ?? []
        let prev = traffic.first { $0["tag"]?.stringValue == "prev" }
        let latest = traffic.first { $0["latestRevision"]?.boolValue == true }
        var columns: [String: JSONValue] = [:]
        if let value = prev?["percent"] { columns["PREV"] = value }
        if let value = latest?["percent"] { columns["LATEST"] = value }
        if let value = prev?["revisionName"] { columns["PREVROLLEDOUTREVISION"] = value }
        if let value = latest?["revisionName"] { columns["LATESTREADYREVISION"] = value }
        return columns
    }

    static func expectedColumns(_ upstream: JSONValue, _ step: String) -> [String: JSONValue] {
        var columns: [String: JSONValue] = [:]
        if case .object(let members) = upstream["kubectlGetColumns"]?[step] ?? .null {
            for (key, value) in members { columns[key] = value }
        }
        return columns
    }

    @Test("an InferenceService canary follows KServe: revision 1 rolled out, 10% canary to revision 2, promote, and canaryTrafficPercent 0 pins traffic back")
    func inferenceServiceCanary() async throws {
        let upstream = try FakeAPIServerFixtures.load("inferenceservice-status.json")
        let server = try await FakeKubernetesAPIServer.start()
        let client = try FakeAPIServerClientForTests(server)
        defer { Task { await client.shutdown(); await server.stop() } }
        _ = try await client.apply(Self.inferenceService(storageUri: "gs://models/1", canary: nil))
        let first = try await eventuallyObject(server, .inferenceService, "sklearn-iris") {
            $0["status", "components", "predictor", "latestRolledoutRevision"]?.stringValue == "sklearn-iris-predictor-00001"
        }
        #expect(Self.columns(first) == Self.expectedColumns(upstream, "afterFirstRollout"))
        #expect(FakeAPIServerFixtures.keys(first["status"]).isSubset(of: FakeAPIServerFixtures.strings(upstream["statusFields"])))
        #expect(FakeAPIServerFixtures.keys(first["status", "components", "predictor"]).isSubset(of: FakeAPIServerFixtures.strings(upstream["componentFields"])))
        for type in FakeAPIServerFixtures.strings(upstream["readyConditions"]) {
            let item = statusCondition(first, type, in: first["status", "conditions"])
            #expect(item?["status"]?.stringValue == "True")
            #expect(FakeAPIServerFixtures.keys(item).isSubset(of: FakeAPIServerFixtures.strings(upstream["conditionFields"])))
        }

        _ = try await client.apply(Self.inferenceService(storageUri: "gs://models/2", canary: 10))
        let canary = try await eventuallyObject(server, .inferenceService, "sklearn-iris") {
            $0["status", "components", "predictor", "latestReadyRevision"]?.stringValue == "sklearn-iris-predictor-00002"
        }
        #expect(Self.columns(canary) == Self.expectedColumns(upstream, "canary"))
        for target in canary["status", "components", "predictor", "traffic"]?.arrayValue ?? [] {
            #expect(FakeAPIServerFixtures.keys(target).isSubset(of: FakeAPIServerFixtures.strings(upstream["trafficTargetFields"])))
        }
        #expect(canary["status", "components", "predictor", "latestRolledoutRevision"]?.stringValue == "sklearn-iris-predictor-00001")

        // Abort: canaryTrafficPercent 0 pins every request to the rolled-out revision.
        _ = try await client.apply(Self.inferenceService(storageUri: "gs://models/2", canary: 0))
        let pinned = try await eventuallyObject(server, .inferenceService, "sklearn-iris") { Self.columns($0)["PREV"]?.intValue == 100 }
        #expect(Self.columns(pinned) == Self.expectedColumns(upstream, "rolledBack"))

        // Promote: no canaryTrafficPercent; revision 2 takes everything and is the rolled-out one.
        _ = try await client.apply(Self.inferenceService(storageUri: "gs://models/2", canary: nil))
        let promoted = try await eventuallyObject(server, .inferenceService, "sklearn-iris") {
            $0["status", "components", "predictor", "latestRolledoutRevision"]?.stringValue == "sklearn-iris-predictor-00002"
        }
        #expect(Self.columns(promoted) == Self.expectedColumns(upstream, "promoted"))
        #expect(promoted["status", "components", "predictor", "previousRolledoutRevision"]?.stringValue == "sklearn-iris-predictor-00001")

        // KServe's rollback of a promoted revision: canaryTrafficPercent 0 resets latestRolledoutRevision.
        _ = try await client.apply(Self.inferenceService(storageUri: "gs://models/2", canary: 0))
        let rolledBack = try await eventuallyObject(server, .inferenceService, "sklearn-iris") {
            $0["status", "components", "predictor", "latestRolledoutRevision"]?.stringValue == "sklearn-iris-predictor-00001"
        }
        #expect(Self.columns(rolledBack)["PREV"]?.intValue == 100)
        #expect(Self.columns(rolledBack)["PREVROLLEDOUTREVISION"]?.stringValue == "sklearn-iris-predictor-00001")
    }

    @Test("an InferenceService whose new revision is held unready is not Ready and sends no traffic to it")
    func inferenceServiceHeld() async throws {
        let server = try await FakeKubernetesAPIServer.start()
        let client = try FakeAPIServerClientForTests(server)
        defer { Task { await client.shutdown(); await server.stop() } }
        _ = try await client.apply(Self.inferenceService(storageUri: "gs://models/1", canary: nil))
        _ = try await eventuallyObject(server, .inferenceService, "sklearn-iris") { $0["status", "components", "predictor", "latestReadyRevision"] != nil }
        server.holdUnready(kind: .inferenceService, namespace: "models", name: "sklearn-iris")
        _ = try await client.apply(Self.inferenceService(storageUri: "gs://models/2", canary: 10))
        let held = try await eventuallyObject(server, .inferenceService, "sklearn-iris") {
            $0["status", "components", "predictor", "latestCreatedRevision"]?.stringValue == "sklearn-iris-predictor-00002"
        }
        #expect(held["status", "components", "predictor", "latestReadyRevision"]?.stringValue == "sklearn-iris-predictor-00001")
        #expect(statusCondition(held, "Ready", in: held["status", "conditions"])?["status"]?.stringValue != "True")
        #expect(held["status", "components", "predictor", "traffic"]?.arrayValue?.allSatisfy { $0["revisionName"]?.stringValue == "sklearn-iris-predictor-00001" } == true)
    }
}
