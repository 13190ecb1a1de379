import Foundation
import Yams

/// One context of a kubeconfig file, resolved: its cluster and user entries, and the file's
/// directory that relative paths in them start from. Only what Sluice uses is read; what it
/// cannot honour (exec plugins, auth providers, basic auth) is refused by name.
struct Kubeconfig {
    /// The file, for errors.
    var path: String
    /// The context used.
    var contextName: String
    /// `contexts[].context.namespace`.
    var namespace: String?
    /// `clusters[].name` of the context.
    var clusterName: String
    /// `clusters[].cluster`.
    var cluster: Node
    /// `users[].name` of the context.
    var userName: String
    /// `users[].user` (empty for a context without a user).
    var user: Node

    /// Parses `path` and selects `context` (nil: `current-context`).
    static func load(path: String, context: String?) throws(KubernetesError) -> Kubeconfig {
        let bytes = try CredentialFile.read(path, limit: CredentialFile.kubeconfigLimit, what: "kubeconfig")
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: String(decoding: bytes, as: UTF8.self)), node.mapping != nil else {
                throw KubernetesError(.unreadable, "kubeconfig \(path) is not a YAML mapping with clusters, users and contexts")
            }
            root = node
        } catch let error as KubernetesError {
            throw error
        } catch {
            // Yams' message names the line and the problem, not the content.
            throw KubernetesError(.unreadable, "kubeconfig \(path) is not valid YAML: \(Self.syntaxMessage(error))")
        }
        let fail = { (message: String) in KubernetesError(.unreadable, "kubeconfig \(path): \(message)") }
        guard let name = context ?? root["current-context"]?.string, !name.isEmpty else {
            throw fail("no context given and no current-context set; set backend.context")
        }
        let contexts = try entries(root, "contexts", path: path)
        guard let contextEntry = contexts[name] else {
            let known = contexts.keys.sorted().map { "'\($0)'" }.joined(separator: ", ")
            throw fail("no context named '\(name)' (contexts: \(known.isEmpty ? "none" : known))")
        }
        guard let clusterName = contextEntry["cluster"]?.string, !clusterName.isEmpty else {
            throw fail("context '\(name)' names no cluster")
        }
        guard let cluster = try entries(root, "clusters", path: path)[clusterName] else {
            throw fail("context '\(name)' names cluster '\(clusterName)', which is not in clusters")
        }
        var user = Node.mapping([:])
        let userName = contextEntry["user"]?.string ?? ""
        if !userName.isEmpty {
            guard let found = try entries(root, "users", path: path)[userName] else {
                throw fail("context '\(name)' names user '\(userName)', which is not in users")
            }
            user = found
        }
        let namespace = contextEntry["namespace"]?.string
        return Kubeconfig(
            path: path, contextName: name, namespace: namespace?.isEmpty == true ? nil : namespace, clusterName: clusterName,
            cluster: cluster, userName: userName, user: user)
    }

    /// `section` (`clusters`, `users`, `contexts`): a list of `{name, <singular>: {…}}`, by name.
    private static func entries(_ root: Node, _ section: String, path: String) throws(KubernetesError) -> [String: Node] {
        guard let node = root[section] else { return [:] }
        // `users: null` (or `users:`) is an empty list, as kubectl writes it.
        if let scalar = node.scalar, ["", "null", "~"].contains(scalar.string) { return [:] }
        guard let items = node.sequence else {
            throw KubernetesError(.unreadable, "kubeconfig \(path): \(section) is not a list")
        }
        let singular = String(section.dropLast())
        var found: [String: Node] = [:]
        for item in items {
            guard let name = item["name"]?.string else {
                throw KubernetesError(.unreadable, "kubeconfig \(path): an entry of \(section) has no name")
            }
            let body = item[singular] ?? .mapping([:])
            guard body.mapping != nil else {
                throw KubernetesError(.unreadable, "kubeconfig \(path): \(section) entry '\(name)' has no \(singular) mapping")
            }
            // kubectl keeps the first of duplicate names.
            if found[name] == nil { found[name] = body }
        }
        return found
    }

    /// The position and problem of a YAML error, without the text around it.
    private static func syntaxMessage(_ error: any Error) -> String {
        guard let yamlError = error as? YamlError else { return "unparsable" }
        switch yamlError {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _), .composer(_, let problem, let mark, _):
            return "\(problem) at line \(mark.line), column \(mark.column)"
        default:
            return "unparsable"
        }
    }

    /// A path from the file made absolute against the kubeconfig's directory.
    func resolve(_ file: String) -> String {
        let expanded = (file as NSString).expandingTildeInPath
        if expanded.hasPrefix("/") { return expanded }
        return URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent(expanded).path
    }
}
