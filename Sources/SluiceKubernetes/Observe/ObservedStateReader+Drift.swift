import SluiceCore

extension ObservedStateReader {
    /// What in the live objects differs from what Sluice renders for `model` (e.g. someone
    /// edited backendRef weights), comparing only the fields Sluice renders: its labels,
    /// its annotations other than the revision, and `spec`. Defaults the server adds are not drift.
    /// A model that cannot be rendered has no drift to report (the render error is shown instead).
    public func drift(model: ModelRuntime, objects: [KubernetesObject]) -> [KubernetesDrift] {
        guard let rendered = try? KubernetesRenderer(context: context).objects(for: model, revision: nil) else { return [] }
        return drift(rendered: rendered, objects: objects)
    }

    /// What in the live objects differs from `rendered` (a model's objects as the renderer
    /// made them), for a caller that has rendered them already.
    public func drift(rendered: [KubernetesObject], objects: [KubernetesObject]) -> [KubernetesDrift] {
        var found: [KubernetesDrift] = []
        for object in rendered {
            let label = "\(object.kind)/\(object.name)"
            guard let live = objects.first(where: { $0.kind == object.kind && $0.apiVersion == object.apiVersion && $0.name == object.name }) else {
                found.append(KubernetesDrift(object: label, field: "", rendered: nil, live: nil))
                continue
            }
            for key in ["labels", "annotations"] {
                guard case .object(let members)? = object["metadata", key] else { continue }
                for (name, value) in members where name != KubernetesAnnotations.revision {
                    Self.compare(value, live["metadata", key, name], at: "metadata.\(key).\(name)", object: label, into: &found)
                }
            }
            if let spec = object["spec"] { Self.compare(spec, live["spec"], at: "spec", object: label, into: &found) }
        }
        return found
    }

    /// Records where `live` lacks or differs from `rendered`; keys only `live` has are ignored.
    static func compare(_ rendered: JSONValue, _ live: JSONValue?, at path: String, object: String, into found: inout [KubernetesDrift]) {
        guard let live else {
            found.append(KubernetesDrift(object: object, field: path, rendered: rendered.serialized(), live: nil))
            return
        }
        switch (rendered, live) {
        case (.object(let members), .object):
            for (key, value) in members { compare(value, live[key], at: "\(path).\(key)", object: object, into: &found) }
        case (.array(let items), .array(let liveItems)) where items.count == liveItems.count:
            for (index, item) in items.enumerated() { compare(item, liveItems[index], at: "\(path)[\(index)]", object: object, into: &found) }
        case (.array(let items), .array(let liveItems)):
            found.append(KubernetesDrift(object: object, field: path, rendered: "\(items.count) items", live: "\(liveItems.count) items"))
        default:
            if rendered.serialized() != live.serialized() {
                found.append(KubernetesDrift(object: object, field: path, rendered: rendered.serialized(), live: live.serialized()))
            }
        }
    }
}
