import Foundation
import SluiceCore
import SluiceKubernetes
import Testing

/// The CEL, built-in and webhook rules a schema does not cover: every rendered object keeps
/// them, and a broken object is caught by each.
@Suite("Schema contract (CEL and webhook rules): rendered objects keep the upstream rules a schema cannot express", .timeLimit(.minutes(10)))
struct RenderUpstreamRulesTests {
    @Test("every object of every state and driver keeps every rule")
    func renderedObjectsKeepTheRules() throws {
        for entry in RenderFixtures.cases {
            for object in try RenderFixtures.render(entry.context, entry.state) {
                #expect(RenderUpstreamRule.check(object) == [], "\(entry.directory)/\(entry.state.name)")
            }
        }
    }

    @Test("a broken object is caught by each rule", arguments: RenderUpstreamRule.allCases)
    func brokenObjectIsCaught(_ rule: RenderUpstreamRule) throws {
        let broken = try Self.broken(for: rule)
        #expect(!rule.violations(broken).isEmpty, "\(rule) let a broken object through")
    }

    /// A rendered object edited to break `rule`.
    static func broken(for rule: RenderUpstreamRule) throws -> KubernetesObject {
        let route = try #require(try RenderFixtures.render(RenderFixtures.context(.gatewayAPI), RenderFixtures.states[2]).last)
        let deployment = try #require(try RenderFixtures.render(RenderFixtures.context(.gatewayAPI), RenderFixtures.states[0]).last {
            $0.kind == "Deployment"
        })
        let standard = try #require(try RenderFixtures.render(RenderFixtures.context(.kserve, mode: .rawDeployment), RenderFixtures.standardStates[1]).first)
        let rule0: JSONValue = .object([
            ("matches", .array([.object([("path", .object([("type", .string("PathPrefix")), ("value", .string("/v2/models/a/"))]))])])),
            ("backendRefs", .array([.object([("name", .string("a-v1")), ("port", .int(8080))])])),
        ])
        switch rule {
        case .servicePort:
            return route.replacing(["spec", "rules"], with: .array([rule0.replacing(["backendRefs"], with: .array([.object([("name", .string("a-v1"))])]))]))
        case .pathValue:
            return route.replacing(["spec", "rules"], with: .array([
                rule0.replacing(["matches"], with: .array([.object([("path", .object([("type", .string("PathPrefix")), ("value", .string("/v2//models"))]))])])),
            ]))
        case .mirrorShare:
            let mirror: JSONValue = .object([("type", .string("RequestMirror")), ("requestMirror", .object([
                ("backendRef", .object([("name", .string("a-v2")), ("port", .int(8080))])), ("percent", .int(5)),
                ("fraction", .object([("numerator", .int(1)), ("denominator", .int(2))])),
            ]))])
            return route.replacing(["spec", "rules"], with: .array([rule0.replacing(["filters"], with: .array([mirror]))]))
        case .totalMatches:
            let many = JSONValue.array(Array(repeating: .object([("path", .object([("type", .string("PathPrefix")), ("value", .string("/a"))]))]), count: 64))
            return route.replacing(["spec", "rules"], with: .array(Array(repeating: rule0.replacing(["matches"], with: many), count: 3)))
        case .grpcMethod:
            let grpcRoute = try #require(try RenderFixtures.render(RenderFixtures.grpcContext(.gatewayAPI), RenderFixtures.grpcStates[0]).last)
            let method = JSONValue.object([("type", .string("Exact")), ("service", .string("inference/GRPCInferenceService")), ("method", .string("ModelInfer"))])
            return grpcRoute.replacing(["spec", "rules"], with: .array([
                rule0.replacing(["matches"], with: .array([.object([("method", method)])])),
            ]))
        case .uniqueHeaderNames:
            let header = JSONValue.object([("type", .string("Exact")), ("name", .string("x-sluice-version")), ("value", .string("v1"))])
            return route.replacing(["spec", "rules"], with: .array([
                rule0.replacing(["matches"], with: .array([.object([("headers", .array([header, header]))])])),
            ]))
        case .selectorMatchesTemplate:
            return deployment.replacing(["spec", "selector", "matchLabels"], with: .object([("sluice.dev/model", .string("other"))]))
        case .namesAndLabels:
            return deployment.replacing(["metadata", "name"], with: .string("Fraud_Detector"))
        case .inferenceServiceName:
            return standard.replacing(["metadata", "name"], with: .string("1fraud"))
        case .kserveCanary:
            return standard.replacing(["metadata", "annotations"], with: .object([("serving.kserve.io/deploymentMode", .string("Serverless"))]))
        }
    }
}

extension KubernetesObject {
    /// A copy with the value at `path` (object keys) replaced or added.
    func replacing(_ path: [String], with value: JSONValue) -> KubernetesObject {
        KubernetesObject(json.replacing(path, with: value))
    }
}

extension JSONValue {
    /// A copy with the value at `path` (object keys) replaced or added.
    func replacing(_ path: [String], with value: JSONValue) -> JSONValue {
        guard let key = path.first else { return value }
        guard case .object(var members) = self else { return self }
        if let index = members.firstIndex(where: { $0.0 == key }) {
            members[index].1 = members[index].1.replacing(Array(path.dropFirst()), with: value)
        } else {
            members.append((key, JSONValue.object([]).replacing(Array(path.dropFirst()), with: value)))
        }
        return .object(members)
    }
}
