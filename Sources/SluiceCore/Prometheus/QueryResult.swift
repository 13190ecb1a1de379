/// The `data` of a Prometheus instant query, by result type.
public enum QueryResult: Sendable, Hashable {
    /// A scalar (`scalar(...)`, a number literal).
    case scalar(Double)
    /// An instant vector: one value per series.
    case vector([QuerySeries])
    /// A range vector (`metric[5m]` without a function): never a usable value.
    case matrix([QuerySeries])
    /// A string literal.
    case string(String)
}

/// One series of a result: its labels and its value (for a matrix, its newest sample).
public struct QuerySeries: Sendable, Hashable {
    public var labels: [String: String]
    public var value: Double

    public init(labels: [String: String], value: Double) {
        self.labels = labels
        self.value = value
    }
}

/// What a query's answer means for a check: one value, or why there is none.
public enum QueryOutcome: Sendable, Hashable {
    /// A scalar, or a vector of exactly one series, with a number.
    case value(Double)
    /// No series: nothing matched (no traffic, a wrong label). Inconclusive, never a pass.
    case empty
    /// NaN (e.g. a ratio of zero requests). Inconclusive, never a pass.
    case notANumber
    /// More than one series: the query must aggregate them. Error.
    case ambiguous(labels: [[String: String]])
    /// A range vector or a string. Error.
    case wrongType(String)
    /// The query could not be answered. Error.
    case failed(MetricQueryError)
}

extension QueryResult {
    /// The value a check judges, or why there is none.
    public var outcome: QueryOutcome {
        func judged(_ value: Double) -> QueryOutcome { value.isNaN ? .notANumber : .value(value) }
        switch self {
        case .scalar(let value): return judged(value)
        case .vector(let series):
            switch series.count {
            case 0: return .empty
            case 1: return judged(series[0].value)
            default: return .ambiguous(labels: series.map(\.labels))
            }
        case .matrix: return .wrongType("a range vector; wrap it in a function such as rate() or avg_over_time()")
        case .string: return .wrongType("a string")
        }
    }
}

extension QueryOutcome {
    /// Why an answer that is an Error cannot be judged, said of `subject` ("the query"):
    /// the labels of several series, the wrong type, or the failure; nil for the others.
    public func errorDetail(subject: String) -> String? {
        switch self {
        case .value, .empty, .notANumber: return nil
        case .ambiguous(let labels):
            let shown = labels.prefix(3).map(AnalysisEvaluator.describe(labels:)).joined(separator: ", ")
            return "\(subject) returned \(labels.count) series (\(shown)\(labels.count > 3 ? ", …" : "")); aggregate them to one, e.g. with sum()"
        case .wrongType(let what): return "\(subject) returned \(what)"
        case .failed(let error): return "\(subject) failed (\(error.kind.rawValue)): \(error.message)"
        }
    }
}
