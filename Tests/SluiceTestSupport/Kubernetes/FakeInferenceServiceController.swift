import SluiceCore

/// The revisions KServe (through Knative) has made of one InferenceService's predictor.
struct FakeKServeRevisions: Sendable {
    /// How many revisions exist (the next is `{name}-predictor-0000{count+1}`).
    var count = 0
    /// The predictor spec of the latest revision.
    var latestSpec: JSONValue?
    var latestCreated: String?
    var latestRolledout: String?
    var previousRolledout: String?
}

/// KServe serverless status (placeholder until the full controller lands).
enum FakeInferenceServiceController {
    static func status(of object: JSONValue, ready: Bool, old: JSONValue?, revisions: inout FakeKServeRevisions) -> JSONValue {
        old ?? .object([])
    }
}
