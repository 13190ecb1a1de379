import NIOHTTP1
import SluiceKubernetes

/// A scripted failure: the next `count` requests whose method and path match answer `status`,
/// or are never answered.
struct FakeKubernetesFault: Sendable {
    enum Effect: Sendable {
        /// The upstream Status for this code.
        case status(Int)
        /// No answer at all: the request is read and the connection left open (a request lost
        /// on the way, or a server wedged behind it).
        case silence
    }

    var method: HTTPMethod?
    var pathContains: String
    var effect: Effect
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
