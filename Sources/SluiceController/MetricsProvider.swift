import SluiceConfig
import SluiceCore
import SluicePrometheus

/// A metrics provider (Prometheus) as the controller uses it: the client, and what the
/// operator configured around it. Built by the executable from `controller.prometheus`.
public struct MetricsProvider: Sendable {
    /// Answers instant queries.
    public var client: any MetricQuerying
    /// The value of `{{namespace}}`.
    public var namespace: String
    /// Queries in flight at once, per pass.
    public var maxConcurrentQueries: Int
    /// When set, the built-in metrics (`error_rate`, `latency_pNN_ms`) are answered through
    /// these templates instead of the backend's own statistics (a gateway that is not Sluice's).
    public var builtinQueries: BuiltinQueries?
    /// Releases the client's connections when the controller stops; nil: nothing to release.
    public var close: (@Sendable () async throws -> Void)?

    public init(
        client: any MetricQuerying, namespace: String = "default", maxConcurrentQueries: Int = 16, builtinQueries: BuiltinQueries? = nil,
        close: (@Sendable () async throws -> Void)? = nil
    ) {
        self.client = client
        self.close = close
        self.namespace = namespace
        self.maxConcurrentQueries = max(1, maxConcurrentQueries)
        self.builtinQueries = builtinQueries
    }
}

/// The templates that answer the built-in metrics from Prometheus: the request count that
/// `minRequests` is judged on, and one template per built-in metric.
public struct BuiltinQueries: Sendable, Hashable {
    /// Requests a version served in the window.
    public var requests: QueryTemplate
    /// Templates for `error_rate` and the `latency_pNN_ms` metrics (values in milliseconds).
    public var metrics: [Metric: QueryTemplate]

    public init(requests: QueryTemplate, metrics: [Metric: QueryTemplate]) {
        self.requests = requests
        self.metrics = metrics
    }
}

extension MetricsProvider {
    /// The provider `controller.prometheus` describes: a ``PrometheusClient`` with the
    /// token, CA and timeout, and the built-in metrics' templates when Prometheus answers them.
    public static func prometheus(_ config: PrometheusConfig, token: SecretProvider?) throws -> MetricsProvider {
        // The config reader checked the URL and CA file already; an error here names them too.
        var readToken: (@Sendable () throws -> String)?
        if let token { readToken = { try token() } }
        let client = try PrometheusClient(
            baseURL: config.url, timeout: .milliseconds(config.timeout.milliseconds), token: readToken,
            caFile: config.caFile, maximumConnections: config.maxConcurrentQueries)
        var builtin: BuiltinQueries?
        if config.builtinMetrics == .prometheus, let requests = config.queries[.requests] {
            var metrics: [Metric: QueryTemplate] = [:]
            for metric in Metric.allCases {
                if let template = config.template(for: metric) { metrics[metric] = template }
            }
            builtin = BuiltinQueries(requests: requests, metrics: metrics)
        }
        return MetricsProvider(
            client: client, namespace: config.namespace, maxConcurrentQueries: config.maxConcurrentQueries,
            builtinQueries: builtin, close: { try await client.shutdown() })
    }
}
