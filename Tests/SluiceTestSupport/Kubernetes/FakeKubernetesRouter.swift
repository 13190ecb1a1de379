import Foundation
import NIOHTTP1
import SluiceCore
import SluiceKubernetes

/// The PATCH body types kube-apiserver accepts (k8s.io/apimachinery/pkg/types/patch.go); the fake
/// serves apply and merge patches (strategic merge as a merge: lists replaced whole).
enum FakeKubernetesPatchType: String, Sendable {
    case apply = "application/apply-patch+yaml"
    case merge = "application/merge-patch+json"
    case strategicMerge = "application/strategic-merge-patch+json"
    case jsonPatch = "application/json-patch+json"
}

/// What the router decided: an answer, or a watch stream to open.
enum FakeKubernetesOutcome: Sendable {
    case answer(code: Int, body: JSONValue, headers: [(String, String)])
    case watch(FakeKubernetesWatchRequest)

    static func failure(_ failure: FakeKubernetesFailure) -> FakeKubernetesOutcome {
        .answer(code: failure.code, body: failure.status, headers: failure.headers)
    }
}

/// `?watch=1&resourceVersion=R&allowWatchBookmarks=true&labelSelector=…&timeoutSeconds=N` on a collection.
struct FakeKubernetesWatchRequest: Sendable {
    var kind: ResourceKind
    var namespace: String
    var selector: FakeKubernetesLabelSelector?
    var resourceVersion: String?
    var bookmarks: Bool
    var timeoutSeconds: Int?
}

/// Maps the REST paths kube-apiserver serves (k8s.io/apiserver/pkg/endpoints/installer.go) to the store:
/// `/api/v1`, `/apis`, `/apis/{group}/{version}` (discovery), and
/// `/api/v1/namespaces/{ns}/{plural}[/{name}]`, `/apis/{group}/{version}/namespaces/{ns}/{plural}[/{name}]`.
struct FakeKubernetesRouter: Sendable {
    let cluster: FakeKubernetesCluster

    func route(_ request: FakeKubernetesRequest) -> FakeKubernetesOutcome {
        do {
            return try dispatch(request)
        } catch {
            return .failure(error)
        }
    }

    private func dispatch(_ request: FakeKubernetesRequest) throws(FakeKubernetesFailure) -> FakeKubernetesOutcome {
        let segments = request.segments
        let served = cluster.options.servedGroupVersions
        var group = ""
        var version = ""
        var rest: ArraySlice<String>
        switch segments.first {
        case "version" where segments.count == 1:
            return .answer(code: 200, body: FakeKubernetesDiscovery.version, headers: [])
        case "api" where segments.count == 1:
            return .answer(code: 200, body: FakeKubernetesDiscovery.apiVersions, headers: [])
        case "api" where segments.count >= 2:
            version = segments[1]
            rest = segments.dropFirst(2)
        case "apis" where segments.count == 1:
            guard request.method == .GET else { throw .methodNotAllowed(nil, request.method) }
            return .answer(code: 200, body: FakeKubernetesDiscovery.groupList(served: served), headers: [])
        case "apis" where segments.count >= 3:
            group = segments[1]
            version = segments[2]
            rest = segments.dropFirst(3)
        default: throw .noSuchPath
        }
        let groupVersion = group.isEmpty ? version : "\(group)/\(version)"
        guard served.contains(groupVersion) else { throw .noSuchPath }
        if rest.isEmpty {
            guard request.method == .GET else { throw .methodNotAllowed(nil, request.method) }
            return .answer(code: 200, body: FakeKubernetesDiscovery.resourceList(groupVersion: groupVersion), headers: [])
        }
        let parts = Array(rest)
        guard parts.count >= 3, parts.count <= 4, parts[0] == "namespaces",
            let kind = FakeKubernetesCluster.kinds.first(where: { $0.group == group && $0.version == version && $0.plural == parts[2] })
        else { throw .noSuchPath }
        let namespace = parts[1]
        if parts.count == 3 { return try collection(kind, namespace: namespace, request) }
        return try object(kind, namespace: namespace, name: parts[3], request)
    }

