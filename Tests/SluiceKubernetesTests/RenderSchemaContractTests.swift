import Foundation
import SluiceCore
import SluiceKubernetes
import SluiceTestSupport
import Testing

/// Every rendered object validated against the published schemas (Fixtures/schemas, see
/// SOURCES.md) by Python's `jsonschema`, with unknown fields refused as the API server's
/// strict field validation refuses them.
@Suite("Schema contract: rendered objects validate against the published CRDs and Kubernetes OpenAPI", .timeLimit(.minutes(10)))
struct RenderSchemaContractTests {
    static let schemas = RenderFixtures.fixtures.appendingPathComponent("schemas")

    /// Runs validate.py over `objects`, sent as the YAML stream `sluice plan --render` prints
    /// (so the YAML itself is checked too) or as JSON.
    static func validate(_ objects: [KubernetesObject], asYAML: Bool = false) async throws -> ChildProcess.Result {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-render-\(UUID().uuidString).\(asYAML ? "yaml" : "json")")
        defer { try? FileManager.default.removeItem(at: file) }
        let text = asYAML ? KubernetesYAML.stream(objects) : JSONValue.array(objects.map(\.json)).serialized()
        try text.write(to: file, atomically: true, encoding: .utf8)
        return try await ChildProcess.run(
            URL(fileURLWithPath: "/usr/bin/env"),
            ["python3", schemas.appendingPathComponent("validate.py").path, schemas.path, file.path])
    }

    @Test("every object of every rollout state of both drivers, read back from its YAML, is valid")
    func renderedObjectsAreValid() async throws {
        var objects: [KubernetesObject] = []
        for entry in RenderFixtures.cases { objects += try RenderFixtures.render(entry.context, entry.state) }
        let result = try await Self.validate(objects, asYAML: true)
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("validated \(objects.count) objects, 0 errors"), "\(result.output)")
    }

    @Test("broken objects are refused: an unknown field, a wrong type, a missing required field")
    func brokenObjectsAreRefused() async throws {
        let gateway = try RenderFixtures.render(RenderFixtures.context(.gatewayAPI), RenderFixtures.states[1])
        let kserve = try RenderFixtures.render(RenderFixtures.context(.kserve), RenderFixtures.states[1])
        let deployment = try #require(gateway.first { $0.kind == "Deployment" })
        let service = try #require(gateway.first { $0.kind == "Service" })
        let route = try #require(gateway.last)
        let isvc = try #require(kserve.first)
        let broken = [
            deployment.replacing(["metadata", "name"], with: .string("unknown-field"))
                .replacing(["spec", "template", "spec", "containers"], with: .array([.object([("name", .string("m")), ("imag", .string("x"))])])),
            service.replacing(["metadata", "name"], with: .string("bool-port"))
                .replacing(["spec", "ports"], with: .array([.object([("port", .int(80)), ("targetPort", .bool(true))])])),
            route.replacing(["metadata", "name"], with: .string("string-weight"))
                .replacing(["spec", "rules"], with: .array([.object([("backendRefs", .array([.object([
                    ("name", .string("a")), ("port", .int(8080)), ("weight", .string("10")),
                ])]))])])),
            isvc.replacing(["metadata", "name"], with: .string("no-model-format"))
                .replacing(["spec", "predictor", "model", "modelFormat"], with: .object([("version", .string("1"))])),
            isvc.replacing(["metadata", "name"], with: .string("unknown-predictor-field"))
                .replacing(["spec", "predictor", "canaryPercent"], with: .int(10)),
        ]
        let result = try await Self.validate(broken)
        #expect(result.status == 1)
        for name in ["Deployment/unknown-field", "Service/bool-port", "HTTPRoute/string-weight",
                     "InferenceService/no-model-format", "InferenceService/unknown-predictor-field"] {
            #expect(result.output.contains("\(name):"), "\(name) was not refused: \(result.output)")
        }
    }
}
