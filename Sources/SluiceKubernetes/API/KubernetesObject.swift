import SluiceCore

/// One Kubernetes object as JSON: what a renderer produces, what server-side apply sends,
/// and what a list, get or watch answers.
///
/// Kept as a JSON value rather than typed structs, so that fields a newer API server adds
/// survive a read–modify–apply and the rendered document is exactly what is reviewed.
public struct KubernetesObject: Sendable, Hashable {
    /// The whole document.
    public var json: JSONValue

    public init(_ json: JSONValue) {
        self.json = json
    }

    /// `apiVersion`, e.g. `apps/v1`.
    public var apiVersion: String { json["apiVersion"]?.stringValue ?? "" }
    /// `kind`, e.g. `Deployment`.
    public var kind: String { json["kind"]?.stringValue ?? "" }
    /// `metadata.name`.
    public var name: String { json["metadata"]?["name"]?.stringValue ?? "" }
    /// `metadata.namespace`, when set.
    public var namespace: String? { json["metadata"]?["namespace"]?.stringValue }
    /// `metadata.uid`, once the server has stored it.
    public var uid: String? { json["metadata"]?["uid"]?.stringValue }
    /// `metadata.resourceVersion`, once the server has stored it.
    public var resourceVersion: String? { json["metadata"]?["resourceVersion"]?.stringValue }
    /// `metadata.generation`, bumped by the server on every spec change.
    public var generation: Int? { json["metadata"]?["generation"]?.intValue }
    /// `metadata.labels`.
    public var labels: [String: String] { json["metadata"]?["labels"]?.stringMap ?? [:] }
    /// `metadata.annotations`.
    public var annotations: [String: String] { json["metadata"]?["annotations"]?.stringMap ?? [:] }

    /// The value at a path of object keys (`["status", "observedGeneration"]`).
    public subscript(path: String...) -> JSONValue? {
        var value: JSONValue? = json
        for key in path { value = value?[key] }
        return value
    }

    /// Whether Sluice manages it: only such objects are ever changed or deleted.
    public var isManagedBySluice: Bool { labels[KubernetesLabels.managedBy] == KubernetesLabels.managerName }
}

/// The labels and annotations Sluice puts on every object it writes.
public enum KubernetesLabels {
    /// `app.kubernetes.io/managed-by`: the ownership mark; only objects with it are deleted.
    public static let managedBy = "app.kubernetes.io/managed-by"
    /// The value of ``managedBy`` and the server-side apply field manager.
    public static let managerName = "sluice"
    /// The model an object belongs to.
    public static let model = "sluice.dev/model"
    /// The version an object runs (Deployments, Services).
    public static let version = "sluice.dev/version"
    /// The label selector of everything Sluice manages.
    public static let managedSelector = "\(managedBy)=\(managerName)"
}

extension JSONValue {
    /// The string, when this is one.
    public var stringValue: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    /// The integer, when this is one (a whole JSON number counts).
    public var intValue: Int? {
        switch self {
        case .int(let value): return value
        case .number(let value) where value == value.rounded() && abs(value) < 1e15: return Int(value)
        default: return nil
        }
    }

    /// The boolean, when this is one.
    public var boolValue: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    /// The items, when this is an array.
    public var arrayValue: [JSONValue]? {
        if case .array(let items) = self { return items }
        return nil
    }

    /// The members whose values are strings, when this is an object.
    public var stringMap: [String: String]? {
        guard case .object(let members) = self else { return nil }
        var map: [String: String] = [:]
        for (key, value) in members { if let text = value.stringValue { map[key] = text } }
        return map
    }
}
