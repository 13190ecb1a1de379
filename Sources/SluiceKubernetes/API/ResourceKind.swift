/// A Kubernetes resource type Sluice reads or writes, with the pieces of its REST path.
public struct ResourceKind: Sendable, Hashable, CustomStringConvertible {
    /// The API group; empty for the core group (`v1` Services).
    public var group: String
    public var version: String
    /// The plural resource name in paths (`deployments`).
    public var plural: String
    /// The `kind` of its objects (`Deployment`).
    public var kind: String

    public init(group: String, version: String, plural: String, kind: String) {
        self.group = group
        self.version = version
        self.plural = plural
        self.kind = kind
    }

    /// `apiVersion` of its objects: `v1` or `group/version`.
    public var apiVersion: String { group.isEmpty ? version : "\(group)/\(version)" }

    /// The collection path in `namespace` (`/apis/apps/v1/namespaces/models/deployments`).
    public func collectionPath(namespace: String) -> String {
        let root = group.isEmpty ? "/api/\(version)" : "/apis/\(group)/\(version)"
        return "\(root)/namespaces/\(namespace)/\(plural)"
    }

    /// The path of one object.
    public func objectPath(namespace: String, name: String) -> String {
        "\(collectionPath(namespace: namespace))/\(name)"
    }

    public var description: String { group.isEmpty ? plural : "\(plural).\(group)" }

    public static let deployment = ResourceKind(group: "apps", version: "v1", plural: "deployments", kind: "Deployment")
    public static let service = ResourceKind(group: "", version: "v1", plural: "services", kind: "Service")
    public static let httpRoute = ResourceKind(group: "gateway.networking.k8s.io", version: "v1", plural: "httproutes", kind: "HTTPRoute")
    /// A model's gRPC routes (runtimes with a `grpcPort`); same group and version as the HTTPRoute.
    public static let grpcRoute = ResourceKind(group: "gateway.networking.k8s.io", version: "v1", plural: "grpcroutes", kind: "GRPCRoute")
    public static let inferenceService = ResourceKind(
        group: "serving.kserve.io", version: "v1beta1", plural: "inferenceservices", kind: "InferenceService")
    public static let horizontalPodAutoscaler = ResourceKind(
        group: "autoscaling", version: "v2", plural: "horizontalpodautoscalers", kind: "HorizontalPodAutoscaler")
    public static let configMap = ResourceKind(group: "", version: "v1", plural: "configmaps", kind: "ConfigMap")
    public static let lease = ResourceKind(group: "coordination.k8s.io", version: "v1", plural: "leases", kind: "Lease")
    public static let event = ResourceKind(group: "events.k8s.io", version: "v1", plural: "events", kind: "Event")

    /// The kind of `object`, when it is one Sluice knows.
    public static func of(_ object: KubernetesObject) -> ResourceKind? {
        [deployment, service, httpRoute, grpcRoute, inferenceService, horizontalPodAutoscaler, configMap, lease].first { $0.apiVersion == object.apiVersion && $0.kind == object.kind }
    }
}
