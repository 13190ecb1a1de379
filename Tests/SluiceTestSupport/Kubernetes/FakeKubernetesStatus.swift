import NIOHTTP1
import SluiceCore
import SluiceKubernetes

/// An error answer of the fake API server: always a `meta/v1` `Status` with the upstream
/// reason and wording, as built by k8s.io/apimachinery/pkg/api/errors/errors.go
/// (kubernetes/kubernetes, staging/src/k8s.io/apimachinery/pkg/api/errors/errors.go).
struct FakeKubernetesFailure: Error, Sendable {
    var code: Int
    var reason: String
    var message: String
    var details: JSONValue = .object([])
    var headers: [(String, String)] = []

    /// The `Status` document.
    var status: JSONValue {
        .object([
            ("kind", .string("Status")), ("apiVersion", .string("v1")), ("metadata", .object([])),
            ("status", .string("Failure")), ("message", .string(message)), ("reason", .string(reason)),
            ("details", details), ("code", .int(code)),
        ])
    }

    /// `{kind: plural, group, name}` as `errors.go` fills `StatusDetails` (kind is the resource).
    static func details(_ kind: ResourceKind, name: String?, causes: [JSONValue] = []) -> JSONValue {
        var members: [(String, JSONValue)] = []
        if let name { members.append(("name", .string(name))) }
        if !kind.group.isEmpty { members.append(("group", .string(kind.group))) }
        members.append(("kind", .string(kind.plural)))
        if !causes.isEmpty { members.append(("causes", .array(causes))) }
        return .object(members)
    }

    /// `deployments.apps "x"`: how `errors.go` names a resource (`qualifiedResource.String()`).
    static func qualified(_ kind: ResourceKind, _ name: String) -> String {
        "\(kind.description) \"\(name)\""
    }

    /// NewUnauthorized: 401 for a missing or wrong bearer token.
    static let unauthorized = FakeKubernetesFailure(code: 401, reason: "Unauthorized", message: "Unauthorized")

    /// NewNotFound: 404 `deployments.apps "x" not found`.
    static func notFound(_ kind: ResourceKind, _ name: String) -> FakeKubernetesFailure {
        FakeKubernetesFailure(code: 404, reason: "NotFound", message: "\(qualified(kind, name)) not found", details: details(kind, name: name))
    }

    /// What the server answers for a path it does not serve (an API group not installed).
    static let noSuchPath = FakeKubernetesFailure(code: 404, reason: "NotFound", message: "the server could not find the requested resource")

    /// NewAlreadyExists: 409 on a create of an existing name.
    static func alreadyExists(_ kind: ResourceKind, _ name: String) -> FakeKubernetesFailure {
        FakeKubernetesFailure(code: 409, reason: "AlreadyExists", message: "\(qualified(kind, name)) already exists", details: details(kind, name: name))
    }

    /// NewConflict with `registry.OptimisticLockErrorMsg`: 409 on a stale resourceVersion.
    static func modified(_ kind: ResourceKind, _ name: String) -> FakeKubernetesFailure {
        FakeKubernetesFailure(
            code: 409, reason: "Conflict",
            message: "Operation cannot be fulfilled on \(qualified(kind, name)): the object has been modified; please apply your changes to the latest version and try again",
            details: details(kind, name: name))
    }

    /// A failed UID precondition (k8s.io/apiserver storage `NewInvalidObjError` → Conflict).
    static func uidPrecondition(_ kind: ResourceKind, _ name: String, wanted: String, actual: String) -> FakeKubernetesFailure {
        FakeKubernetesFailure(
            code: 409, reason: "Conflict",
            message: "Operation cannot be fulfilled on \(qualified(kind, name)): Precondition failed: UID in precondition: \(wanted), UID in object meta: \(actual)",
            details: details(kind, name: name))
    }

    /// NewBadRequest: 400.
    static func badRequest(_ message: String) -> FakeKubernetesFailure {
        FakeKubernetesFailure(code: 400, reason: "BadRequest", message: message)
    }

    /// NewMethodNotSupported: 405.
    static func methodNotAllowed(_ kind: ResourceKind?, _ method: HTTPMethod) -> FakeKubernetesFailure {
        FakeKubernetesFailure(
            code: 405, reason: "MethodNotAllowed", message: "\(method.rawValue) is not supported on resources of kind \"\(kind?.description ?? "unknown")\"")
    }

