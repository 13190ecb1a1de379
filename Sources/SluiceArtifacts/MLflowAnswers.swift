/// The parts of the MLflow REST answers that ``MLflowSource`` reads. Field names are the
/// API's (snake_case); every field is optional so a missing one is reported by the source as
/// a bad answer naming the artifact, not as a decoding error.
struct MLflowModelVersionAnswer: Decodable {
    var model_version: MLflowModelVersion?
}

/// `model_version` of `model-versions/get` and `registered-models/alias`.
struct MLflowModelVersion: Decodable {
    var name: String?
    var version: String?
    var run_id: String?
    var source: String?
    var storage_location: String?
}

/// `model-versions/get-download-uri`.
struct MLflowDownloadURIAnswer: Decodable {
    var artifact_uri: String?
}

/// `mlflow-artifacts/artifacts?path=` (one directory level; `files` is absent when empty).
struct MLflowListAnswer: Decodable {
    var files: [Entry]?

    struct Entry: Decodable {
        var path: String?
        var is_dir: Bool?
        var file_size: MLflowInt64?
    }
}

/// An int64 as protobuf's JSON mapping may write it: a number or a decimal string.
struct MLflowInt64: Decodable {
    var value: Int64?

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let number = try? container.decode(Int64.self) {
            value = number
        } else if let text = try? container.decode(String.self), let number = Int64(text) {
            value = number
        } else {
            value = nil
        }
    }
}
