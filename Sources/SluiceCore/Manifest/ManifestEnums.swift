/// What a check or monitor measures. Names carry their unit (`_ms`) so thresholds read plainly.
public enum Metric: String, Sendable, Hashable, Codable, CaseIterable {
    /// Share of requests answered with an error (5xx or transport failure), 0..1.
    case errorRate = "error_rate"
    /// Latency quantiles in milliseconds, measured at the gateway.
    case latencyP50 = "latency_p50_ms"
    case latencyP90 = "latency_p90_ms"
    case latencyP95 = "latency_p95_ms"
    case latencyP99 = "latency_p99_ms"
    /// Distribution shift of one or more inputs (features).
    case inputDrift = "input_drift"
    /// Distribution shift of the model's outputs.
    case predictionDrift = "prediction_drift"
    /// Share of predictions that match ground-truth labels, 0..1 (classification).
    case accuracy
    /// Mean absolute error against ground-truth labels (regression).
    case mae
    /// The value of a PromQL query (`query`) read from the configured Prometheus.
    case prometheus
    /// Shadow steps only: the share of paired requests whose first output tensor the
    /// candidate answered equal to stable's (within `tolerance`), 0..1.
    case agreement
    /// Shadow steps only: the mean absolute difference between the candidate's and
    /// stable's first output values on the same requests.
    case outputMAEVsStable = "output_mae_vs_stable"
    /// Shadow steps only: the candidate's latency quantile (`quantile`) over the paired
    /// requests divided by stable's on the same requests.
    case latencyRatioPaired = "latency_ratio_paired"

    /// Whether the metric compares distributions with a drift test.
    public var isDrift: Bool { self == .inputDrift || self == .predictionDrift }
    /// Whether the metric is a latency quantile.
    public var isLatency: Bool { rawValue.hasPrefix("latency_") && self != .latencyRatioPaired }
    /// Whether values are probabilities in 0..1.
    public var isProbability: Bool { self == .errorRate || self == .accuracy || self == .agreement }
    /// Whether a higher value is better (so alerts fire below a `min`).
    public var higherIsBetter: Bool { self == .accuracy || self == .agreement }
    /// Whether the metric compares the candidate's answers with stable's request by
    /// request, so it is measured only during shadow steps.
    public var isPairwise: Bool { self == .agreement || self == .outputMAEVsStable || self == .latencyRatioPaired }

    static var driftNames: [String] { allCases.filter(\.isDrift).map(\.rawValue) }
    static var nonDriftNames: [String] { allCases.filter { !$0.isDrift }.map(\.rawValue) }
}

/// A statistical test that compares two distributions.
public enum DriftTest: String, Sendable, Hashable, Codable, CaseIterable {
    /// Population stability index, ≥ 0; drift when ≥ max (0.1 minor, 0.25 major by convention).
    case psi
    /// Two-sample Kolmogorov–Smirnov p-value, 0..1; drift when below min (e.g. 0.05).
    case ks
    /// Chi-square p-value for categories, 0..1; drift when below min.
    case chiSquare = "chi_square"
    /// Jensen–Shannon distance with natural logarithms, 0..√ln 2 (≈ 0.8326); drift when ≥ max.
    case jensenShannon = "jensen_shannon"
    /// Wasserstein distance divided by the reference's standard deviation, ≥ 0; drift when ≥ max.
    case wasserstein
    /// Hellinger distance, 0..1; drift when ≥ max.
    case hellinger

    /// Whether the test yields a p-value (small means drift) rather than a distance.
    public var yieldsPValue: Bool { self == .ks || self == .chiSquare }

    /// The largest value the score can take, when bounded.
    public var upperBound: Double? {
        switch self {
        case .ks, .chiSquare, .hellinger: return 1
        case .jensenShannon: return 0.8325546111576977  // √ln 2
        case .psi, .wasserstein: return nil
        }
    }
}

/// What a drift check compares the candidate with.
public enum Baseline: String, Sendable, Hashable, Codable, CaseIterable {
    /// The stable version's live traffic over the same window.
    case stable
    /// A baseline file in the repository.
    case reference
}

/// How loudly a monitor speaks when it fires.
public enum Severity: String, Sendable, Hashable, Codable, CaseIterable {
    case info, warning, critical
}

/// What happens when a monitor fires.
public enum MonitorAction: String, Sendable, Hashable, Codable, CaseIterable {
    /// Send an alert (webhook) and record an event.
    case alert
    /// Route all traffic back to the stable version.
    case rollback
    /// Call the retraining webhook, only after a recorded approval.
    case retrain
}

/// What an aborted rollout does besides returning traffic to the stable version.
public enum AbortPolicy: String, Sendable, Hashable, Codable, CaseIterable {
    /// Traffic returns to stable; git is left as it is and status shows the divergence.
    case rollback
    /// Traffic returns to stable and a revert commit is written, so git says what runs.
    case revert
}