    /// NewUnsupportedMediaType: 415, e.g. a PATCH of an unknown Content-Type.
    static func unsupportedMediaType(_ contentType: String) -> FakeKubernetesFailure {
        FakeKubernetesFailure(code: 415, reason: "UnsupportedMediaType", message: "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml (got \(contentType))")
    }

    /// NewRequestEntityTooLargeError: 413 over the body cap.
    static func tooLarge(limit: Int) -> FakeKubernetesFailure {
        FakeKubernetesFailure(code: 413, reason: "RequestEntityTooLarge", message: "Request entity too large: limit is \(limit)")
    }

    /// NewResourceExpired: 410 for a watch from a compacted resourceVersion
    /// (k8s.io/apiserver/pkg/storage/cacher/watch_cache.go: "too old resource version: %d (%d)").
    static func expired(requested: Int, oldest: Int) -> FakeKubernetesFailure {
        FakeKubernetesFailure(code: 410, reason: "Expired", message: "too old resource version: \(requested) (\(oldest))")
    }

    /// NewForbidden with the RBAC authorizer's reason, as kube-apiserver words a denied verb:
    /// `deployments.apps "x" is forbidden: User "…" cannot patch resource "deployments" in API group "apps" in the namespace "models"`.
    static func forbidden(_ kind: ResourceKind, name: String?, verb: String, namespace: String, user: String) -> FakeKubernetesFailure {
        let subject = name.map { qualified(kind, $0) } ?? kind.description
        let message = "\(subject) is forbidden: User \"\(user)\" cannot \(verb) resource \"\(kind.plural)\" in API group \"\(kind.group)\" in the namespace \"\(namespace)\""
        return FakeKubernetesFailure(code: 403, reason: "Forbidden", message: message, details: details(kind, name: name))
    }

    /// NewInternalError: 500.
    static func internalError(_ cause: String) -> FakeKubernetesFailure {
        FakeKubernetesFailure(
            code: 500, reason: "InternalError", message: "Internal error occurred: \(cause)",
            details: .object([("causes", .array([.object([("message", .string(cause))])]))]))
    }

    /// The max-in-flight filter's 429 (k8s.io/apiserver/pkg/server/filters/maxinflight.go), with `Retry-After: 1`.
    static let tooManyRequests = FakeKubernetesFailure(
        code: 429, reason: "TooManyRequests", message: "Too many requests, please try again later.",
        details: .object([("retryAfterSeconds", .int(1))]), headers: [("Retry-After", "1")])

    /// NewServiceUnavailable: 503.
    static func unavailable(_ message: String) -> FakeKubernetesFailure {
        FakeKubernetesFailure(code: 503, reason: "ServiceUnavailable", message: message)
    }

    /// NewInvalid: 422 `Kind.group "name" is invalid: <causes>`.
    static func invalid(_ kind: ResourceKind, _ name: String, field: String, detail: String) -> FakeKubernetesFailure {
        let group = kind.group.isEmpty ? kind.kind : "\(kind.kind).\(kind.group)"
        let cause = JSONValue.object([("reason", .string("FieldValueInvalid")), ("message", .string("\(field): \(detail)")), ("field", .string(field))])
        return FakeKubernetesFailure(
            code: 422, reason: "Invalid", message: "\(group) \"\(name)\" is invalid: \(field): \(detail)",
            details: .object([("name", .string(name)), ("group", .string(kind.group)), ("kind", .string(kind.kind)), ("causes", .array([cause]))]))
    }

    /// A validating webhook's denial as k8s.io/apiserver/pkg/admission/plugin/webhook/errors/statuserror.go
    /// `ToStatusErr` words it: `admission webhook "<name>" denied the request: <message>`, with the
    /// webhook's code (at least 400). controller-runtime's `admission.Denied` (KServe's webhooks)
    /// answers 403 Forbidden; a returned `apierrors.NewInvalid` answers 422 Invalid.
    static func webhookDenied(webhook: String, message: String, code: Int) -> FakeKubernetesFailure {
        let code = max(code, 400)
        let reasons = [400: "BadRequest", 403: "Forbidden", 422: "Invalid"]
        return FakeKubernetesFailure(code: code, reason: reasons[code] ?? "", message: "admission webhook \"\(webhook)\" denied the request: \(message)")
    }
}
