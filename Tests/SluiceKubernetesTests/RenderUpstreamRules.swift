import Foundation
import SluiceCore
import SluiceKubernetes

/// Rules the API server or an admission webhook enforces that a schema cannot express (CEL
/// `x-kubernetes-validations`, built-in validation, KServe's webhook), re-implemented for
/// the rules rendered objects rely on. Each names its upstream source.
enum RenderUpstreamRule: String, CaseIterable, Sendable {
    /// gateway-api v1.6.1 HTTPRoute CRD, HTTPBackendRef and mirror backendRef CEL:
    /// `(size(self.group) == 0 && self.kind == 'Service') ? has(self.port) : true` ("Must have port for Service reference").
    case servicePort
    /// gateway-api v1.6.1 HTTPPathMatch CEL: for Exact and PathPrefix the value starts with '/'
    /// and contains none of '//', '/./', '/../'.
    case pathValue
    /// gateway-api v1.6.1 HTTPRequestMirrorFilter CEL: `!(has(self.percent) && has(self.fraction))`
    /// and `self.numerator <= self.denominator`.
    case mirrorShare
    /// gateway-api v1.6.1 HTTPRoute `spec.rules` CEL: the matches of all rules add up to at most 128.
    case totalMatches
    /// gateway-api v1.6.1 GRPCMethodMatch CEL: one of `service` and `method` is set; with type
    /// Exact (the default) `service` matches `^(?i)\.?[a-z_][a-z_0-9]*(\.[a-z_][a-z_0-9]*)*$`
    /// and `method` `^[A-Za-z_][A-Za-z_0-9]*$`.
    case grpcMethod
    /// `headers` of an HTTPRouteMatch (and a GRPCRouteMatch) is `x-kubernetes-list-type: map` keyed by `name`: no
    /// two entries with the same name (the API server refuses duplicate map keys).
    case uniqueHeaderNames
    /// Kubernetes `ValidateDeploymentSpec` (pkg/apis/apps/validation): a non-empty selector
    /// that matches the pod template's labels.
    case selectorMatchesTemplate
    /// Kubernetes `ValidateServiceName` / `IsDNS1035Label` (Services) and `IsDNS1123Subdomain`
    /// (other objects) for `metadata.name`; `IsValidLabelValue` for label values.
    case namesAndLabels
    /// KServe v0.20.0 webhook `validateInferenceServiceName`: `^[a-z]([-a-z0-9]*[a-z0-9])?$`.
    case inferenceServiceName
    /// KServe v0.20.0 webhook `validateCanarySpecs`: `spec.canary` only with annotation
    /// `serving.kserve.io/deploymentMode: Standard`; each canary named, names unique,
    /// `trafficPercent` 0–100, their sum at most 100.
    case kserveCanary

