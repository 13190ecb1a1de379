/// Answers PromQL instant queries: the controller's one way to read a metrics provider
/// (Prometheus, or anything that speaks its HTTP API: Thanos, Mimir, VictoriaMetrics).
///
/// Implementations may be called concurrently with themselves. Every failure is a
/// ``MetricQueryError``; a result of the wrong shape is judged by ``QueryResult/outcome``.
public protocol MetricQuerying: Sendable {
    /// Evaluates `query` at `time` (seconds since the epoch; nil means the server's now).
    func query(_ query: String, at time: Double?) async throws(MetricQueryError) -> QueryResult
}

/// Why a query could not be answered. The kind is what callers act on (every kind is an
/// Error verdict); the message is for people and never holds a token.
public struct MetricQueryError: Error, Sendable, Hashable, CustomStringConvertible {
    public var kind: Kind
    /// What happened, with what the server said.
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }

    /// What kind of failure it was.
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
        /// No answer: refused, reset, or the name did not resolve.
        case unreachable
        /// No answer within the configured timeout.
        case timeout
        /// 401 or 403: the token is missing, wrong or lacks rights.
        case unauthorized
        /// Prometheus refused the query as malformed (`bad_data`).
        case badQuery
        /// The query was valid but failed to run (`execution`, `timeout`, `canceled`, 422, 503).
        case execution
        /// Another HTTP status, or a body that is not the Prometheus API's JSON.
        case badResponse
        /// No metrics provider is configured for a check that needs one.
        case notConfigured
    }
}
