import NIOCore
import NIOHTTP1
import SluiceCore

extension KubernetesClient {
    /// The most list pages followed (×``pageSize`` objects).
    static let maximumListPages = 1000

    /// How many times a 409 on server-side apply is retried.
    static let applyConflictRetries = 3

    /// Server-side apply: `PATCH objectPath?fieldManager=sluice&force=true&fieldValidation=Strict[&dryRun=All]`,
    /// `Content-Type: application/apply-patch+yaml` with the object as JSON (which is YAML).
    /// A 409 is retried up to ``applyConflictRetries`` times with jittered backoff.
    /// - Parameter fieldManager: who owns the applied fields; `sluice` except for a hand-over
    ///   of a field to another owner (a Deployment's replicas to its HPA).
    /// - Returns: the object as the server stored it (or would have, for a dry run).
    public func apply(
        _ object: KubernetesObject, dryRun: Bool = false, fieldManager: String = KubernetesLabels.managerName
    ) async throws(KubernetesError) -> KubernetesObject {
        let (kind, namespace, name) = try Self.address(of: object)
        let path = kind.objectPath(namespace: namespace, name: name)
        var query = [("fieldManager", fieldManager), ("force", "true"), ("fieldValidation", "Strict")]
        if dryRun { query.append(("dryRun", "All")) }
        let body = Array(object.json.serialized().utf8)
        var conflicts = 0
        while true {
            let answer = try await send(.PATCH, path, query: query, body: body, contentType: "application/apply-patch+yaml")
            if answer.status.code == 409, conflicts < Self.applyConflictRetries {
                conflicts += 1
                let base = 0.05 * Double(1 << conflicts)
                do { try await Task.sleep(for: .seconds(base * Double.random(in: 0.5...1.5))) } catch {
                    throw KubernetesError(.unreachable, "PATCH \(path): cancelled")
                }
                continue
            }
            return try Self.decodedObject(answer, .PATCH, path)
        }
    }

    /// The object, or nil when there is none (404).
    public func get(_ kind: ResourceKind, namespace: String, name: String) async throws(KubernetesError) -> KubernetesObject? {
        let path = kind.objectPath(namespace: try Self.checkedName(namespace, "namespace"), name: try Self.checkedName(name, "\(kind.kind) name"))
        let answer = try await send(.GET, path)
        if answer.status.code == 404 { return nil }
        return KubernetesObject(Self.typed(try Self.decodedObject(answer, .GET, path).json, as: kind))
    }

    /// Every object of `kind` in `namespace` matching `labelSelector`, read page by page, with
    /// the collection's resourceVersion to watch from. Items get `apiVersion` and `kind`.
    public func list(_ kind: ResourceKind, namespace: String, labelSelector: String?) async throws(KubernetesError) -> KubernetesList {
        let path = kind.collectionPath(namespace: try Self.checkedName(namespace, "namespace"))
        var items: [KubernetesObject] = []
        var resourceVersion = ""
        var next: String?
        var pages = 0
        repeat {
            // A server that never stops paging (or repeats its continue token) is not followed forever.
            pages += 1
            guard pages <= Self.maximumListPages else {
                throw KubernetesError(.unreadable, "GET \(path): the list did not end within \(Self.maximumListPages) pages")
            }
            var query = [("limit", String(Self.pageSize))]
            if let labelSelector { query.append(("labelSelector", labelSelector)) }
            if let next { query.append(("continue", next)) }
            let page = try Self.decodedObject(try await send(.GET, path, query: query), .GET, path)
            let entries: [JSONValue]
            switch page["items"] {
            case nil, .null?: entries = []
            case let value?:
                guard let array = value.arrayValue else { throw KubernetesError(.unreadable, "GET \(path): the answer's items is not a list") }
                entries = array
            }
            for entry in entries {
                guard case .object = entry, entry["metadata"]?["name"]?.stringValue != nil else {
                    throw KubernetesError(.unreadable, "GET \(path): an item has no metadata.name")
                }
                items.append(KubernetesObject(Self.typed(entry, as: kind)))
            }
            resourceVersion = page["metadata", "resourceVersion"]?.stringValue ?? ""
            next = page["metadata", "continue"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
        } while next != nil
        return KubernetesList(items: items, resourceVersion: resourceVersion)
    }

    /// `POST` to the collection; a 409 (it exists) is `.conflict`, not retried.
    public func create(_ object: KubernetesObject) async throws(KubernetesError) -> KubernetesObject {
        let (kind, namespace, _) = try Self.address(of: object)
        let path = kind.collectionPath(namespace: namespace)
        return try Self.decodedObject(try await send(.POST, path, body: Array(object.json.serialized().utf8)), .POST, path)
    }

    /// `PUT` of the whole object. Optimistic: with `metadata.resourceVersion` set, a newer
    /// stored object answers 409, `.conflict`, which is not retried.
    public func replace(_ object: KubernetesObject) async throws(KubernetesError) -> KubernetesObject {
        let (kind, namespace, name) = try Self.address(of: object)
        let path = kind.objectPath(namespace: namespace, name: name)
        return try Self.decodedObject(try await send(.PUT, path, body: Array(object.json.serialized().utf8)), .PUT, path)
    }

    /// Deletes the object (background propagation); with `uid`, only that incarnation of it.
    /// An object already gone (404) counts as deleted.
    public func delete(_ kind: ResourceKind, namespace: String, name: String, uid: String?) async throws(KubernetesError) {
        let path = kind.objectPath(namespace: try Self.checkedName(namespace, "namespace"), name: try Self.checkedName(name, "\(kind.kind) name"))
        var options: [(String, JSONValue)] = [
            ("apiVersion", .string("v1")), ("kind", .string("DeleteOptions")), ("propagationPolicy", .string("Background")),
        ]
        if let uid { options.append(("preconditions", .object([("uid", .string(uid))]))) }
        let answer = try await send(.DELETE, path, body: Array(JSONValue.object(options).serialized().utf8))
        if answer.status.code == 404 { return }
        guard (200..<300).contains(answer.status.code) else { throw Self.error(status: answer.status, body: answer.body, method: .DELETE, path: path) }
    }

    /// Whether the server serves `group/version` (discovery `GET /apis/group/version`); 404 → false.
    public func serves(group: String, version: String) async throws(KubernetesError) -> Bool {
        let checkedVersion = try Self.checkedName(version, "API version")
        let path = group.isEmpty ? "/api/\(checkedVersion)" : "/apis/\(try Self.checkedName(group, "API group"))/\(checkedVersion)"
        let answer = try await send(.GET, path)
        if answer.status.code == 404 { return false }
        _ = try Self.decodedObject(answer, .GET, path)
        return true
    }

    /// The object of a 2xx answer, or the error a non-2xx answer means.
    static func decodedObject(_ answer: Answer, _ method: HTTPMethod, _ path: String) throws(KubernetesError) -> KubernetesObject {
        guard (200..<300).contains(answer.status.code) else { throw error(status: answer.status, body: answer.body, method: method, path: path) }
        return try object(answer.body, method: method, path: path)
    }
}
