extension MonitorEvaluator {
    /// Judges a `metric: prometheus` monitor's window of one version from its query's answer:
    /// a value against the tiers; no series or NaN is insufficient data (never ok); a failed
    /// query, several series or a wrong type is an error.
    public static func evaluate(_ question: Question, outcome: QueryOutcome, version: String, windowStart: Int64, windowEnd: Int64) -> MonitorReading {
        var reading = MonitorReading(
            monitor: question.name, version: version, windowStart: windowStart, windowEnd: windowEnd,
            value: nil, threshold: question.thresholds.max ?? question.thresholds.min,
            criticalThreshold: question.critical.flatMap { $0.max ?? $0.min },
            comparator: question.thresholds.max != nil ? ">" : "<", samples: 0, errorBound: nil, estimated: false,
            verdict: .insufficientData, detail: "")
        switch outcome {
        case .value(let value):
            reading.value = value
            reading.samples = 1
            if let critical = question.critical, breachesQueried(value, critical) {
                reading.verdict = .critical
            } else {
                reading.verdict = breachesQueried(value, question.thresholds) ? .breach : .ok
            }
            reading.detail = "the query returned \(AnalysisEvaluator.format(value))"
        case .empty: reading.detail = "insufficient data: the query returned no series"
        case .notANumber: reading.detail = "insufficient data: the query returned NaN"
        case .ambiguous(let labels):
            reading.verdict = .error
            reading.detail = "the query returned \(labels.count) series (\(labels.prefix(3).map(AnalysisEvaluator.describe(labels:)).joined(separator: ", "))); aggregate them to one"
        case .wrongType(let what):
            reading.verdict = .error
            reading.detail = "the query returned \(what)"
        case .failed(let error):
            reading.verdict = .error
            reading.detail = "the query failed (\(error.kind.rawValue)): \(error.message)"
        }
        return reading
    }

    private static func breachesQueried(_ value: Double, _ thresholds: Thresholds) -> Bool {
        if let max = thresholds.max, value > max { return true }
        if let min = thresholds.min, value < min { return true }
        return false
    }
}