    /// The violations of this rule in `object` (empty: it holds).
    func violations(_ object: KubernetesObject) -> [String] {
        switch self {
        case .servicePort:
            return Self.backendRefs(of: object).compactMap { ref in
                let group = ref["group"]?.stringValue ?? ""
                let kind = ref["kind"]?.stringValue ?? "Service"
                return group.isEmpty && kind == "Service" && ref["port"] == nil ? "backendRef \(ref["name"]?.stringValue ?? "") has no port" : nil
            }
        case .pathValue:
            return Self.matches(of: object).compactMap { match in
                guard let path = match["path"], let type = path["type"]?.stringValue, ["Exact", "PathPrefix"].contains(type) else { return nil }
                let value = path["value"]?.stringValue ?? "/"
                let bad = !value.hasPrefix("/") || value.contains("//") || value.contains("/./") || value.contains("/../")
                return bad ? "path \(value) is not an absolute, normalized path" : nil
            }
        case .mirrorShare:
            return Self.filters(of: object).compactMap { filter in
                guard let mirror = filter["requestMirror"] else { return nil }
                if mirror["percent"] != nil, mirror["fraction"] != nil { return "requestMirror sets both percent and fraction" }
                if let fraction = mirror["fraction"], (fraction["numerator"]?.intValue ?? 0) > (fraction["denominator"]?.intValue ?? 100) {
                    return "requestMirror fraction numerator exceeds denominator"
                }
                return nil
            }
        case .totalMatches:
            let total = Self.matches(of: object).count
            return total > 128 ? ["\(total) matches across rules (at most 128)"] : []
        case .grpcMethod:
            guard object.kind == "GRPCRoute" else { return [] }
            return Self.matches(of: object).compactMap { match in
                guard let method = match["method"] else { return nil }
                let service = method["service"]?.stringValue
                let name = method["method"]?.stringValue
                if service == nil && name == nil { return "method match names neither service nor method" }
                guard (method["type"]?.stringValue ?? "Exact") == "Exact" else { return nil }
                if let service, service.range(of: "^\\.?[a-zA-Z_][a-zA-Z_0-9]*(\\.[a-zA-Z_][a-zA-Z_0-9]*)*$", options: .regularExpression) == nil {
                    return "service \(service) has characters a gRPC service name cannot"
                }
                if let name, name.range(of: "^[A-Za-z_][A-Za-z_0-9]*$", options: .regularExpression) == nil {
                    return "method \(name) has characters a gRPC method name cannot"
                }
                return nil
            }
        case .uniqueHeaderNames:
            return Self.matches(of: object).compactMap { match in
                let names = (match["headers"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
                return Set(names).count == names.count ? nil : "duplicate header names \(names)"
            }
        case .selectorMatchesTemplate:
            guard object.kind == "Deployment" else { return [] }
            let selector = object["spec", "selector", "matchLabels"]?.stringMap ?? [:]
            let labels = object["spec", "template", "metadata", "labels"]?.stringMap ?? [:]
            if selector.isEmpty { return ["empty selector"] }
            return selector.allSatisfy({ labels[$0.key] == $0.value }) ? [] : ["selector \(selector) does not match template labels \(labels)"]
        case .namesAndLabels:
            var found: [String] = []
            let name = object.name
            let valid = object.kind == "Service" ? Self.isDNS1035Label(name) : Self.isDNS1123Subdomain(name)
            if !valid { found.append("metadata.name \(name) is not a valid \(object.kind) name") }
            for (key, value) in object.labels where !Self.isLabelValue(value) { found.append("label \(key)=\(value) is not a valid label value") }
            return found
        case .inferenceServiceName:
            guard object.kind == "InferenceService" else { return [] }
            return Self.isDNS1035Label(object.name, limit: Int.max) ? [] : ["InferenceService name \(object.name) does not match [a-z]([-a-z0-9]*[a-z0-9])?"]
        case .kserveCanary:
            guard let canaries = object["spec", "canary"]?.arrayValue, !canaries.isEmpty else { return [] }
            var found: [String] = []
            if object.annotations["serving.kserve.io/deploymentMode"] != "Standard" { found.append("canary is only supported in Standard deployment mode") }
            var names = Set<String>()
            var total = 0
            for canary in canaries {
                let name = canary["predictor"]?["name"]?.stringValue ?? ""
                if name.isEmpty { found.append("canary predictor.name is required") }
                if !names.insert(name).inserted { found.append("canary predictor.name \(name) is duplicated") }
                let percent = canary["trafficPercent"]?.intValue ?? -1
                if !(0...100).contains(percent) { found.append("canary \(name) trafficPercent must be between 0 and 100") }
                total += max(percent, 0)
            }
            if total > 100 { found.append("sum of canary trafficPercent values (\(total)) must be <= 100") }
            return found
        }
    }

    /// Every violation of every rule in `object`, prefixed with the rule.
    static func check(_ object: KubernetesObject) -> [String] {
        allCases.flatMap { rule in rule.violations(object).map { "\(object.kind)/\(object.name): \(rule.rawValue): \($0)" } }
    }

    static func rules(of object: KubernetesObject) -> [JSONValue] {
        ["HTTPRoute", "GRPCRoute"].contains(object.kind) ? object["spec", "rules"]?.arrayValue ?? [] : []
    }

    static func matches(of object: KubernetesObject) -> [JSONValue] {
        rules(of: object).flatMap { $0["matches"]?.arrayValue ?? [] }
    }

    static func filters(of object: KubernetesObject) -> [JSONValue] {
        rules(of: object).flatMap { rule in
            (rule["filters"]?.arrayValue ?? []) + (rule["backendRefs"]?.arrayValue ?? []).flatMap { $0["filters"]?.arrayValue ?? [] }
        }
    }

    static func backendRefs(of object: KubernetesObject) -> [JSONValue] {
        rules(of: object).flatMap { $0["backendRefs"]?.arrayValue ?? [] }
            + filters(of: object).compactMap { $0["requestMirror"]?["backendRef"] }
    }

    static func isDNS1035Label(_ name: String, limit: Int = 63) -> Bool {
        name.range(of: "^[a-z]([-a-z0-9]*[a-z0-9])?$", options: .regularExpression) != nil && name.utf8.count <= limit
    }

    static func isDNS1123Subdomain(_ name: String) -> Bool {
        name.utf8.count <= 253
            && name.range(of: "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$", options: .regularExpression) != nil
    }

    static func isLabelValue(_ value: String) -> Bool {
        value.utf8.count <= 63 && value.range(of: "^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$", options: .regularExpression) != nil
    }
}
