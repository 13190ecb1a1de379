/// Why a model cannot be rendered as Kubernetes objects: the model, the version when one is
/// at fault, and the field with what is expected. Only that model is affected.
public struct KubernetesRenderError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The model that cannot be rendered.
    public var model: String
    /// The version at fault, when one is.
    public var version: String?
    /// The field and what is expected there.
    public var detail: String

    public init(model: String, version: String? = nil, detail: String) {
        self.model = model
        self.version = version
        self.detail = detail
    }

    public var description: String {
        if let version { return "model \(model), version \(version): \(detail)" }
        return "model \(model): \(detail)"
    }
}
