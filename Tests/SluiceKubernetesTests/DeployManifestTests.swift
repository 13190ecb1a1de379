import Foundation
import SluiceConfig
import SluiceCore
import Testing

/// deploy/kubernetes parsed, not applied (no cluster runs here): every file is YAML of a known
/// kind, the Role grants exactly the documented rules, and the ConfigMap's sluice.yaml loads
/// through the real config reader.
@Suite("deploy/kubernetes manifests (parsed only; never applied to a cluster)", .timeLimit(.minutes(10)))
struct DeployManifestTests {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let directory = packageRoot.appendingPathComponent("deploy/kubernetes")

    /// The rules docs/kubernetes.md documents: `apiGroup resource` → verbs.
    static let documentedRules: [String: Set<String>] = [
        "apps deployments": ["get", "list", "watch", "create", "patch", "delete"],
        "autoscaling horizontalpodautoscalers": ["get", "list", "watch", "create", "patch", "delete"],
        "core services": ["get", "list", "watch", "create", "patch", "delete"],
        "gateway.networking.k8s.io httproutes": ["get", "list", "watch", "create", "patch", "delete"],
        "gateway.networking.k8s.io grpcroutes": ["get", "list", "watch", "create", "patch", "delete"],
        "serving.kserve.io inferenceservices": ["get", "list", "watch", "create", "patch", "delete"],
        "core configmaps": ["get", "list", "watch", "create", "patch", "delete"],
        "coordination.k8s.io leases": ["get", "create", "update"],
    ]

