import Foundation
import SluiceCore
import SluiceKubernetes
import SluiceTestSupport
import Testing

/// The fake API server's HorizontalPodAutoscaler "controller" against the upstream example
/// (Fixtures/upstream/hpa-status.json, from the Kubernetes HPA walkthrough).
@Suite("Fake API server (a loopback fake, not a cluster): HPA status matches the upstream example", .timeLimit(.minutes(10)))
struct FakeAPIServerAutoscalerTests {
    /// An autoscaling/v2 HPA of `deployment` with the walkthrough's Pods metric block, renamed.
    static func autoscaler(_ deployment: String, metric: String, minReplicas: Int, maxReplicas: Int, upstream: JSONValue) -> JSONValue {
        let pods = (upstream["podsMetricSpec"] ?? .null).replacing(["pods", "metric", "name"], with: .string(metric))
        return .object([
            ("apiVersion", .string("autoscaling/v2")), ("kind", .string("HorizontalPodAutoscaler")),
            ("metadata", .object([
                ("name", .string(deployment)), ("namespace", .string("models")),
                ("labels", .object([(KubernetesLabels.managedBy, .string("sluice"))])),
            ])),
            ("spec", .object([
                ("scaleTargetRef", .object([("apiVersion", .string("apps/v1")), ("kind", .string("Deployment")), ("name", .string(deployment))])),
                ("minReplicas", .int(minReplicas)), ("maxReplicas", .int(maxReplicas)),
                ("metrics", .array([pods])),
            ])),
        ])
    }

    /// `deployment` without `spec.replicas`.
    static func withoutReplicas(_ deployment: JSONValue) -> JSONValue {
        guard case .object(let members)? = deployment["spec"] else { return deployment }
        return deployment.replacing(["spec"], with: .object(members.filter { $0.0 != "replicas" }))
    }

    @Test("an apply that stops setting spec.replicas resets it to the default 1, unless another field manager holds it (the hand-over)")
    func replicasResetWithoutHandover() async throws {
        let server = try await FakeKubernetesAPIServer.startQuiet()
        let client = try FakeAPIServerClientForTests(server)
        defer { Task { await client.shutdown(); await server.stop() } }
        let withoutReplicas = Self.withoutReplicas(FakeAPIServerObjects.deployment("iris-v1", replicas: 3))
        #expect(try await client.apply(FakeAPIServerObjects.deployment("iris-v1", replicas: 3)).status == 201)
        #expect(try await client.apply(withoutReplicas).json["spec"]?["replicas"] == .int(1))

        #expect(try await client.apply(FakeAPIServerObjects.deployment("iris-v2", replicas: 3)).status == 201)
        let handover = JSONValue.object([
            ("apiVersion", .string("apps/v1")), ("kind", .string("Deployment")),
            ("metadata", .object([("name", .string("iris-v2")), ("namespace", .string("models"))])),
            ("spec", .object([("replicas", .int(3))])),
        ])
        #expect(try await client.apply(handover, manager: "sluice-handover-to-hpa").status == 200)
        let kept = try await client.apply(withoutReplicas.replacing(["metadata", "name"], with: .string("iris-v2")))
        #expect(kept.json["spec"]?["replicas"] == .int(3))
    }

    @Test("a recommendation scales the Deployment within bounds (as kube-controller-manager); status has the upstream fields and conditions")
    func autoscalerStatus() async throws {
        let upstream = try FakeAPIServerFixtures.load("hpa-status.json")
        let server = try await FakeKubernetesAPIServer.start()
        let client = try FakeAPIServerClientForTests(server)
        defer { Task { await client.shutdown(); await server.stop() } }
        #expect(try await client.apply(FakeAPIServerObjects.deployment("iris-v1", replicas: 1)).status == 201)
        let created = try await client.apply(Self.autoscaler("iris-v1", metric: "http_requests", minReplicas: 2, maxReplicas: 4, upstream: upstream))
        #expect(created.status == 201, "\(created.json.serialized())")

        // Below minReplicas: raised to the minimum at once, whatever the metric says.
        let raised = try await eventuallyObject(server, .deployment, "iris-v1") { $0["spec", "replicas"]?.intValue == 2 }
        #expect(raised["status", "readyReplicas"]?.intValue ?? 0 <= 2)
        let hpa = try await eventuallyObject(server, .horizontalPodAutoscaler, "iris-v1") { $0["status", "desiredReplicas"]?.intValue == 2 }
        let status = hpa["status"]
        let allowed = FakeAPIServerFixtures.keys(upstream["status"]).union(["conditions"])
        #expect(FakeAPIServerFixtures.keys(status).isSubset(of: allowed), "\(status?.serialized() ?? "")")
        #expect(status?["observedGeneration"]?.intValue == hpa.generation)
        #expect(status?["currentReplicas"]?.intValue == 2)
        let conditionFields = FakeAPIServerFixtures.strings(upstream["horizontalPodAutoscalerConditionFields"])
        for item in status?["conditions"]?.arrayValue ?? [] { #expect(FakeAPIServerFixtures.keys(item).isSubset(of: conditionFields)) }
        for expected in upstream["healthyConditions"]?.arrayValue ?? [] {
            let actual = statusCondition(hpa, expected["type"]?.stringValue ?? "", in: status?["conditions"])
            #expect(actual?["status"] == expected["status"] && actual?["reason"] == expected["reason"] && actual?["message"] == expected["message"])
        }
        let metric = status?["currentMetrics"]?.arrayValue?.first
        #expect(metric?["type"] == .string("Pods") && metric?["pods"]?["metric"]?["name"] == .string("http_requests"))

        // Above maxReplicas: held at the maximum, ScalingLimited True (TooManyReplicas); the count is kube-controller-manager's.
        server.recommendReplicas(namespace: "models", name: "iris-v1", replicas: 9, load: "66m")
        let capped = try await eventuallyObject(server, .horizontalPodAutoscaler, "iris-v1") { $0["status", "desiredReplicas"]?.intValue == 4 }
        let limited = statusCondition(capped, "ScalingLimited", in: capped["status", "conditions"])
        #expect(limited?["status"] == .string("True") && limited?["reason"] == .string("TooManyReplicas"))
        #expect(capped["status", "currentMetrics"]?.arrayValue?.first?["pods"]?["current"]?["averageValue"] == .string("66m"))
        #expect(capped["status", "lastScaleTime"]?.stringValue != nil)
        let deployment = try await eventuallyObject(server, .deployment, "iris-v1") { $0["status", "readyReplicas"]?.intValue == 4 }
        #expect(deployment["spec", "replicas"]?.intValue == 4)
        let owners = (deployment["metadata", "managedFields"]?.arrayValue ?? []).filter { $0["fieldsV1"]?["f:spec"]?["f:replicas"] != nil }
        #expect(owners.compactMap { $0["manager"]?.stringValue } == ["kube-controller-manager"])
    }
}
