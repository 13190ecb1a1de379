import SluiceKubernetes

extension FakeKubernetesAPIServer {
    /// The weights, by version, of `model`'s HTTPRoute (or GRPCRoute) as the fake holds it: the
    /// backendRefs of its default rule (the pin rules match the pin header), versions at 0 left out.
    public func routeWeights(model: String, namespace: String, kind: ResourceKind = .httpRoute) -> [String: Int]? {
        guard let route = objects(kind: kind, namespace: namespace).first(where: { $0.labels[KubernetesLabels.model] == model }),
              let rules = route["spec", "rules"]?.arrayValue else { return nil }
        let services = objects(kind: .service, namespace: namespace)
        // HTTPRoute pin rules are the ones with headers; every GRPCRoute rule matches the model header, pin rules one more.
        let headerLimit = kind == .grpcRoute ? 1 : 0
        for rule in rules where !(rule["matches"]?.arrayValue?.contains { ($0["headers"]?.arrayValue?.count ?? 0) > headerLimit } ?? false) {
            var weights: [String: Int] = [:]
            for ref in rule["backendRefs"]?.arrayValue ?? [] {
                guard let name = ref["name"]?.stringValue, let weight = ref["weight"]?.intValue, weight > 0 else { continue }
                weights[services.first { $0.name == name }?.labels[KubernetesLabels.version] ?? name] = weight
            }
            return weights
        }
        return nil
    }
}
