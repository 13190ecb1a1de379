import SluiceCore
import SluiceKubernetes

/// GET of one object and of a collection (with a label selector).
extension FakeKubernetesCluster {
    /// The object, or 404 NotFound.
    func get(_ kind: ResourceKind, namespace: String, name: String) throws(FakeKubernetesFailure) -> JSONValue {
        let object = state.withLockedValue { $0.objects[FakeKubernetesKey(kind: kind, namespace: namespace, name: name)]?.json }
        guard let object else { throw .notFound(kind, name) }
        return object
    }

    /// `{Kind}List` of the matching objects (by name) at the current resourceVersion.
    func list(_ kind: ResourceKind, namespace: String, selector: FakeKubernetesLabelSelector?) -> JSONValue {
        let (items, resourceVersion) = state.withLockedValue { state in
            let items = state.objects.filter { $0.key.kind == kind && $0.key.namespace == namespace }
                .sorted { $0.key.name < $1.key.name }.map(\.value.json)
                .filter { selector?.matches(KubernetesObject($0).labels) ?? true }
            return (items, state.resourceVersion)
        }
        let wireItems = Self.isBuiltIn(kind) ? items.map { item in
            var item = item
            item.fakeRemove("apiVersion")
            item.fakeRemove("kind")
            return item
        } : items
        return .object([
            ("kind", .string("\(kind.kind)List")), ("apiVersion", .string(kind.apiVersion)),
            ("metadata", .object([("resourceVersion", .string(String(resourceVersion)))])), ("items", .array(wireItems)),
        ])
    }

    /// Objects for the test hooks (nil namespace: all namespaces), by name.
    func objects(_ kind: ResourceKind, namespace: String?) -> [KubernetesObject] {
        state.withLockedValue { state in
            state.objects.filter { $0.key.kind == kind && (namespace == nil || $0.key.namespace == namespace) }
                .sorted { ($0.key.namespace, $0.key.name) < ($1.key.namespace, $1.key.name) }.map { KubernetesObject($0.value.json) }
        }
    }
}
