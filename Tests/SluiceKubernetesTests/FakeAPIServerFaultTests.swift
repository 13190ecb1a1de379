import Foundation
import SluiceCore
import SluiceKubernetes
import SluiceTestSupport
import Testing

@Suite("Fake API server (a loopback fake, not a cluster): scripted faults, admission denials and the request log", .timeLimit(.minutes(10)))
struct FakeAPIServerFaultTests {
    @Test("failNext answers 403 in the RBAC wording, then 429 with Retry-After, then 500; later requests succeed")
    func scriptedFaults() async throws {
        let server = try await FakeKubernetesAPIServer.start()
        let client = try FakeAPIServerClientForTests(server)
        defer { Task { await client.shutdown(); await server.stop() } }
        server.failNext(method: "PATCH", pathContains: "/deployments/", status: 403)
        let forbidden = try await client.apply(FakeAPIServerObjects.deployment("iris-v1"))
        #expect(forbidden.status == 403 && forbidden.reason == "Forbidden")
        #expect(
            forbidden.message
                == "deployments.apps \"iris-v1\" is forbidden: User \"system:serviceaccount:models:sluice\" cannot patch resource \"deployments\" in API group \"apps\" in the namespace \"models\""
        )
        server.failNext(pathContains: "/services", status: 403)
        let list = try await client.send(.GET, "/api/v1/namespaces/models/services")
        #expect(list.message == "services is forbidden: User \"system:serviceaccount:models:sluice\" cannot list resource \"services\" in API group \"\" in the namespace \"models\"")
        server.failNext(status: 429)
        let busy = try await client.send(.GET, "/apis/apps/v1/namespaces/models/deployments")
        #expect(busy.status == 429 && busy.headers.first(name: "Retry-After") == "1")
        server.failNext(method: "GET", status: 500, count: 2)
        #expect(try await client.send(.GET, "/apis/apps/v1/namespaces/models/deployments").status == 500)
        #expect(try await client.send(.GET, "/apis/apps/v1/namespaces/models/deployments").reason == "InternalError")
        #expect(try await client.apply(FakeAPIServerObjects.deployment("iris-v1")).status == 201)
        server.failNext(method: "PATCH", status: 409)
        let conflict = try await client.apply(FakeAPIServerObjects.deployment("iris-v1"))
        #expect(conflict.status == 409 && conflict.message.hasSuffix("the object has been modified; please apply your changes to the latest version and try again"))
    }

    @Test("a scripted admission webhook denies applies of a kind, dry runs included, with the upstream denial wording")
    func admissionDenied() async throws {
        let server = try await FakeKubernetesAPIServer.start()
        let client = try FakeAPIServerClientForTests(server)
        defer { Task { await client.shutdown(); await server.stop() } }
        server.rejectAdmission(kind: .deployment, message: "spec.template: resources exceed the namespace quota", code: 400, webhook: "quota.example.com")
        let dryRun = try await client.apply(FakeAPIServerObjects.deployment("iris-v1"), dryRun: true)
        #expect(dryRun.status == 400)
        #expect(dryRun.message == "admission webhook \"quota.example.com\" denied the request: spec.template: resources exceed the namespace quota")
        server.rejectAdmission(kind: .deployment, message: "Invalid value: 5: must be at most 3", code: 422)
        let invalid = try await client.apply(FakeAPIServerObjects.deployment("iris-v1"))
        #expect(invalid.status == 422 && invalid.reason == "Invalid")
        #expect(server.object(kind: .deployment, namespace: "models", name: "iris-v1") == nil)
        server.allowAdmission(kind: .deployment)
        #expect(try await client.apply(FakeAPIServerObjects.deployment("iris-v1")).status == 201)
    }

    @Test("the request log records method, path and decoded query, and resets")
    func requestLog() async throws {
        let server = try await FakeKubernetesAPIServer.start()
        let client = try FakeAPIServerClientForTests(server)
        defer { Task { await client.shutdown(); await server.stop() } }
        _ = try await client.send(.GET, "/apis/apps/v1/namespaces/models/deployments?labelSelector=app.kubernetes.io%2Fmanaged-by%3Dsluice")
        _ = try await client.apply(FakeAPIServerObjects.deployment("iris-v1"))
        #expect(server.requestCount == 2)
        #expect(server.requestLog.first?.query["labelSelector"] == "app.kubernetes.io/managed-by=sluice")
        #expect(server.requestLog.last?.method == "PATCH" && server.requestLog.last?.query["fieldManager"] == "sluice")
        server.resetRequestLog()
        #expect(server.requestCount == 0 && server.requestLog.isEmpty)
    }
}
