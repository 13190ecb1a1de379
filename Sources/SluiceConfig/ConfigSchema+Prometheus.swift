import SluiceCore

extension ConfigSchema {
    /// `controller.prometheus`.
    static let prometheus = ObjectSchema(
        name: "ControllerPrometheus", plural: "prometheus sections",
        description: "The metrics provider `metric: prometheus` checks and monitors query.",
        fields: [
            FieldSchema(
                "url", .text(nil), required: true,
                "Prometheus (or Thanos, Mimir, VictoriaMetrics): `http://` or `https://` with a host, an optional port and path prefix (`https://prom.example/prometheus`). Queries are `POST …/api/v1/query`."),
            FieldSchema("tokenEnv", .text(nil), "An environment variable holding a bearer token sent to `url` only. The token is never logged."),
            FieldSchema(
                "tokenFile", .text(nil),
                "A file (mode 0600) whose first line is the bearer token, read at each query (a rotated file takes effect at once)."),
            FieldSchema("caFile", .text(nil), default: "the system's roots", "A PEM file of CA certificates trusted for an `https` URL, in addition to the system's."),
            FieldSchema("timeout", .string(.duration), default: "`10s`", "One query, end to end (100ms to 5m); a slower one is an Error verdict."),
            FieldSchema("namespace", .text(nil), default: "`default`", "The value of `{{namespace}}` in query templates."),
            FieldSchema(
                "maxConcurrentQueries", .integer(minimum: 1, maximum: 256), default: "`16`",
                "Queries in flight at once in one pass (also the connections kept to Prometheus)."),
            FieldSchema(
                "builtinMetrics", .enumeration(BuiltinMetricsSource.allCases.map(\.rawValue)),
                default: "`gateway`; `prometheus` on `backend.kind: kubernetes`",
                "Who answers `error_rate` and `latency_pNN_ms` checks: `gateway` (Sluice's gateway measures each version) or `prometheus` (the `queries` below, for a backend whose gateway is not Sluice's)."),
            FieldSchema(
                "queries", .object(prometheusQueries), default: "over `sluice serve`'s own metrics",
                "Templates answering the built-in metrics when `builtinMetrics: prometheus`; `{{model}}`, `{{version}}`, `{{stableVersion}}`, `{{window}}`, `{{namespace}}` are filled in."),
        ],
        exclusive: [["tokenEnv", "tokenFile"]])

    /// `controller.prometheus.queries`: one field per built-in query, its default shown in full.
    static let prometheusQueries = ObjectSchema(
        name: "ControllerPrometheusQueries", plural: "queries sections",
        description: "Query templates for the built-in metrics.",
        fields: BuiltinQuery.allCases.map { query in
            FieldSchema(query.rawValue, .text(nil), default: "`\(query.defaultTemplate.text)`", query.meaning)
        })
}

extension BuiltinQuery {
    /// What the template must answer, for the reference.
    var meaning: String {
        switch self {
        case .requests: "Requests to the version within the window (compared with `minRequests`)."
        case .errorRate: "Share of the version's requests that failed within the window, 0 to 1."
        case .latencyP50, .latencyP90, .latencyP95, .latencyP99:
            "The version's \(rawValue.dropFirst("latency_".count).prefix { $0 != "_" }) latency within the window, in milliseconds."
        }
    }
}