    private func collection(_ kind: ResourceKind, namespace: String, _ request: FakeKubernetesRequest) throws(FakeKubernetesFailure) -> FakeKubernetesOutcome {
        switch request.method {
        case .GET:
            let selector = try request.query["labelSelector"].flatMap { text throws(FakeKubernetesFailure) in
                text.isEmpty ? nil : try FakeKubernetesLabelSelector(parsing: text)
            }
            if request.flag("watch") {
                return .watch(
                    FakeKubernetesWatchRequest(
                        kind: kind, namespace: namespace, selector: selector, resourceVersion: request.query["resourceVersion"],
                        bookmarks: request.flag("allowWatchBookmarks"),
                        // Bounded: an hour at most, like kube-apiserver's --min-request-timeout scale.
                        timeoutSeconds: request.query["timeoutSeconds"].flatMap { Int($0) }.map { min(max($0, 0), 3600) }))
            }
            return .answer(code: 200, body: cluster.list(kind, namespace: namespace, selector: selector), headers: [])
        case .POST:
            let body = try Self.json(request.body)
            let dryRun = try Self.dryRun(request)
            return .answer(code: 201, body: try cluster.create(kind, namespace: namespace, body: body, manager: request.updateManager, dryRun: dryRun), headers: [])
        default: throw .methodNotAllowed(kind, request.method)
        }
    }

    private func object(_ kind: ResourceKind, namespace: String, name: String, _ request: FakeKubernetesRequest) throws(FakeKubernetesFailure) -> FakeKubernetesOutcome {
        let dryRun = try Self.dryRun(request)
        switch request.method {
        case .GET:
            return .answer(code: 200, body: try cluster.get(kind, namespace: namespace, name: name), headers: [])
        case .PUT:
            let body = try Self.json(request.body)
            return .answer(
                code: 200, body: try cluster.replace(kind, namespace: namespace, name: name, body: body, manager: request.updateManager, dryRun: dryRun),
                headers: [])
        case .DELETE:
            let body = request.body.isEmpty ? nil : try Self.json(request.body)
            return .answer(code: 200, body: try cluster.delete(kind, namespace: namespace, name: name, body: body, dryRun: dryRun), headers: [])
        case .PATCH:
            return try patch(kind, namespace: namespace, name: name, request, dryRun: dryRun)
        default: throw .methodNotAllowed(kind, request.method)
        }
    }

    /// PATCH: server-side apply (`application/apply-patch+yaml`; `fieldManager` required) or a
    /// JSON merge patch (`application/merge-patch+json`; strategic merge is treated as a merge
    /// patch: lists replaced whole).
    private func patch(_ kind: ResourceKind, namespace: String, name: String, _ request: FakeKubernetesRequest, dryRun: Bool) throws(FakeKubernetesFailure) -> FakeKubernetesOutcome {
        let contentType = (request.headers.first(name: "Content-Type") ?? "").split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        guard let patchType = FakeKubernetesPatchType(rawValue: contentType) else { throw .unsupportedMediaType(contentType) }
        let body = try Self.json(request.body)
        switch patchType {
        case .apply:
            guard let manager = request.query["fieldManager"], !manager.isEmpty else {
                throw .badRequest("fieldManager is required for apply requests")
            }
            guard manager.count <= 128 else { throw .badRequest("fieldManager: Too long: may not be more than 128 bytes") }
            let (code, object) = try cluster.apply(
                kind, namespace: namespace, name: name, body: body, manager: manager, force: request.flag("force"), dryRun: dryRun)
            return .answer(code: code, body: object, headers: [])
        case .merge, .strategicMerge:
            guard !request.flag("force") else { throw .badRequest("force: Invalid value: true: may not be specified for non-apply patch") }
            let current = try cluster.get(kind, namespace: namespace, name: name)
            let patched = FakeKubernetesRouter.mergePatch(current, body)
            return .answer(
                code: 200, body: try cluster.replace(kind, namespace: namespace, name: name, body: patched, manager: request.updateManager, dryRun: dryRun),
                headers: [])
        case .jsonPatch:
            throw .unsupportedMediaType(contentType)
        }
    }

    /// RFC 7386 JSON merge patch: objects merge, `null` removes, anything else replaces.
    static func mergePatch(_ target: JSONValue, _ patch: JSONValue) -> JSONValue {
        guard let members = patch.fakeMembers else { return patch }
        var result = target.fakeMembers == nil ? JSONValue.object([]) : target
        for (key, value) in members {
            if value == .null {
                result.fakeRemove(key)
            } else {
                result.fakeSet(key, mergePatch(result[key] ?? .null, value))
            }
        }
        return result
    }

    /// The request body as JSON (a JSON body is valid YAML; the fake reads JSON only).
    static func json(_ bytes: [UInt8]) throws(FakeKubernetesFailure) -> JSONValue {
        do {
            return try JSONParser.parse(bytes)
        } catch {
            throw .badRequest("the body of the request could not be decoded (the fake API server reads JSON): \(error.description)")
        }
    }

    /// `dryRun=All` (the only value; anything else is a 400).
    static func dryRun(_ request: FakeKubernetesRequest) throws(FakeKubernetesFailure) -> Bool {
        guard let value = request.query["dryRun"] else { return false }
        guard value == "All" else { throw .badRequest("dryRun: Unsupported value: \"\(value)\": supported values: \"All\"") }
        return true
    }
}
