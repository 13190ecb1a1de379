import Foundation
import SluiceCore
import SluiceKubernetes
import SluiceTestSupport
import Testing

@Suite("Fake API server (a loopback fake, not a cluster): TLS, auth, discovery, get/list/delete", .timeLimit(.minutes(10)))
struct FakeAPIServerBasicsTests {
    @Test("a request without the bearer token gets 401 with an Unauthorized Status; a client certificate is accepted instead")
    func authentication() async throws {
        let server = try await FakeKubernetesAPIServer.start()
        let client = try FakeAPIServerClientForTests(server)
        let certified = try FakeAPIServerClientForTests(server, clientCertificate: true)
        defer { Task { await client.shutdown(); await certified.shutdown(); await server.stop() } }
        let refused = try await client.send(.GET, "/api/v1", token: .some(nil))
        #expect(refused.status == 401)
        #expect(refused.json["kind"]?.stringValue == "Status" && refused.reason == "Unauthorized" && refused.json["code"]?.intValue == 401)
        let wrong = try await client.send(.GET, "/api/v1", token: "not-the-token")
        #expect(wrong.status == 401)
        #expect(try await client.send(.GET, "/api/v1").status == 200)
        #expect(try await certified.send(.GET, "/apis/apps/v1", token: .some(nil)).status == 200)
    }

    @Test("discovery answers APIResourceList for served groups and 404 for a group not installed (a cluster without KServe)")
    func discovery() async throws {
        var options = FakeKubernetesAPIServer.Options()
        options.servedGroupVersions.remove("serving.kserve.io/v1beta1")
        let server = try await FakeKubernetesAPIServer.start(options: options)
        let client = try FakeAPIServerClientForTests(server)
        defer { Task { await client.shutdown(); await server.stop() } }
        let gateway = try await client.send(.GET, "/apis/gateway.networking.k8s.io/v1")
        #expect(gateway.status == 200)
        #expect(gateway.json["kind"]?.stringValue == "APIResourceList")
        #expect(gateway.json["resources"]?.arrayValue?.contains { $0["name"]?.stringValue == "httproutes" } == true)
        let kserve = try await client.send(.GET, "/apis/serving.kserve.io/v1beta1")
        #expect(kserve.status == 404 && kserve.reason == "NotFound")
        #expect(try await client.send(.GET, "/apis/serving.kserve.io/v1beta1/namespaces/models/inferenceservices").status == 404)
        #expect(try await client.send(.GET, "/api/v1").json["resources"]?.arrayValue?.contains { $0["name"]?.stringValue == "services" } == true)
    }

    @Test("an applied Deployment is stored with uid, resourceVersion, creationTimestamp and generation 1; get and list find it")
    func createGetList() async throws {
        let server = try await FakeKubernetesAPIServer.start()
        let client = try FakeAPIServerClientForTests(server)
        defer { Task { await client.shutdown(); await server.stop() } }
        let created = try await client.apply(FakeAPIServerObjects.deployment("iris-v1"))
        #expect(created.status == 201)
        let object = KubernetesObject(created.json)
        #expect(object.uid?.isEmpty == false && object.resourceVersion?.isEmpty == false && object.generation == 1)
        #expect(object["metadata", "creationTimestamp"]?.stringValue?.hasSuffix("Z") == true)
        #expect(object["metadata", "managedFields"]?.arrayValue?.first?["manager"]?.stringValue == "sluice")
        _ = try await client.apply(FakeAPIServerObjects.deployment("other", labels: [("tier", .string("b"))]))
        let got = try await client.send(.GET, "/apis/apps/v1/namespaces/models/deployments/iris-v1")
        #expect(got.status == 200 && KubernetesObject(got.json).uid == object.uid)
        let list = try await client.send(.GET, "/apis/apps/v1/namespaces/models/deployments?labelSelector=app.kubernetes.io%2Fmanaged-by%3Dsluice%2C%21tier")
        #expect(list.json["kind"]?.stringValue == "DeploymentList")
        #expect(list.json["items"]?.arrayValue?.compactMap { $0["metadata"]?["name"]?.stringValue } == ["iris-v1"])
        // Built-in list items carry no apiVersion/kind on the wire.
        #expect(list.json["items"]?.arrayValue?.first?["kind"] == nil)
        #expect(Int(list.json["metadata"]?["resourceVersion"]?.stringValue ?? "") ?? 0 >= Int(object.resourceVersion ?? "") ?? .max)
        let tiers = try await client.send(.GET, "/apis/apps/v1/namespaces/models/deployments?labelSelector=tier%21%3Da")
        #expect(tiers.json["items"]?.arrayValue?.count == 2)
        let missing = try await client.send(.GET, "/apis/apps/v1/namespaces/models/deployments/nope")
        #expect(missing.status == 404 && missing.message == "deployments.apps \"nope\" not found")
        #expect(missing.json["details"]?["kind"]?.stringValue == "deployments" && missing.json["details"]?["group"]?.stringValue == "apps")
    }

