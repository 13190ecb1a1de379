import SluiceConfig
import SluiceCore
import SluiceKubernetes
import Testing

/// A runtime with a `grpcPort` (issue 18): its Deployment has a second container port named
/// `h2c`, its Service a `grpc` port to it, `{grpcPort}` is filled in; the objects are valid
/// against the pinned Kubernetes schema; a colliding or missing gRPC port is refused.
@Suite("gRPC port on Kubernetes: h2c container port, grpc Service port, {grpcPort} filled, schema-valid", .timeLimit(.minutes(10)))
struct RenderGRPCPortTests {
    static func context(_ runtime: KubernetesRuntime) -> KubernetesRenderContext {
        var context = RenderFixtures.context(.gatewayAPI)
        context.runtimes["mlserver-grpc"] = RuntimeDefinition(command: ["mlserver"], kubernetes: runtime)
        return context
    }

    static let grpcRuntime = KubernetesRuntime(
        image: "seldonio/mlserver:1.7.1", args: ["--http-port", "{port}", "--grpc-port={grpcPort}"], port: 8080, grpcPort: 8081,
        env: ["MLSERVER_GRPC_PORT": "{grpcPort}", "MLSERVER_HTTP_PORT": "{port}"])

    static let model = ModelRuntime(
        name: "fraud-detector",
        versions: [
            VersionRuntime(name: "v1", runtime: "mlserver-grpc", artifact: "s3://models/fraud/v1/model.joblib"),
            VersionRuntime(name: "v2", runtime: "mlserver", artifact: "s3://models/fraud/v2/model.joblib"),
        ],
        route: Route(weights: ["v1": 90, "v2": 10]))

    static func render(_ runtime: KubernetesRuntime) throws(KubernetesRenderError) -> [KubernetesObject] {
        try KubernetesRenderer(context: context(runtime)).objects(for: model, revision: "1111111")
    }

    @Test("the gRPC version's container and Service carry the h2c/grpc port; the other version's are unchanged")
    func rendered() async throws {
        let objects = try Self.render(Self.grpcRuntime)
        let deployments = objects.filter { $0.kind == "Deployment" }
        let services = objects.filter { $0.kind == "Service" }
        #expect(deployments.count == 2 && services.count == 2)
        let grpcDeployment = try #require(deployments.first { $0.annotations[KubernetesAnnotations.version] == "v1" })
        let container = try #require(grpcDeployment["spec", "template", "spec", "containers"]?.arrayValue?.first)
        #expect(container["ports"] == .array([
            .object([("name", .string("http")), ("containerPort", .int(8080)), ("protocol", .string("TCP"))]),
            .object([("name", .string("h2c")), ("containerPort", .int(8081)), ("protocol", .string("TCP"))]),
        ]))
        #expect(container["args"] == .array([.string("--http-port"), .string("8080"), .string("--grpc-port=8081")]))
        #expect(container["env"] == .array([
            .object([("name", .string("MLSERVER_GRPC_PORT")), ("value", .string("8081"))]),
            .object([("name", .string("MLSERVER_HTTP_PORT")), ("value", .string("8080"))]),
        ]))
        let grpcService = try #require(services.first { $0.name == grpcDeployment.name })
        #expect(grpcService["spec", "ports"] == .array([
            .object([("name", .string("http")), ("port", .int(8080)), ("targetPort", .string("http")), ("protocol", .string("TCP"))]),
            .object([("name", .string("grpc")), ("port", .int(8081)), ("targetPort", .string("h2c")), ("protocol", .string("TCP")),
                     ("appProtocol", .string("kubernetes.io/h2c"))]),
        ]))
        let plainService = try #require(services.first { $0.name != grpcDeployment.name })
        #expect(plainService["spec", "ports"]?.arrayValue?.count == 1)

        let result = try await RenderSchemaContractTests.validate(objects, asYAML: true)
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("validated \(objects.count) objects, 0 errors"), "\(result.output)")
    }

    @Test("a gRPC port that is the HTTP port, or {grpcPort} without a gRPC port, is refused naming the field")
    func refused() {
        var same = Self.grpcRuntime
        same.grpcPort = 8080
        #expect(throws: KubernetesRenderError.self) { try Self.render(same) }
        do {
            _ = try Self.render(same)
        } catch {
            #expect(error.version == "v1")
            #expect(error.detail == "runtime \"mlserver-grpc\": kubernetes.grpcPort 8080 is also kubernetes.port; HTTP and gRPC need separate ports")
        }
        var missing = Self.grpcRuntime
        missing.grpcPort = nil
        do {
            _ = try Self.render(missing)
            Issue.record("rendered {grpcPort} without a grpcPort")
        } catch {
            #expect(error.detail == "runtime \"mlserver-grpc\": kubernetes.grpcPort is not set, but its command, args, env or readinessPath name {grpcPort}")
        }
    }
}
