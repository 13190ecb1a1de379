import NIOHTTP1
import SluiceKubernetes

/// A scripted failure: the next `count` requests whose method and path match answer `status`.
struct FakeKubernetesFault: Sendable {
    var method: HTTPMethod?
    var pathContains: String
    var status: Int
    var remaining: Int

    func matches(method: HTTPMethod, path: String) -> Bool {
        (self.method == nil || self.method == method) && (pathContains.isEmpty || path.contains(pathContains))
    }
}

/// A validating webhook that denies every write of one kind (dry runs included: admission runs on them).
struct FakeKubernetesRejection: Sendable {
    var webhook: String
    var message: String
    var code: Int
}

/// The RBAC verb kube-apiserver checks for a request (k8s.io/apiserver/pkg/endpoints/request/requestinfo.go).
enum FakeKubernetesVerb {
    static func of(method: HTTPMethod, hasName: Bool, watch: Bool) -> String {
        switch method {
        case .GET: return watch ? "watch" : (hasName ? "get" : "list")
        case .POST: return "create"
        case .PUT: return "update"
        case .PATCH: return "patch"
        case .DELETE: return hasName ? "delete" : "deletecollection"
        default: return method.rawValue.lowercased()
        }
    }
}
