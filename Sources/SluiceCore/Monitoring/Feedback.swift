/// Ground truth for one earlier prediction, as posted to
/// `POST /v2/models/{model}/feedback`.
///
/// Accepted bodies:
/// - `{"request_id": "r-17", "label": 1}` — the label of a one-row request;
/// - `{"request_id": "r-17", "labels": [1, 0, 1]}` — one label per row of a batch;
/// - `{"feedback": [ …objects as above… ]}` — up to ``maximumItems`` at once.
///
/// The request id is the `x-request-id` the gateway answered with. A label is a number,
/// a string or a boolean (read as `"true"`/`"false"`, as features are).
public struct Feedback: Sendable, Hashable {
    /// The most items one body may carry.
    public static let maximumItems = 10_000

    /// The request the labels belong to.
    public var requestID: String
    /// One label per predicted row.
    public var labels: [FeatureValue]

    /// Creates feedback.
    public init(requestID: String, labels: [FeatureValue]) {
        self.requestID = requestID
        self.labels = labels
    }

    /// A body that cannot be read: the field and what is expected there.
    public struct Problem: Error, Sendable, Hashable, CustomStringConvertible {
        public var field: String
        public var message: String
        public var description: String { field.isEmpty ? message : "\(field): \(message)" }
    }

    /// Reads a feedback body.
    public static func parse(_ body: JSONValue) throws(Problem) -> [Feedback] {
        guard case .object = body else {
            throw Problem(field: "", message: "expected a JSON object with request_id and label, or a feedback list")
        }
        guard let list = body["feedback"] else { return [try item(body, path: "")] }
        guard case .array(let items) = list, !items.isEmpty else {
            throw Problem(field: "feedback", message: "expected a non-empty list of {request_id, label} objects")
        }
        guard items.count <= maximumItems else {
            throw Problem(field: "feedback", message: "\(items.count) items; at most \(maximumItems) per request")
        }
        var parsed: [Feedback] = []
        parsed.reserveCapacity(items.count)
        for (index, item) in items.enumerated() { parsed.append(try self.item(item, path: "feedback[\(index)]")) }
        return parsed
    }

    private static func item(_ json: JSONValue, path: String) throws(Problem) -> Feedback {
        func field(_ name: String) -> String { path.isEmpty ? name : "\(path).\(name)" }
        guard case .object(let members) = json else { throw Problem(field: path, message: "expected an object") }
        for (key, _) in members where !["request_id", "label", "labels"].contains(key) {
            throw Problem(field: field(key), message: "unknown field; expected request_id and label (or labels)")
        }
        guard case .string(let requestID)? = json["request_id"], !requestID.isEmpty, requestID.utf8.count <= 256 else {
            throw Problem(field: field("request_id"), message: "expected the x-request-id of the prediction (a string of 1 to 256 bytes)")
        }
        switch (json["label"], json["labels"]) {
        case (let label?, nil):
            return Feedback(requestID: requestID, labels: [try value(label, path: field("label"))])
        case (nil, .array(let labels)?) where !labels.isEmpty:
            var values: [FeatureValue] = []
            for (index, label) in labels.enumerated() { values.append(try value(label, path: field("labels[\(index)]"))) }
            return Feedback(requestID: requestID, labels: values)
        case (nil, _?):
            throw Problem(field: field("labels"), message: "expected a non-empty list with one label per predicted row")
        case (_?, _?):
            throw Problem(field: field("labels"), message: "give label or labels, not both")
        case (nil, nil):
            throw Problem(field: field("label"), message: "missing; expected the true label (a number, string or boolean)")
        }
    }

    private static func value(_ json: JSONValue, path: String) throws(Problem) -> FeatureValue {
        switch json {
        case .int(let value): return .number(Double(value))
        case .number(let value) where value.isFinite: return .number(value)
        case .string(let text): return .category(text)
        case .bool(let flag): return .category(flag ? "true" : "false")
        default: throw Problem(field: path, message: "expected a number, string or boolean label")
        }
    }
}
