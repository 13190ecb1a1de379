/// Per-version traffic statistics: the answer of `GET /v1/stats?window=SECONDS` and of a
/// backend's `stats(windowSeconds:)`, read by canary analysis.
public struct StatsSnapshot: Codable, Sendable, Hashable {
    /// Statistics by model, then by version.
    public var models: [String: [String: VersionStats]]

    public init(models: [String: [String: VersionStats]]) {
        self.models = models
    }

    /// What analysis reads of one version over the window: served requests only, never
    /// mirrored copies. A version with no entry got no requests: thin data (Inconclusive),
    /// not an error.
    public func window(model: String, version: String) -> VersionWindow {
        guard let stats = models[model]?[version] else { return VersionWindow(requests: 0, errors: 0) }
        var latency: [String: Double] = [:]
        for (key, value) in stats.latencyMs.byName { if let value { latency["latency_\(key)_ms"] = value } }
        return VersionWindow(requests: stats.window.requests, errors: stats.window.errors, latencyMs: latency)
    }

    /// What a shadow step measured of `version` over the window; nil when it had no
    /// paired copies (or the data plane does not pair).
    public func shadow(model: String, version: String) -> ShadowTally? {
        models[model]?[version]?.shadow
    }
}

/// One version's statistics.
///
/// Served requests (the calls clients made that this version answered) and mirrored copies
/// (sent to the version by `route.mirror`, answers discarded) are counted apart: `requests`,
/// `errors`, `errorRate`, `status`, `latencyMs` and `window.requests` are served traffic
/// only, so summing `requests` over versions gives the calls clients made. A data plane
/// from before this split counted copies in both; its `mirrored` was the only hint.
public struct VersionStats: Codable, Sendable, Hashable {
    /// Served requests since the version was first seen.
    public var requests: Int
    public var errors: Int
    /// Mirrored copies the version was sent (not counted in `requests`).
    public var mirrored: Int
    /// Mirrored copies that ended in a 5xx status or no response (not counted in `errors`).
    public var mirroredErrors: Int
    public var errorRate: Double
    /// Served responses per status class (`2xx`, `4xx`, `5xx`, `failed`…).
    public var status: [String: Int]
    /// Mirrored copies per status class; empty when none were sent.
    public var mirroredStatus: [String: Int]
    public var latencyMs: LatencyQuantiles
    /// Counts over the windows that cover the asked-for seconds.
    public var window: WindowTally
    public var samples: SampleColumns
    /// Whether the version has left the data plane's spec: its numbers are kept for the
    /// statistics window (so the traffic behind an abort can still be read), then dropped.
    public var removed: Bool
    /// When it left the spec (ISO 8601), while `removed`.
    public var removedAt: String?
    /// As the candidate of a shadow step (a mirror with pairing): its copies and their
    /// answers paired with the callers' over the window; nil when it got no paired copies
    /// in the window, or from a data plane that does not pair.
    public var shadow: ShadowTally?
    /// Mirrored copies (paired or not) not sent since the version was first seen, because it
    /// already had the data plane's cap of copies in flight; 0 from a data plane that does
    /// not count them.
    public var mirroredShed: Int
    /// Served gRPC calls per status code name (`OK`, `NOT_FOUND`…) since the version was
    /// first seen; empty when it got none (they are also in `requests` and `status`, under the
    /// HTTP status grpc-gateway maps each code to).
    public var grpcStatus: [String: Int]

    public init(
        requests: Int, errors: Int, mirrored: Int, errorRate: Double, status: [String: Int], latencyMs: LatencyQuantiles,
        window: WindowTally, samples: SampleColumns, mirroredErrors: Int = 0, mirroredStatus: [String: Int] = [:],
        removed: Bool = false, removedAt: String? = nil, shadow: ShadowTally? = nil, mirroredShed: Int = 0,
        grpcStatus: [String: Int] = [:]
    ) {
        self.grpcStatus = grpcStatus
        self.shadow = shadow
        self.mirroredShed = mirroredShed
        self.requests = requests
        self.errors = errors
        self.mirrored = mirrored
        self.mirroredErrors = mirroredErrors
        self.errorRate = errorRate
        self.status = status
        self.mirroredStatus = mirroredStatus
        self.latencyMs = latencyMs
        self.window = window
        self.samples = samples
        self.removed = removed
        self.removedAt = removedAt
    }

