/// The objects of one list call and the collection's resourceVersion to watch from.
public struct KubernetesList: Sendable {
    /// The objects, each with `apiVersion` and `kind` set.
    public var items: [KubernetesObject]
    /// `metadata.resourceVersion` of the list: a watch from it misses nothing.
    public var resourceVersion: String

    /// A list of `items` at `resourceVersion`.
    public init(items: [KubernetesObject], resourceVersion: String) {
        self.items = items
        self.resourceVersion = resourceVersion
    }
}
