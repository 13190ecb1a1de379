import SluiceCore
import SluiceKubernetes
import Testing

@Suite("Resource paths: the REST paths Sluice calls are the API server's", .timeLimit(.minutes(10)))
struct ResourceKindTests {
    @Test("core, apps, gateway and kserve paths")
    func paths() {
        #expect(ResourceKind.service.objectPath(namespace: "models", name: "iris-v1") == "/api/v1/namespaces/models/services/iris-v1")
        #expect(ResourceKind.deployment.collectionPath(namespace: "m") == "/apis/apps/v1/namespaces/m/deployments")
        #expect(ResourceKind.httpRoute.apiVersion == "gateway.networking.k8s.io/v1")
        #expect(ResourceKind.inferenceService.objectPath(namespace: "m", name: "iris") == "/apis/serving.kserve.io/v1beta1/namespaces/m/inferenceservices/iris")
    }

    @Test("an object's kind and ownership are read from its document")
    func objectAccessors() {
        let object = KubernetesObject(.object([
            ("apiVersion", .string("apps/v1")), ("kind", .string("Deployment")),
            ("metadata", .object([("name", .string("iris-v1")), ("labels", .object([(KubernetesLabels.managedBy, .string("sluice"))])), ("generation", .int(3))])),
        ]))
        #expect(ResourceKind.of(object) == .deployment)
        #expect(object.isManagedBySluice)
        #expect(object.generation == 3)
        #expect(object["metadata", "name"]?.stringValue == "iris-v1")
    }
}
