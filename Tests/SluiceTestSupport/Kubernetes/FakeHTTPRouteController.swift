import SluiceCore

/// The status a Gateway API implementation writes on an HTTPRoute (kubernetes-sigs/gateway-api
/// apis/v1/shared_types.go `RouteParentStatus`, `RouteConditionType`; the wording of Envoy Gateway,
/// envoyproxy/gateway internal/gatewayapi/route.go), compared with the upstream example in
/// Tests/SluiceKubernetesTests/Fixtures/upstream/httproute-status.json: one
/// `status.parents[]` entry per parentRef with the parentRef, controllerName and the conditions
/// Accepted and ResolvedRefs, each with the route's observedGeneration. A backendRef to a Service
/// that does not exist makes ResolvedRefs False with reason BackendNotFound. Held unready, the
/// route is not Accepted (reason NotAllowedByListeners).
enum FakeHTTPRouteController {
    /// The controller name written (Envoy Gateway's).
    static let controllerName = "gateway.envoyproxy.io/gatewayclass-controller"

    static func status(of object: JSONValue, ready: Bool, old: JSONValue?, serviceExists: (String) -> Bool) -> JSONValue {
        let generation = object["metadata"]?["generation"]?.intValue ?? 1
        let namespace = object["metadata"]?["namespace"]?.stringValue ?? ""
        var missing: String?
        for rule in object["spec"]?["rules"]?.arrayValue ?? [] {
            for ref in rule["backendRefs"]?.arrayValue ?? [] {
                let name = ref["name"]?.stringValue ?? ""
                let refNamespace = ref["namespace"]?.stringValue ?? namespace
                let isService = (ref["kind"]?.stringValue ?? "Service") == "Service" && (ref["group"]?.stringValue ?? "").isEmpty
                if missing == nil, isService, refNamespace == namespace, !serviceExists(name) {
                    missing = "Service \(refNamespace)/\(name) not found"
                }
            }
        }
        let parents: [JSONValue] = (object["spec"]?["parentRefs"]?.arrayValue ?? []).enumerated().map { index, parentRef in
            let oldConditions = old?["parents"]?.arrayValue?.dropFirst(index).first?["conditions"]
            func condition(_ type: String, _ status: String, _ reason: String, _ message: String) -> JSONValue {
                .object([
                    ("type", .string(type)), ("status", .string(status)), ("observedGeneration", .int(generation)),
                    ("lastTransitionTime", .string(FakeConditions.transitionTime(type, status: status, in: oldConditions))),
                    ("reason", .string(reason)), ("message", .string(message)),
                ])
            }
            let accepted =
                ready
                ? condition("Accepted", "True", "Accepted", "Route is accepted")
                : condition("Accepted", "False", "NotAllowedByListeners", "No listeners included by this parent ref allowed this attachment.")
            let resolved =
                missing.map { condition("ResolvedRefs", "False", "BackendNotFound", $0) }
                ?? condition("ResolvedRefs", "True", "ResolvedRefs", "Resolved all the Object references for the Route")
            return .object([("parentRef", parentRef), ("controllerName", .string(controllerName)), ("conditions", .array([accepted, resolved]))])
        }
        return .object([("parents", .array(parents))])
    }
}
