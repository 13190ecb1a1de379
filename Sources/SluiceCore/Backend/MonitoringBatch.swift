/// Ended monitoring buckets: the answer of `GET /v1/monitoring?after=UNIXSECONDS` and of a
/// backend's `monitoring(after:)`.
public struct MonitoringBatch: Codable, Sendable, Hashable {
    /// The data plane's clock, seconds since the epoch.
    public var now: Int64
    /// Every bucket's length.
    public var bucketSeconds: Int
    public var buckets: [MonitoringBucket]

    public init(now: Int64, bucketSeconds: Int, buckets: [MonitoringBucket]) {
        self.now = now
        self.bucketSeconds = bucketSeconds
        self.buckets = buckets
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        now = try container.decode(Int64.self, forKey: .now)
        bucketSeconds = try container.decode(Int.self, forKey: .bucketSeconds)
        guard bucketSeconds > 0 else {
            throw DecodingError.dataCorruptedError(forKey: .bucketSeconds, in: container, debugDescription: "expected a positive bucket length")
        }
        buckets = try container.decode([MonitoringBucket].self, forKey: .buckets)
    }

    /// The start of the newest bucket the data plane has surely ended.
    public var collectedUntil: Int64 {
        now - now.modulo(Int64(bucketSeconds))
    }
}

/// Buckets keep their hand-checked JSON form (sketch bounds are validated on the way in).
extension MonitoringBucket: Codable {
    public init(from decoder: any Decoder) throws {
        let json = try JSONValue(from: decoder)
        do {
            try self.init(json: json, path: decoder.codingPath.map(\.stringValue).joined(separator: "."))
        } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "\(error)"))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        try jsonValue().encode(to: encoder)
    }
}