    // The fields added after the first format are optional, so an older data plane's
    // answer still reads.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        requests = try container.decode(Int.self, forKey: .requests)
        errors = try container.decode(Int.self, forKey: .errors)
        mirrored = try container.decode(Int.self, forKey: .mirrored)
        mirroredErrors = try container.decodeIfPresent(Int.self, forKey: .mirroredErrors) ?? 0
        errorRate = try container.decode(Double.self, forKey: .errorRate)
        status = try container.decode([String: Int].self, forKey: .status)
        mirroredStatus = try container.decodeIfPresent([String: Int].self, forKey: .mirroredStatus) ?? [:]
        latencyMs = try container.decode(LatencyQuantiles.self, forKey: .latencyMs)
        window = try container.decode(WindowTally.self, forKey: .window)
        samples = try container.decode(SampleColumns.self, forKey: .samples)
        removed = try container.decodeIfPresent(Bool.self, forKey: .removed) ?? false
        removedAt = try container.decodeIfPresent(String.self, forKey: .removedAt)
        shadow = try container.decodeIfPresent(ShadowTally.self, forKey: .shadow)
        mirroredShed = try container.decodeIfPresent(Int.self, forKey: .mirroredShed) ?? 0
        grpcStatus = try container.decodeIfPresent([String: Int].self, forKey: .grpcStatus) ?? [:]
    }
}

/// Latency in milliseconds; each is null when there were no requests.
public struct LatencyQuantiles: Codable, Sendable, Hashable {
    public var p50: Double?
    public var p90: Double?
    public var p95: Double?
    public var p99: Double?
    public var max: Double?
    public var mean: Double?

    public init(p50: Double? = nil, p90: Double? = nil, p95: Double? = nil, p99: Double? = nil, max: Double? = nil, mean: Double? = nil) {
        self.p50 = p50
        self.p90 = p90
        self.p95 = p95
        self.p99 = p99
        self.max = max
        self.mean = mean
    }

    /// Each figure by the name checks use (`p50` … `p99`, `max`, `mean`).
    public var byName: [(String, Double?)] {
        [("p50", p50), ("p90", p90), ("p95", p95), ("p99", p99), ("max", max), ("mean", mean)]
    }

    // Nulls are written, not left out: a reader sees every quantile it may ask for.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(p50, forKey: .p50)
        try container.encode(p90, forKey: .p90)
        try container.encode(p95, forKey: .p95)
        try container.encode(p99, forKey: .p99)
        try container.encode(max, forKey: .max)
        try container.encode(mean, forKey: .mean)
    }
}

/// Requests and errors over the recent windows.
public struct WindowTally: Codable, Sendable, Hashable {
    /// An upper bound: the current window is partial.
    public var seconds: Int
    /// Served requests (what analysis judges); mirrored copies are in `mirrored`.
    public var requests: Int
    public var errors: Int
    public var errorRate: Double
    /// Mirrored copies in the window, and those of them that failed.
    public var mirrored: Int
    public var mirroredErrors: Int

    public init(seconds: Int, requests: Int, errors: Int, errorRate: Double, mirrored: Int = 0, mirroredErrors: Int = 0) {
        self.seconds = seconds
        self.requests = requests
        self.errors = errors
        self.errorRate = errorRate
        self.mirrored = mirrored
        self.mirroredErrors = mirroredErrors
    }

    // `mirrored` and `mirroredErrors` are optional: an older data plane did not send them.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        seconds = try container.decode(Int.self, forKey: .seconds)
        requests = try container.decode(Int.self, forKey: .requests)
        errors = try container.decode(Int.self, forKey: .errors)
        errorRate = try container.decode(Double.self, forKey: .errorRate)
        mirrored = try container.decodeIfPresent(Int.self, forKey: .mirrored) ?? 0
        mirroredErrors = try container.decodeIfPresent(Int.self, forKey: .mirroredErrors) ?? 0
    }
}

/// Sampled request rows, as columns per feature.
public struct SampleColumns: Codable, Sendable, Hashable {
    /// Rows kept.
    public var rows: Int
    /// Rows offered to the reservoir.
    public var seen: Int
    /// Each input feature's values across the kept rows.
    public var inputs: [String: [FeatureValue]]
    public var outputs: [String: [FeatureValue]]

    public init(rows: Int, seen: Int, inputs: [String: [FeatureValue]], outputs: [String: [FeatureValue]]) {
        self.rows = rows
        self.seen = seen
        self.inputs = inputs
        self.outputs = outputs
    }
}

/// A feature value is a JSON number or a JSON string.
extension FeatureValue: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let number = try? container.decode(Double.self) {
            self = .number(number)
        } else {
            self = .category(try container.decode(String.self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .number(let number): try container.encode(number)
        case .category(let text): try container.encode(text)
        }
    }
}
