import SluiceKubernetes

extension FakeKubernetesAPIServer {
    /// The weights, by version, of `model`'s HTTPRoute as the fake holds it: the backendRefs
    /// of its rule without a header match (the pin rules have one), versions at 0 left out.
    public func routeWeights(model: String, namespace: String) -> [String: Int]? {
        guard let route = objects(kind: .httpRoute, namespace: namespace).first(where: { $0.labels[KubernetesLabels.model] == model }),
              let rules = route["spec", "rules"]?.arrayValue else { return nil }
        let services = objects(kind: .service, namespace: namespace)
        for rule in rules where !(rule["matches"]?.arrayValue?.contains { $0["headers"] != nil } ?? false) {
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
