/// One difference between a live object and what Sluice rendered for it, in a field Sluice
/// renders (fields the server or other controllers add are never drift).
public struct KubernetesDrift: Sendable, Hashable, CustomStringConvertible {
    /// `Kind/name` of the object.
    public var object: String
    /// The field path (`spec.rules[1].backendRefs[0].weight`); empty: the whole object.
    public var field: String
    /// What Sluice rendered there (JSON), nil when Sluice renders nothing there.
    public var rendered: String?
    /// What the cluster holds (JSON), nil when absent.
    public var live: String?

    public init(object: String, field: String, rendered: String?, live: String?) {
        self.object = object
        self.field = field
        self.rendered = rendered
        self.live = live
    }

    public var description: String {
        guard !field.isEmpty else { return "\(object) is missing" }
        return "\(object): \(field) is \(live ?? "absent"), rendered \(rendered ?? "absent")"
    }
}
