import SluiceCore

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

    public init(client: any MetricQuerying, namespace: String = "default", maxConcurrentQueries: Int = 16, builtinQueries: BuiltinQueries? = nil) {
        self.client = client
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
