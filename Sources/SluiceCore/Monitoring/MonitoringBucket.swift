/// What the data plane saw of one model version during one short span of wall-clock time
/// (a bucket, 10 s by default): request and error counts, latency, input and output
/// distributions, and labels joined to predictions.
///
/// Buckets are mergeable: the controller adds them up into each monitor's window, so the
/// data plane holds only the last few minutes and memory does not grow with the window.
public struct MonitoringBucket: Sendable, Hashable {
    /// The model.
    public var model: String
    /// The version.
    public var version: String
    /// Start of the span, in seconds since the Unix epoch.
    public var start: Int64
    /// Length of the span in seconds.
    public var seconds: Int
    /// Requests answered (mirrored copies excluded).
    public var requests = 0
    /// Requests that failed (5xx or no response).
    public var errors = 0
    /// Latency in milliseconds.
    public var latencyMs = QuantileSketch()
    /// Request features.
    public var inputs = FeatureSketches()
    /// Response features.
    public var outputs = FeatureSketches()
    /// Ground truth received.
    public var labels = LabelTally()

    /// Creates an empty bucket.
    public init(model: String, version: String, start: Int64, seconds: Int) {
        self.model = model
        self.version = version
        self.start = start
        self.seconds = seconds
    }

    /// The end of the span (exclusive).
    public var end: Int64 { start + Int64(seconds) }

    /// Adds another span of the same version; the result covers both.
    public mutating func merge(_ other: MonitoringBucket) {
        let end = max(self.end, other.end)
        start = min(start, other.start)
        seconds = Int(end - start)
        requests += other.requests
        errors += other.errors
        latencyMs.merge(other.latencyMs)
        inputs.merge(other.inputs)
        outputs.merge(other.outputs)
        labels.merge(other.labels)
    }

    /// The JSON form served by the data plane's `GET /v1/monitoring`.
    public func jsonValue() -> JSONValue {
        .object([
            ("model", .string(model)), ("version", .string(version)),
            ("start", .int(Int(start))), ("seconds", .int(seconds)),
            ("requests", .int(requests)), ("errors", .int(errors)),
            ("latencyMs", latencyMs.jsonValue()),
            ("inputs", inputs.jsonValue()), ("outputs", outputs.jsonValue()),
            ("labels", labels.jsonValue()),
        ])
    }

    /// Reads the JSON form; errors name the field (`buckets[3].inputs.numeric.amount.levels`).
    public init(json: JSONValue, path: String) throws(SketchDecodingError) {
        guard case .string(let model)? = json["model"], case .string(let version)? = json["version"] else {
            throw SketchDecodingError(path: path, message: "expected model and version strings")
        }
        guard case .int(let start)? = json["start"], case .int(let seconds)? = json["seconds"], seconds > 0 else {
            throw SketchDecodingError(path: path, message: "expected integer start and seconds > 0")
        }
        self.init(model: model, version: version, start: Int64(start), seconds: seconds)
        guard case .int(let requests)? = json["requests"], case .int(let errors)? = json["errors"],
            requests >= 0, errors >= 0, errors <= requests
        else {
            throw SketchDecodingError(path: path, message: "expected requests ≥ errors ≥ 0")
        }
        self.requests = requests
        self.errors = errors
        if let latency = json["latencyMs"] {
            do { latencyMs = try QuantileSketch(json: latency) } catch {
                throw SketchDecodingError(path: "\(path).latencyMs.\(error.path)", message: error.message)
            }
        }
        if let inputs = json["inputs"] { self.inputs = try FeatureSketches(json: inputs, path: path + ".inputs") }
        if let outputs = json["outputs"] { self.outputs = try FeatureSketches(json: outputs, path: path + ".outputs") }
        if let labels = json["labels"] { self.labels = try LabelTally(json: labels, path: path + ".labels") }
    }
}
