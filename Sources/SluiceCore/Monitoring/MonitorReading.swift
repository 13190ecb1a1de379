/// What a monitor found in one window of one version.
public struct MonitorReading: Sendable, Hashable, Codable {
    /// How the window compared with the monitor's tiers.
    public enum Verdict: String, Sendable, Hashable, Codable {
        /// Within every threshold.
        case ok
        /// Beyond the monitor's own thresholds (its `severity`), not its critical tier.
        case breach
        /// Beyond the critical tier's thresholds.
        case critical
        /// Too few samples to judge: never counted as a pass.
        case insufficientData = "insufficient_data"
        /// The value could not be computed (no reference, mismatched data); named in `detail`.
        case error
    }

    /// The monitor's name.
    public var monitor: String
    /// The version the window belongs to.
    public var version: String
    /// Window start and end, seconds since the Unix epoch.
    public var windowStart: Int64
    public var windowEnd: Int64
    /// The value compared (for several drift features: the worst one's), nil when none.
    public var value: Double?
    /// The monitor's threshold (`max` or `min`; a p-value α for ks and chi_square).
    public var threshold: Double?
    /// The critical tier's threshold, if any.
    public var criticalThreshold: Double?
    /// `>` (fails above), `<` (fails below) or `p ≤ α`.
    public var comparator: String
    /// Samples the value rests on (requests, labels or feature values).
    public var samples: Int
    /// The estimate's error when the value comes from a sketch (rank error, or KS D ± bound).
    public var errorBound: Double?
    /// Whether the value is an estimate from sketches rather than exact.
    public var estimated: Bool
    /// The verdict.
    public var verdict: Verdict
    /// A readable account: per feature scores, label coverage, why data is insufficient.
    public var detail: String
    /// A drift monitor's score per feature, each with the threshold it was judged by (the
    /// dashboard charts them); nil for other metrics, and in readings saved before it was kept.
    public var features: [FeatureScore]?

    /// One feature's drift score in a reading.
    public struct FeatureScore: Sendable, Hashable, Codable {
        public var feature: String
        /// The score (a distance, or a p-value); nil without enough data.
        public var value: Double?
        /// The threshold it was judged by (Bonferroni-corrected for p-values).
        public var threshold: Double
        /// Whether this feature drifted.
        public var drift: Bool

        /// Creates a feature's score.
        public init(feature: String, value: Double?, threshold: Double, drift: Bool) {
            self.feature = feature
            self.value = value
            self.threshold = threshold
            self.drift = drift
        }
    }

    /// Creates a reading.
    public init(
        monitor: String, version: String, windowStart: Int64, windowEnd: Int64, value: Double?, threshold: Double?,
        criticalThreshold: Double?, comparator: String, samples: Int, errorBound: Double?, estimated: Bool,
        verdict: Verdict, detail: String
    ) {
        self.monitor = monitor
        self.version = version
        self.windowStart = windowStart
        self.windowEnd = windowEnd
        self.value = value
        self.threshold = threshold
        self.criticalThreshold = criticalThreshold
        self.comparator = comparator
        self.samples = samples
        self.errorBound = errorBound
        self.estimated = estimated
        self.verdict = verdict
        self.detail = detail
    }

    /// Whether the window breached a tier.
    public var isBreach: Bool { verdict == .breach || verdict == .critical }

    /// Whether the breach holds at both ends of the estimate's error: exact values always
    /// do; an estimate only when even its most favourable end is beyond the threshold.
    /// Retraining acts only on these ("never on estimates alone").
    public var isCertainBreach: Bool {
        guard isBreach else { return false }
        guard estimated else { return true }
        guard let value, let threshold, let bound = errorBound else { return false }
        switch comparator {
        case ">", "≥": return value - bound > threshold
        case "<": return value + bound < threshold
        default: return false
        }
    }

    /// The JSON form used by the controller API and alert payloads.
    public func jsonValue() -> JSONValue {
        func number(_ value: Double?) -> JSONValue { value.map { $0.isFinite ? .number($0) : .null } ?? .null }
        return .object([
            ("monitor", .string(monitor)), ("version", .string(version)),
            ("windowStart", .int(Int(windowStart))), ("windowEnd", .int(Int(windowEnd))),
            ("value", number(value)), ("threshold", number(threshold)), ("criticalThreshold", number(criticalThreshold)),
            ("comparator", .string(comparator)), ("samples", .int(samples)), ("errorBound", number(errorBound)),
            ("estimated", .bool(estimated)), ("verdict", .string(verdict.rawValue)), ("detail", .string(detail)),
        ])
    }
}
