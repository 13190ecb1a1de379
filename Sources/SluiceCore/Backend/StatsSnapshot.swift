/// Per-version traffic statistics: the answer of `GET /v1/stats?window=SECONDS` and of a
/// backend's `stats(windowSeconds:)`, read by canary analysis.
public struct StatsSnapshot: Codable, Sendable, Hashable {
    /// Statistics by model, then by version.
    public var models: [String: [String: VersionStats]]

    public init(models: [String: [String: VersionStats]]) {
        self.models = models
    }

    /// What analysis reads of one version over the window. A version with no entry got no
    /// requests: thin data (Inconclusive), not an error.
    public func window(model: String, version: String) -> VersionWindow {
        guard let stats = models[model]?[version] else { return VersionWindow(requests: 0, errors: 0) }
        var latency: [String: Double] = [:]
        for (key, value) in stats.latencyMs.byName { if let value { latency["latency_\(key)_ms"] = value } }
        return VersionWindow(requests: stats.window.requests, errors: stats.window.errors, latencyMs: latency)
    }
}

/// One version's statistics.
public struct VersionStats: Codable, Sendable, Hashable {
    /// Requests since the version was first seen.
    public var requests: Int
    public var errors: Int
    /// Mirrored copies it answered (not counted in `requests`).
    public var mirrored: Int
    public var errorRate: Double
    /// Responses per status class (`2xx`, `4xx`, `5xx`, `failed`…).
    public var status: [String: Int]
    public var latencyMs: LatencyQuantiles
    /// Counts over the windows that cover the asked-for seconds.
    public var window: WindowTally
    public var samples: SampleColumns

    public init(
        requests: Int, errors: Int, mirrored: Int, errorRate: Double, status: [String: Int], latencyMs: LatencyQuantiles,
        window: WindowTally, samples: SampleColumns
    ) {
        self.requests = requests
        self.errors = errors
        self.mirrored = mirrored
        self.errorRate = errorRate
        self.status = status
        self.latencyMs = latencyMs
        self.window = window
        self.samples = samples
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
    public var requests: Int
    public var errors: Int
    public var errorRate: Double

    public init(seconds: Int, requests: Int, errors: Int, errorRate: Double) {
        self.seconds = seconds
        self.requests = requests
        self.errors = errors
        self.errorRate = errorRate
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