    /// Every document of every YAML file, by file name.
    func documents() throws -> [(file: String, root: YAMLNode)] {
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.directory.path).filter { $0.hasSuffix(".yaml") }.sorted()
        return try names.flatMap { name in
            let path = Self.directory.appendingPathComponent(name).path
            let stream = YAMLComposer().compose(Array(try Data(contentsOf: URL(fileURLWithPath: path))), file: path)
            #expect(stream.diagnostics.isEmpty, "\(name): \(stream.diagnostics)")
            return stream.documents.map { (name, $0.root) }
        }
    }

    /// The single document of `kind`.
    func document(_ kind: String) throws -> YAMLNode {
        let found = try documents().filter { $0.root["kind"]?.scalar?.text == kind }
        #expect(found.count == 1, "\(kind): \(found.count) documents")
        return try #require(found.first?.root)
    }

    @Test("every file is YAML of a known kind, and the kustomization lists every other file")
    func everyFileParses() throws {
        let all = try documents()
        let kinds = Set(all.compactMap { $0.root["kind"]?.scalar?.text })
        #expect(
            kinds == ["Kustomization", "Namespace", "ServiceAccount", "Role", "RoleBinding", "ConfigMap", "Deployment", "Service", "NetworkPolicy"])
        let listed = Set(try document("Kustomization")["resources"]?.items?.compactMap { $0.scalar?.text } ?? [])
        #expect(listed == Set(all.map(\.file)).subtracting(["kustomization.yaml"]))
    }

    @Test("the Role grants exactly the documented resources and verbs, the same as the table in docs/kubernetes.md")
    func roleIsLeastPrivilege() throws {
        let role = try document("Role")
        var granted: [String: Set<String>] = [:]
        for rule in role["rules"]?.items ?? [] {
            let groups = rule["apiGroups"]?.items?.compactMap { $0.scalar?.text } ?? []
            let resources = rule["resources"]?.items?.compactMap { $0.scalar?.text } ?? []
            let verbs = Set(rule["verbs"]?.items?.compactMap { $0.scalar?.text } ?? [])
            #expect(rule["resourceNames"] == nil && rule["nonResourceURLs"] == nil)
            for group in groups {
                for resource in resources {
                    let key = "\(group.isEmpty ? "core" : group) \(resource)"
                    #expect(granted[key] == nil, "\(key) granted twice")
                    granted[key] = verbs
                }
            }
        }
        #expect(granted == Self.documentedRules)
        #expect(!granted.values.contains { $0.contains("*") })
        // The table in the operator guide says the same.
        let docs = try String(contentsOf: Self.packageRoot.appendingPathComponent("docs/kubernetes.md"), encoding: .utf8)
        let table = try #require(docs.components(separatedBy: "<!-- rbac:start -->").dropFirst().first?.components(separatedBy: "<!-- rbac:end -->").first)
        var documented: [String: Set<String>] = [:]
        for row in table.split(separator: "\n") where row.hasPrefix("| `") {
            let cells = row.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "`", with: "") }
            guard cells.count >= 3 else { continue }
            documented["\(cells[0]) \(cells[1])"] = Set(cells[2].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
        }
        #expect(documented == Self.documentedRules)
        // Bound in the models namespace to the controller's ServiceAccount.
        let binding = try document("RoleBinding")
        #expect(binding["metadata"]?["namespace"]?.scalar?.text == role["metadata"]?["namespace"]?.scalar?.text)
        #expect(binding["subjects"]?.items?.first?["name"]?.scalar?.text == "sluice")
    }

    @Test("the Deployment runs two non-root replicas with a read-only root, probes, the ConfigMap and secrets only by reference")
    func deploymentShape() throws {
        let deployment = try document("Deployment")
        #expect(deployment["spec"]?["replicas"]?.scalar?.text == "2")
        let pod = try #require(deployment["spec"]?["template"]?["spec"])
        #expect(pod["securityContext"]?["runAsNonRoot"]?.scalar?.text == "true")
        let container = try #require(pod["containers"]?.items?.first)
        #expect(container["args"]?.items?.map { $0.scalar?.text } == ["controller", "--config", "/etc/sluice/sluice.yaml"])
        #expect(container["securityContext"]?["readOnlyRootFilesystem"]?.scalar?.text == "true")
        #expect(container["securityContext"]?["allowPrivilegeEscalation"]?.scalar?.text == "false")
        #expect(container["readinessProbe"]?["httpGet"]?["path"]?.scalar?.text == "/v1/leader", "only the leader is ready, so the Service reaches the replica that acts")
        #expect(container["livenessProbe"] != nil)
        for variable in container["env"]?.items ?? [] {
            #expect(variable["value"] == nil, "\(variable["name"]?.scalar?.text ?? "?") has a literal value")
            #expect(variable["valueFrom"]?["secretKeyRef"] != nil)
        }
        let volumes = pod["volumes"]?.items ?? []
        #expect(volumes.contains { $0["configMap"]?["name"]?.scalar?.text == "sluice-config" })
    }

    @Test("the ConfigMap's sluice.yaml loads through the real config reader: a kubernetes backend, in-cluster, leader election")
    func configMapLoads() throws {
        let text = try #require(try document("ConfigMap")["data"]?["sluice.yaml"]?.scalar?.text)
        let config = try SluiceConfiguration.parse(Array(text.utf8), file: "configmap.yaml#sluice.yaml", baseDirectory: "/etc/sluice")
        guard case .kubernetes(let backend) = try config.controller().backend else {
            Issue.record("not a kubernetes backend")
            return
        }
        #expect(backend.namespace == "models")
        #expect(backend.connection == .inCluster)
        #expect(backend.leaderElection != nil)
        #expect(try config.controller().prometheus?.builtinMetrics == .prometheus)
        #expect(config.serve.runtimes["mlserver"]?.kubernetes?.image.isEmpty == false)
        // The Role is granted in the namespace the backend writes to.
        #expect(try document("Role")["metadata"]?["namespace"]?.scalar?.text == backend.namespace)
    }

    @Test("the NetworkPolicy admits only the models namespace to the controller's port")
    func networkPolicy() throws {
        let policy = try document("NetworkPolicy")
        let rules = policy["spec"]?["ingress"]?.items ?? []
        #expect(rules.count == 1)
        #expect(rules.first?["from"]?.items?.first?["namespaceSelector"]?["matchLabels"]?["kubernetes.io/metadata.name"]?.scalar?.text == "models")
        #expect(rules.first?["ports"]?.items?.first?["port"]?.scalar?.text == "8090")
    }
}