    @Test("delete honours preconditions.uid (409 on a mismatch) and answers 404 NotFound once gone")
    func delete() async throws {
        let server = try await FakeKubernetesAPIServer.start()
        let client = try FakeAPIServerClientForTests(server)
        defer { Task { await client.shutdown(); await server.stop() } }
        let uid = KubernetesObject(try await client.apply(FakeAPIServerObjects.deployment("iris-v1")).json).uid ?? ""
        let path = "/apis/apps/v1/namespaces/models/deployments/iris-v1"
        let wrong = try await client.send(.DELETE, path, body: .object([("preconditions", .object([("uid", .string("0000"))]))]))
        #expect(wrong.status == 409 && wrong.reason == "Conflict")
        #expect(wrong.message.contains("Precondition failed: UID in precondition: 0000, UID in object meta: \(uid)"))
        let deleted = try await client.send(.DELETE, path, body: .object([("preconditions", .object([("uid", .string(uid))]))]))
        #expect(deleted.status == 200 && deleted.json["status"]?.stringValue == "Success")
        #expect(server.object(kind: .deployment, namespace: "models", name: "iris-v1") == nil)
        let again = try await client.send(.DELETE, path)
        #expect(again.status == 404 && again.reason == "NotFound")
    }

    @Test("garbage input gets a 400 Status, an oversized body 413; the server keeps answering")
    func hostileInput() async throws {
        var options = FakeKubernetesAPIServer.Options()
        options.bodyLimit = 4096
        let server = try await FakeKubernetesAPIServer.start(options: options)
        let client = try FakeAPIServerClientForTests(server)
        defer { Task { await client.shutdown(); await server.stop() } }
        let path = "/apis/apps/v1/namespaces/models/deployments/x?fieldManager=sluice"
        let garbage = try await client.send(.PATCH, path, contentType: "application/apply-patch+yaml", rawBody: Array("{\"a\": [1, 2".utf8))
        #expect(garbage.status == 400 && garbage.reason == "BadRequest")
        let big = try await client.send(.PATCH, path, contentType: "application/apply-patch+yaml", rawBody: [UInt8](repeating: UInt8(ascii: " "), count: 10_000))
        #expect(big.status == 413)
        let notObject = try await client.send(.PATCH, path, contentType: "application/apply-patch+yaml", rawBody: Array("[1]".utf8))
        #expect(notObject.status == 400)
        #expect(try await client.send(.GET, "/apis/apps/v1/namespaces/models/deployments").status == 200)
    }

    @Test("writeKubeconfig writes a kubeconfig with the server, the CA as certificate-authority-data and the token")
    func kubeconfig() async throws {
        let server = try await FakeKubernetesAPIServer.start()
        defer { Task { await server.stop() } }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("fake-kubeconfig-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try server.writeKubeconfig(to: path, namespace: "models")
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.contains("server: \(server.url)"))
        #expect(text.contains("certificate-authority-data: \(Data(server.caPEM).base64EncodedString())"))
        #expect(text.contains("token: \(server.token)"))
        #expect(text.contains("namespace: models") && text.contains("current-context: fake"))
        try server.writeKubeconfig(to: path, namespace: "models", clientCertificate: true)
        let certified = try String(contentsOfFile: path, encoding: .utf8)
        #expect(certified.contains("client-certificate-data: \(Data(server.clientCertificatePEM).base64EncodedString())"))
        #expect(!certified.contains(server.token))
        let credentials = server.credentials()
        #expect(credentials.server == server.url && credentials.certificateAuthorityPEM == server.caPEM && credentials.namespace == "models")
        #expect(!credentials.description.contains(server.token))
    }
}
