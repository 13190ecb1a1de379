import SluiceCore

/// `controller.prometheus`: the metrics provider that `metric: prometheus` checks and
/// monitors query, and (with `builtinMetrics: prometheus`) the built-in metrics too.
public struct PrometheusConfig: Sendable, Hashable {
    /// `http://` or `https://` with a host, an optional port and path prefix (`…/prometheus`).
    public var url: String
    /// The bearer token's source; nil: no `Authorization` header.
    public var token: ServeConfig.TokenSource?
    /// A PEM file of CA certificates trusted in addition to the system's (absolute path).
    public var caFile: String?
    /// How long one query may take.
    public var timeout: SluiceCore.Duration
    /// The value of `{{namespace}}`.
    public var namespace: String
    /// Queries in flight at once in one pass.
    public var maxConcurrentQueries: Int
    /// Who answers `error_rate` and `latency_pNN_ms` checks.
    public var builtinMetrics: BuiltinMetricsSource
    /// The templates answering the built-in metrics when ``builtinMetrics`` is `prometheus`:
    /// every key present (defaults for those the file leaves out).
    public var queries: [BuiltinQuery: QueryTemplate]

    /// A config with the defaults of a `prometheus:` section that gives only `url`.
    public init(
        url: String, token: ServeConfig.TokenSource? = nil, caFile: String? = nil, timeout: SluiceCore.Duration = .seconds(10),
        namespace: String = "default", maxConcurrentQueries: Int = 16, builtinMetrics: BuiltinMetricsSource = .gateway,
        queries: [BuiltinQuery: QueryTemplate] = BuiltinQuery.defaults
    ) {
        self.url = url
        self.token = token
        self.caFile = caFile
        self.timeout = timeout
        self.namespace = namespace
        self.maxConcurrentQueries = maxConcurrentQueries
        self.builtinMetrics = builtinMetrics
        self.queries = queries
    }

    /// The template answering `metric`, when the built-in metrics come from Prometheus and
    /// `metric` is one of them; nil: the gateway measures it.
    public func template(for metric: Metric) -> QueryTemplate? {
        guard builtinMetrics == .prometheus, let query = BuiltinQuery(metric: metric) else { return nil }
        return queries[query]
    }
}

/// Who measures the built-in metrics (`controller.prometheus.builtinMetrics`).
public enum BuiltinMetricsSource: String, Sendable, Hashable, CaseIterable {
    /// Sluice's own gateway (the local backend), as without Prometheus.
    case gateway
    /// Prometheus, through ``PrometheusConfig/queries`` (a backend whose gateway is not Sluice's).
    case prometheus
}

/// A built-in quantity answered by a template (`controller.prometheus.queries.<name>`).
public enum BuiltinQuery: String, Sendable, Hashable, CaseIterable {
    /// Requests to the version within the window (for `minRequests`).
    case requests
    /// Share of requests that failed, 0..1.
    case errorRate = "error_rate"
    /// Latency quantiles in milliseconds.
    case latencyP50 = "latency_p50_ms"
    case latencyP90 = "latency_p90_ms"
    case latencyP95 = "latency_p95_ms"
    case latencyP99 = "latency_p99_ms"

    /// The query answering a built-in analysis metric; nil for metrics no template answers.
    public init?(metric: Metric) {
        switch metric {
        case .errorRate: self = .errorRate
        case .latencyP50: self = .latencyP50
        case .latencyP90: self = .latencyP90
        case .latencyP95: self = .latencyP95
        case .latencyP99: self = .latencyP99
        default: return nil
        }
    }

    /// The default template, over the metrics `sluice serve` exports.
    public var defaultTemplate: QueryTemplate {
        let selector = #"{model="{{model}}",version="{{version}}"}"#
        func latency(_ quantile: String) -> QueryTemplate {
            QueryTemplate("1000 * histogram_quantile(\(quantile), sum by (le) (rate(sluice_request_duration_seconds_bucket\(selector)[{{window}}])))")
        }
        switch self {
        case .requests:
            return QueryTemplate("sum(increase(sluice_requests_total\(selector)[{{window}}]))")
        case .errorRate:
            // `or vector(0)`: a version without a single error has no error series, and its rate is 0, not unknown.
            return QueryTemplate(
                "(sum(rate(sluice_request_errors_total\(selector)[{{window}}])) or vector(0)) / sum(rate(sluice_requests_total\(selector)[{{window}}]))")
        case .latencyP50: return latency("0.5")
        case .latencyP90: return latency("0.9")
        case .latencyP95: return latency("0.95")
        case .latencyP99: return latency("0.99")
        }
    }

    /// Every query with its default template.
    public static var defaults: [BuiltinQuery: QueryTemplate] {
        Dictionary(uniqueKeysWithValues: allCases.map { ($0, $0.defaultTemplate) })
    }
}
