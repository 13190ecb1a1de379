import SluiceConfig
import SluiceCore

/// Reads what runs for a model from the cluster's cached objects, per the driver's
/// readiness rules. Pure: the caller supplies the objects (from its informers).
public struct ObservedStateReader: Sendable {
    /// The backend settings and runtimes the objects were rendered with.
    public var context: KubernetesRenderContext

    public init(context: KubernetesRenderContext) {
        self.context = context
    }

    /// What runs for `model`, from the cached objects of the model (any kinds), per the driver's readiness rules;
    /// versions of `model` with no object are `.missing`; messages say why not ready (e.g. "HTTPRoute not Accepted: NotAllowedByListeners").
    public func observed(model: ModelRuntime, objects: [KubernetesObject]) -> ObservedModel {
        let versions: [ObservedVersion] = switch context.driver {
        case .gatewayAPI: gatewayAPIVersions(model: model, objects: objects)
        case .kserve: kserveVersions(model: model, objects: objects)
        }
        return Self.model(model, versions: versions)
    }

    /// The model with effective weights: the configured weights over the ready versions
    /// (an unready version's share goes to the ready ones, as the local data plane does).
    static func model(_ model: ModelRuntime, versions: [ObservedVersion]) -> ObservedModel {
        let ready = Set(versions.filter { $0.ready == true }.map(\.name))
        let total = model.route.weights.filter { ready.contains($0.key) }.values.reduce(0, +)
        var effective: [String: Double] = [:]
        for (name, weight) in model.route.weights where ready.contains(name) && total > 0 {
            effective[name] = Double(weight) * 100 / Double(total)
        }
        let marked = versions.map { version -> ObservedVersion in
            var version = version
            version.serving = (effective[version.name] ?? 0) > 0
            return version
        }
        return ObservedModel(
            name: model.name, ready: !effective.isEmpty, weights: model.route.weights, effectiveWeights: effective, versions: marked)
    }

    /// The object of `kind` named `name`, when cached.
    static func find(_ kind: ResourceKind, named name: String, in objects: [KubernetesObject]) -> KubernetesObject? {
        objects.first { $0.name == name && $0.kind == kind.kind && $0.apiVersion == kind.apiVersion }
    }

    /// A status condition by type (`status.conditions[]`).
    static func condition(_ type: String, in conditions: JSONValue?) -> Condition? {
        guard let item = conditions?.arrayValue?.first(where: { $0["type"]?.stringValue == type }) else { return nil }
        return Condition(
            status: item["status"]?.stringValue ?? "Unknown", reason: item["reason"]?.stringValue,
            message: item["message"]?.stringValue, observedGeneration: item["observedGeneration"]?.intValue)
    }

    /// One Kubernetes condition, as far as readiness needs it.
    struct Condition {
        var status: String
        var reason: String?
        var message: String?
        var observedGeneration: Int?

        var isTrue: Bool { status == "True" }

        /// `Reason` or `Reason (message)` for status messages.
        var why: String {
            let reason = reason ?? "status \(status)"
            guard let message, !message.isEmpty else { return reason }
            return "\(reason) (\(message.prefix(200)))"
        }
    }
}
