import SluiceCore
import SluiceKubernetes

/// Discovery documents (`APIGroupList`, `APIResourceList`) for the served group versions, in the
/// shape of k8s.io/apimachinery/pkg/apis/meta/v1 types.go.
enum FakeKubernetesDiscovery {
    /// Every group version the fake can serve.
    static let allGroupVersions: Set<String> = Set(FakeKubernetesCluster.kinds.map(\.apiVersion))

    static let shortNames: [String: [String]] = ["deployments": ["deploy"], "services": ["svc"], "inferenceservices": ["isvc"], "configmaps": ["cm"], "events": ["ev"], "horizontalpodautoscalers": ["hpa"]]

    /// `GET /version` (the fake names itself in gitVersion).
    static let version = JSONValue.object([
        ("major", .string("1")), ("minor", .string("31")), ("gitVersion", .string("v1.31.0-sluice-fake")),
        ("platform", .string("linux/amd64")),
    ])

    /// `GET /api`.
    static let apiVersions = JSONValue.object([
        ("kind", .string("APIVersions")), ("versions", .array([.string("v1")])),
        ("serverAddressByClientCIDRs", .array([.object([("clientCIDR", .string("0.0.0.0/0")), ("serverAddress", .string("127.0.0.1"))])])),
    ])

    /// `GET /apis`.
    static func groupList(served: Set<String>) -> JSONValue {
        let groups: [JSONValue] = Set(FakeKubernetesCluster.kinds.filter { !$0.group.isEmpty && served.contains($0.apiVersion) }.map(\.group))
            .sorted().map { group in
                let version = FakeKubernetesCluster.kinds.first { $0.group == group }?.version ?? "v1"
                let preferred = JSONValue.object([("groupVersion", .string("\(group)/\(version)")), ("version", .string(version))])
                return .object([("name", .string(group)), ("versions", .array([preferred])), ("preferredVersion", preferred)])
            }
        return .object([("kind", .string("APIGroupList")), ("apiVersion", .string("v1")), ("groups", .array(groups))])
    }

    /// `GET /api/v1` or `/apis/{group}/{version}`.
    static func resourceList(groupVersion: String) -> JSONValue {
        var resources: [JSONValue] = []
        for kind in FakeKubernetesCluster.kinds where kind.apiVersion == groupVersion {
            let verbs: [JSONValue] = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"].map { .string($0) }
            var members: [(String, JSONValue)] = [
                ("name", .string(kind.plural)), ("singularName", .string(kind.kind.lowercased())), ("namespaced", .bool(true)),
                ("kind", .string(kind.kind)), ("verbs", .array(verbs)),
            ]
            if let names = shortNames[kind.plural] { members.append(("shortNames", .array(names.map { .string($0) }))) }
            resources.append(.object(members))
            if FakeKubernetesCluster.hasGeneration(kind) || kind == .service {
                resources.append(
                    .object([
                        ("name", .string("\(kind.plural)/status")), ("singularName", .string("")), ("namespaced", .bool(true)),
                        ("kind", .string(kind.kind)), ("verbs", .array(["get", "patch", "update"].map { .string($0) })),
                    ]))
            }
        }
        return .object([
            ("kind", .string("APIResourceList")), ("apiVersion", .string("v1")), ("groupVersion", .string(groupVersion)),
            ("resources", .array(resources)),
        ])
    }
}
