import Foundation
import SluiceConfig
import SluiceCore

/// Turns one model of a runtime spec into the Kubernetes objects that run it, for the
/// driver in the context. Pure: no I/O; the same input renders the same bytes.
public struct KubernetesRenderer: Sendable {
    /// The backend settings and runtimes.
    public var context: KubernetesRenderContext

    public init(context: KubernetesRenderContext) {
        self.context = context
    }

    /// Every object of one model, in apply order (Services, Deployments and their HPAs before the HTTPRoute).
    /// The per-model object (HTTPRoute or InferenceService) carries annotation "sluice.dev/runtime" = the
    /// model's ModelRuntime as one-model RuntimeSpec JSON, and "sluice.dev/revision" = revision.
    public func objects(for model: ModelRuntime, revision: String?) throws(KubernetesRenderError) -> [KubernetesObject] {
        guard !model.versions.isEmpty else { throw KubernetesRenderError(model: model.name, detail: "versions: at least one version is needed") }
        for version in model.versions {
            try checkArtifact(version, of: model)
            try checkScaling(version, of: model)
        }
        switch context.driver {
        case .gatewayAPI: return try gatewayAPIObjects(for: model, revision: revision)
        case .kserve: return [try inferenceService(for: model, revision: revision)]
        }
    }

    /// The labels of a model's objects (plus the version's when given).
    func labels(model: String, version: String? = nil) -> [String: String] {
        var labels = [
            KubernetesLabels.managedBy: KubernetesLabels.managerName,
            KubernetesLabels.model: KubernetesNames.labelValue(model),
        ]
        if let version { labels[KubernetesLabels.version] = KubernetesNames.labelValue(version) }
        return labels
    }

    /// The annotations every per-model object carries: the runtime it was rendered from
    /// (revision left out, so an unchanged model reads the same at any commit) and the revision.
    func modelAnnotations(_ model: ModelRuntime, revision: String?) -> [String: String] {
        var annotations = [KubernetesAnnotations.runtime: RuntimeSpec(models: [model]).jsonValue.serialized()]
        if let revision { annotations[KubernetesAnnotations.revision] = revision }
        return annotations
    }

    /// The artifact must be a URI the cluster can fetch: a repository path is not reachable
    /// from a pod, and an `endpoint` version runs outside Sluice's control.
    func checkArtifact(_ version: VersionRuntime, of model: ModelRuntime) throws(KubernetesRenderError) {
        if version.endpoint != nil {
            throw KubernetesRenderError(
                model: model.name, version: version.name,
                detail: "endpoint: an existing upstream cannot run on the kubernetes backend; give a runtime and an artifact URI")
        }
        guard let artifact = version.artifact, !artifact.isEmpty else {
            throw KubernetesRenderError(model: model.name, version: version.name, detail: "artifact: a URI is required (\(Self.schemesText))")
        }
        switch ArtifactReference.parse(artifact) {
        case .s3, .https, .clusterOnly:
            return
        case .repositoryFile, .repositoryDirectory:
            throw KubernetesRenderError(
                model: model.name, version: version.name,
                detail: "artifact: \"\(artifact)\" is a repository path, which a cluster cannot read; use a URI (\(Self.schemesText))")
        case .mlflow:
            throw KubernetesRenderError(
                model: model.name, version: version.name,
                detail: "artifact: models:/ is resolved by Sluice's local backend; give the version's storage URI (\(Self.schemesText))")
        case .unsupported(_, let reason):
            throw KubernetesRenderError(model: model.name, version: version.name, detail: "artifact: \(reason); expected \(Self.schemesText)")
        }
    }

    /// URI schemes a cluster fetches: those of KServe's storage initializer (v0.20
    /// `SupportedStorageURIPrefixList`) that validation accepts (plain http is refused).
    static let schemesText = "s3://, gs://, https://, pvc://, hf:// or oci://"

    /// The named runtime, or an error naming the version and what is missing.
    func runtime(of version: VersionRuntime, model: ModelRuntime) throws(KubernetesRenderError) -> RuntimeDefinition {
        guard let name = version.runtime else {
            throw KubernetesRenderError(model: model.name, version: version.name, detail: "runtime: a runtime name is required")
        }
        guard let definition = context.runtimes[name] else {
            let known = context.runtimes.keys.sorted().joined(separator: ", ")
            throw KubernetesRenderError(
                model: model.name, version: version.name,
                detail: "runtime: \"\(name)\" is not defined in the operator's config (runtimes: \(known.isEmpty ? "none" : known))")
        }
        return definition
    }

    /// Resources as written, with numeric quantities turned into strings (Kubernetes'
    /// `Quantity` is a string in the schema; `cpu: 1` means `"1"`).
    static func resources(_ value: JSONValue?) -> JSONValue? {
        guard let value else { return nil }
        guard case .object(let members) = value else { return value }
        return .object(members.map { key, section in
            guard case .object(let quantities) = section else { return (key, section) }
            return (key, .object(quantities.map { name, quantity in
                switch quantity {
                case .int(let number): return (name, .string(String(number)))
                case .number(let number): return (name, .string(number == number.rounded() ? String(Int(number)) : String(number)))
                default: return (name, quantity)
                }
            }))
        })
    }

    /// `{model}`, `{version}`, `{artifactUri}`, `{port}` and (when the runtime has one)
    /// `{grpcPort}` replaced in `text`. The config reader refuses `{grpcPort}` without a
    /// `grpcPort`, so it is never left in a rendered object.
    static func template(_ text: String, model: String, version: VersionRuntime, port: Int, grpcPort: Int? = nil) -> String {
        let filled = text.replacingOccurrences(of: "{model}", with: model)
            .replacingOccurrences(of: "{version}", with: version.name)
            .replacingOccurrences(of: "{artifactUri}", with: version.artifact ?? "")
            .replacingOccurrences(of: "{port}", with: String(port))
        guard let grpcPort else { return filled }
        return filled.replacingOccurrences(of: "{grpcPort}", with: String(grpcPort))
    }
}
