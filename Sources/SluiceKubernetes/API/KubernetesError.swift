/// Why a Kubernetes API call failed. The kind is what callers act on; the detail is for
/// people and never holds a token.
public struct KubernetesError: Error, Sendable, Hashable, CustomStringConvertible {
    public var kind: Kind
    /// What happened: the method, path and the API server's `Status.message`.
    public var detail: String

    public init(_ kind: Kind, _ detail: String) {
        self.kind = kind
        self.detail = detail
    }

    public var description: String {
        switch kind {
        case .unauthorized:
            return "\(detail) (401: the credentials were refused; check the token or client certificate in the kubeconfig or service account)"
        case .forbidden:
            return "\(detail) (403: the identity lacks an RBAC permission; deploy/kubernetes/role.yaml lists exactly what Sluice needs)"
        default:
            return detail
        }
    }

    /// What kind of failure it was.
    public enum Kind: Sendable, Hashable {
        /// No answer: refused, reset, timed out, or a TLS failure.
        case unreachable
        /// 401: the credentials were refused.
        case unauthorized
        /// 403: RBAC denies the verb on the resource.
        case forbidden
        /// 404: no such object, or the API group is not served.
        case notFound
        /// 409: a conflict (another field manager, an optimistic-concurrency loss, an existing object).
        case conflict
        /// 410: the resourceVersion is too old to watch from; relist.
        case gone
        /// 422 (invalid) or 400: the object was refused by validation or admission.
        case invalid(status: Int)
        /// 429 or 5xx: the server is overloaded or failing; retry later.
        case unavailable(status: Int)
        /// An answer that is not the expected document.
        case unreadable
        /// The object exists but Sluice did not create it, so it is never overwritten.
        case notOwned
    }
}
