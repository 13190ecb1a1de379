import SluiceCore
import SluiceKubernetes

/// The request log and scripted faults.
extension FakeKubernetesCluster {
    /// Counts and logs a request (bounded: the newest 100,000 entries).
    func record(_ request: FakeKubernetesRequest) {
        state.withLockedValue { state in
            state.requestCount += 1
            state.requestLog.append(FakeKubernetesRequestRecord(method: request.method.rawValue, path: request.path, query: request.query))
            if state.requestLog.count > 100_000 { state.requestLog.removeFirst(state.requestLog.count - 100_000) }
        }
    }

    /// What a matching `failNext` or `silenceNext` scripted for this request, if anything
    /// (consumed): the failure to answer, or nil inside `.some` for no answer at all.
    func scriptedFault(for request: FakeKubernetesRequest) -> FakeKubernetesFailure?? {
        let fault: FakeKubernetesFault? = state.withLockedValue { state in
            guard let index = state.faults.firstIndex(where: { $0.matches(method: request.method, path: request.path) }) else { return nil }
            let fault = state.faults[index]
            state.faults[index].remaining -= 1
            if state.faults[index].remaining <= 0 { state.faults.remove(at: index) }
            return fault
        }
        switch fault?.effect {
        case nil: return nil
        case .silence: return .some(nil)
        case .status(let status): return failure(status: status, for: request)
        }
    }

    /// The upstream answer for `status` on this request (403 in the RBAC authorizer's wording).
    func failure(status: Int, for request: FakeKubernetesRequest) -> FakeKubernetesFailure {
        let target = Self.target(of: request)
        switch status {
        case 401: return .unauthorized
        case 403:
            guard let target else { return FakeKubernetesFailure(code: 403, reason: "Forbidden", message: "forbidden: User \"\(options.user)\" cannot \(request.method.rawValue.lowercased()) path \"\(request.path)\"") }
            let verb = FakeKubernetesVerb.of(method: request.method, hasName: target.name != nil, watch: request.flag("watch"))
            return .forbidden(target.kind, name: target.name, verb: verb, namespace: target.namespace, user: options.user)
        case 404: return target.map { .notFound($0.kind, $0.name ?? "") } ?? .noSuchPath
        case 409: return target.map { .modified($0.kind, $0.name ?? "") } ?? FakeKubernetesFailure(code: 409, reason: "Conflict", message: "conflict")
        case 410: return .expired(requested: Int(request.query["resourceVersion"] ?? "") ?? 0, oldest: state.withLockedValue { $0.resourceVersion })
        case 422: return target.map { .invalid($0.kind, $0.name ?? "", field: "spec", detail: "Invalid value: injected by the fake API server") } ?? .badRequest("invalid")
        case 429: return .tooManyRequests
        case 503: return .unavailable("the server is currently unable to handle the request")
        case 500: return .internalError("injected by the fake API server")
        default: return FakeKubernetesFailure(code: status, reason: "", message: "injected by the fake API server")
        }
    }

    /// The kind, namespace and name a resource path addresses.
    static func target(of request: FakeKubernetesRequest) -> (kind: ResourceKind, namespace: String, name: String?)? {
        let segments = request.segments
        let base: Int
        let group: String
        let version: String
        if segments.first == "api", segments.count >= 2 {
            (group, version, base) = ("", segments[1], 2)
        } else if segments.first == "apis", segments.count >= 3 {
            (group, version, base) = (segments[1], segments[2], 3)
        } else {
            return nil
        }
        guard segments.count >= base + 3, segments[base] == "namespaces",
            let kind = kinds.first(where: { $0.group == group && $0.version == version && $0.plural == segments[base + 2] })
        else { return nil }
        return (kind, segments[base + 1], segments.count > base + 3 ? segments[base + 3] : nil)
    }
}
