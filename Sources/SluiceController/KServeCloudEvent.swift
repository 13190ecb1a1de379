/// One event of KServe's payload logger, read from its CloudEvents binary-mode headers.
///
/// Pinned to kserve/kserve v0.15.2 (`pkg/logger/handler.go`, `pkg/logger/worker.go`,
/// commit d623ea29e4a7312e509829f9104209cd6f820268, Apache-2.0): the agent sends one event
/// for the request and, when the model answered 200, one for the response, each as an HTTP
/// POST with `ce-specversion: 1.0`, `ce-id`, `ce-type`, `ce-source`, `ce-time` and the
/// extensions `ce-inferenceservicename`, `ce-namespace`, `ce-component`, `ce-endpoint`,
/// `ce-metadata` (and `ce-annotations` when set); the body is the payload as it was, with
/// the request's `Content-Type`. Both events of one call carry the same `ce-id`: the
/// request's `Ce-Id` header when the caller sent one, else a fresh UUID.
public struct KServeCloudEvent: Sendable, Hashable {
    /// Which half of an inference call an event carries.
    public enum Kind: Sendable, Hashable {
        /// `org.kubeflow.serving.inference.request`: the request body.
        case request
        /// `org.kubeflow.serving.inference.response`: the response body (200 answers only).
        case response
    }

    /// `ce-type` of a request event.
    public static let requestType = "org.kubeflow.serving.inference.request"
    /// `ce-type` of a response event.
    public static let responseType = "org.kubeflow.serving.inference.response"
    /// The longest `ce-id` accepted: the longest request id feedback may name.
    public static let maximumIDBytes = 256

    /// `ce-id`: the id the request and response events share, and that feedback names.
    public var id: String
    /// From `ce-type`.
    public var kind: Kind

    /// Creates an event.
    public init(id: String, kind: Kind) {
        self.id = id
        self.kind = kind
    }

    /// Reads the attributes the collector relies on; `header` returns a header's value by
    /// its lower-case name (nil when absent). Other attributes are not needed: the path
    /// names the model and version, whatever the event says of itself.
    public static func parse(header: (String) -> String?) throws(KServeEventProblem) -> KServeCloudEvent {
        guard let specVersion = header("ce-specversion") else {
            throw KServeEventProblem(field: "ce-specversion", message: "missing; expected a CloudEvents binary-mode event (1.0)")
        }
        guard specVersion == "1.0" else {
            throw KServeEventProblem(field: "ce-specversion", message: "expected 1.0, found '\(specVersion.prefix(16))'")
        }
        guard let id = header("ce-id"), !id.isEmpty, id.utf8.count <= maximumIDBytes else {
            throw KServeEventProblem(field: "ce-id", message: "expected the request id (1 to \(maximumIDBytes) bytes)")
        }
        guard let source = header("ce-source"), !source.isEmpty else {
            throw KServeEventProblem(field: "ce-source", message: "missing; the logger always sends its source URI")
        }
        let kind: Kind
        switch header("ce-type") {
        case requestType?: kind = .request
        case responseType?: kind = .response
        case let other?:
            throw KServeEventProblem(field: "ce-type", message: "expected \(requestType) or \(responseType), found '\(other.prefix(64))'")
        case nil:
            throw KServeEventProblem(field: "ce-type", message: "missing; expected \(requestType) or \(responseType)")
        }
        return KServeCloudEvent(id: id, kind: kind)
    }
}

/// Why an event was not read: the header or body part, and what is expected there.
public struct KServeEventProblem: Error, Sendable, Hashable, CustomStringConvertible {
    /// The header (`ce-type`) or `body`.
    public var field: String
    /// What is wrong, for people.
    public var message: String

    /// Creates a problem.
    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }

    /// `field: message`.
    public var description: String { "\(field): \(message)" }
}
