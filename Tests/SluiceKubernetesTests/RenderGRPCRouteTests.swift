import SluiceConfig
import SluiceCore
import SluiceKubernetes
import Testing

/// The GRPCRoute of a model served over gRPC (issue 18): the HTTPRoute's rules (pins, weights
/// with 0 kept, mirror) matching `x-sluice-model` on the model methods of
/// `inference.GRPCInferenceService`, to the Service ports `grpc`; none when a version has no
/// gRPC port; schema-valid against the pinned v1.6.1 CRD; bad headers refused naming the field.
@Suite("GRPCRoute on gateway-api: rules, weights, pins, mirror, schema-valid, refused headers", .timeLimit(.minutes(10)))
struct RenderGRPCRouteTests {
    static func render(_ model: ModelRuntime, context: KubernetesRenderContext = RenderFixtures.grpcContext(.gatewayAPI)) throws(KubernetesRenderError) -> [KubernetesObject] {
        try KubernetesRenderer(context: context).objects(for: model, revision: "9999999")
    }

    @Test("rules: a pin rule per version and per route pin, then the weighted default rule with the mirror; every match names the model")
    func rules() async throws {
        let objects = try Self.render(RenderFixtures.grpcStates[0].model)
        #expect(objects.map(\.kind) == ["Service", "Deployment", "Service", "Deployment", "HTTPRoute", "GRPCRoute"])
        let route = try #require(objects.last)
        #expect(route.apiVersion == "gateway.networking.k8s.io/v1" && route.name == "fraud-detector")
        let rules = try #require(route["spec", "rules"]?.arrayValue)
        #expect(rules.count == 2 + 1 + 1)
        for rule in rules {
            let matches = rule["matches"]?.arrayValue ?? []
            #expect(matches.compactMap { $0["method"]?["method"]?.stringValue } == ["ModelInfer", "ModelMetadata", "ModelReady"])
            #expect(matches.allSatisfy { $0["method"]?["service"] == .string("inference.GRPCInferenceService") })
            #expect(matches.allSatisfy { $0["headers"]?.arrayValue?.first == .object([
                ("type", .string("Exact")), ("name", .string("x-sluice-model")), ("value", .string("fraud-detector")),
            ]) })
        }
        #expect(rules[0]["matches"]?.arrayValue?.first?["headers"]?.arrayValue?.last?["value"] == .string("v1"))
        #expect(rules[2]["matches"]?.arrayValue?.first?["headers"]?.arrayValue?.last?["name"] == .string("x-user-group"))
        #expect(rules[2]["backendRefs"] == .array([.object([("name", .string("fraud-detector-v2")), ("port", .int(8081))])]))
        let last = rules[3]
        #expect(last["backendRefs"] == .array([
            .object([("name", .string("fraud-detector-v1")), ("port", .int(8081)), ("weight", .int(90))]),
            .object([("name", .string("fraud-detector-v2")), ("port", .int(8081)), ("weight", .int(10))]),
        ]))
        #expect(last["filters"]?.arrayValue?.first?["requestMirror"]?["fraction"] == .object([("numerator", .int(1250)), ("denominator", .int(10_000))]))

        // Weight 0 stays listed; without requestMirror no filter is rendered.
        let promoted = try #require(try Self.render(RenderFixtures.grpcStates[1].model).last)
        #expect(promoted["spec", "rules"]?.arrayValue?.last?["backendRefs"]?.arrayValue?.first?["weight"] == .int(0))
        var noMirror = RenderFixtures.grpcContext(.gatewayAPI)
        noMirror.requestMirror = false
        let unmirrored = try #require(try Self.render(RenderFixtures.grpcStates[0].model, context: noMirror).last)
        #expect(unmirrored.kind == "GRPCRoute" && unmirrored["spec", "rules"]?.arrayValue?.last?["filters"] == nil)

        let result = try await RenderSchemaContractTests.validate(objects + [promoted, unmirrored], asYAML: true)
        #expect(result.status == 0, "\(result.output)")
        #expect(RenderUpstreamRule.check(route) == [])
    }

    /// The gRPC fixtures' context with `backend.gateway.grpcHostname` and `grpcSectionName`.
    static func hostnameContext(_ template: String = "{model}.grpc.example.com") -> KubernetesRenderContext {
        var context = RenderFixtures.grpcContext(.gatewayAPI)
        context.gateway?.grpcHostname = template
        context.gateway?.grpcSectionName = "grpc"
        return context
    }

    @Test("with grpcHostname the route's hostnames select the model (no x-sluice-model match) on the grpcSectionName listener; too long a hostname is refused")
    func hostname() async throws {
        let objects = try Self.render(RenderFixtures.grpcStates[0].model, context: Self.hostnameContext())
        let route = try #require(objects.last)
        #expect(route["spec", "hostnames"] == .array([.string("fraud-detector.grpc.example.com")]))
        #expect(route["spec", "parentRefs"]?.arrayValue?.first?["sectionName"] == .string("grpc"))
        #expect(objects.first { $0.kind == "HTTPRoute" }?["spec", "parentRefs"]?.arrayValue?.first?["sectionName"] == .string("http"))
        let rules = try #require(route["spec", "rules"]?.arrayValue)
        let names = rules.map { rule in (rule["matches"]?.arrayValue ?? []).map { ($0["headers"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue } } }
        #expect(names.map { $0.first ?? [] } == [["x-sluice-version"], ["x-sluice-version"], ["x-user-group"], []])
        #expect(rules.last?["matches"]?.arrayValue?.first?["headers"] == nil)
        let result = try await RenderSchemaContractTests.validate([route], asYAML: true)
        #expect(result.status == 0, "\(result.output)")
        #expect(RenderUpstreamRule.check(route) == [])

        let long = Self.hostnameContext("{model}." + String(repeating: "a.", count: 120) + "example.com")
        #expect {
            try Self.render(RenderFixtures.grpcStates[0].model, context: long)
        } throws: { error in
            (error as? KubernetesRenderError)?.detail.hasPrefix("backend.gateway.grpcHostname: ") == true
        }
    }

    @Test("no GRPCRoute when a version's runtime has no grpcPort, nor on the kserve driver")
    func notRendered() throws {
        let mixed = RenderFixtures.fraud([RenderFixtures.grpcV1, RenderFixtures.v2], ["v1": 90, "v2": 10])
        #expect(!(try Self.render(mixed)).contains { $0.kind == "GRPCRoute" })
        #expect(!(try Self.render(RenderFixtures.grpcStates[0].model, context: RenderFixtures.grpcContext(.kserve))).contains { $0.kind == "GRPCRoute" })
    }

    @Test("a pin on the model header, a pin header that is the model header, too many rules: refused naming the field")
    func refused() {
        let pinned = RenderFixtures.fraud([RenderFixtures.grpcV1, RenderFixtures.grpcV2], ["v1": 100, "v2": 0], pins: [
            Route.HeaderPin(header: "X-Sluice-Model", value: "other", version: "v2"),
        ])
        #expect {
            try Self.render(pinned)
        } throws: { error in
            (error as? KubernetesRenderError)?.detail == "route.pins: \"X-Sluice-Model\" is the GRPCRoute's model header (x-sluice-model); pin on another header"
        }
        var context = RenderFixtures.grpcContext(.gatewayAPI)
        context.pinHeader = "x-sluice-model"
        #expect {
            try Self.render(RenderFixtures.grpcStates[1].model, context: context)
        } throws: { error in
            (error as? KubernetesRenderError)?.detail.hasPrefix("serve.pinHeader: \"x-sluice-model\" is the GRPCRoute's model header") == true
        }
        let many = (1...16).map { VersionRuntime(name: "v\($0)", runtime: "mlserver-grpc", artifact: "s3://models/fraud/v\($0)/model.joblib") }
        #expect {
            try Self.render(RenderFixtures.fraud(many, ["v1": 100]))
        } throws: { error in
            (error as? KubernetesRenderError)?.detail.hasPrefix("versions: an HTTPRoute holds 16 rules") == true
        }
    }

    @Test("the pinned GRPCRoute schema refuses an HTTPRoute-only field and a string weight")
    func brokenRefused() async throws {
        let route = try #require(try Self.render(RenderFixtures.grpcStates[0].model).last)
        let rule = try #require(route["spec", "rules"]?.arrayValue?.last)
        let broken = [
            route.replacing(["metadata", "name"], with: .string("path-match"))
                .replacing(["spec", "rules"], with: .array([rule.replacing(["matches"], with: .array([.object([
                    ("path", .object([("type", .string("PathPrefix")), ("value", .string("/v2"))])),
                ])]))])),
            route.replacing(["metadata", "name"], with: .string("string-weight"))
                .replacing(["spec", "rules"], with: .array([rule.replacing(["backendRefs"], with: .array([.object([
                    ("name", .string("a")), ("port", .int(8081)), ("weight", .string("10")),
                ])]))])),
        ]
        let result = try await RenderSchemaContractTests.validate(broken)
        #expect(result.status == 1)
        for name in ["GRPCRoute/path-match", "GRPCRoute/string-weight"] {
            #expect(result.output.contains("\(name):"), "\(name) was not refused: \(result.output)")
        }
    }
}
