extension MonitorEvaluator {
    /// Judges a `metric: prometheus` monitor from its query's answer for one version and one
    /// window: a value against the tiers; no series or NaN is insufficient data (never a
    /// pass); several series, a result of the wrong type or a failed query is an error that
    /// says which. The value is exact (not estimated) and counts as one sample.
    public static func evaluate(
        _ question: Question, version: String, windowStart: Int64, windowEnd: Int64, outcome: QueryOutcome
    ) -> MonitorReading {
        var reading = MonitorReading(
            monitor: question.name, version: version, windowStart: windowStart, windowEnd: windowEnd, value: nil,
            threshold: question.thresholds.max ?? question.thresholds.min,
            criticalThreshold: question.critical.flatMap { $0.max ?? $0.min },
            comparator: question.thresholds.max != nil ? ">" : "<", samples: 0, errorBound: nil, estimated: false,
            verdict: .insufficientData, detail: "")
        switch outcome {
        case .value(let value):
            reading.value = value
            reading.samples = 1
            if let critical = question.critical, let broken = breach(value, critical) {
                reading.verdict = .critical
                reading.detail = "\(format(value)) \(broken.comparison) critical \(broken.field) \(format(broken.limit))"
            } else if let broken = breach(value, question.thresholds) {
                reading.verdict = .breach
                reading.detail = "\(format(value)) \(broken.comparison) \(broken.field) \(format(broken.limit))"
            } else {
                reading.verdict = .ok
                reading.detail = "\(format(value)) within " + AnalysisEvaluator.describe(question.thresholds)
            }
        case .empty:
            reading.detail = "the query returned no series (no traffic in the window, or its labels match nothing)"
        case .notANumber:
            reading.detail = "the query returned NaN (such as a ratio over zero requests)"
        case .ambiguous, .wrongType, .failed:
            reading.verdict = .error
            reading.detail = outcome.errorDetail(subject: "the query") ?? ""
        }
        return reading
    }

    /// The threshold `value` breaks, if any: the field, the comparison and the limit.
    static func breach(_ value: Double, _ thresholds: Thresholds) -> (field: String, comparison: String, limit: Double)? {
        if let max = thresholds.max, value > max { return ("max", ">", max) }
        if let min = thresholds.min, value < min { return ("min", "<", min) }
        return nil
    }
}
