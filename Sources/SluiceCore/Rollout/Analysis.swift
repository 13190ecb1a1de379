/// The verdict of one measurement (Argo Rollouts' vocabulary).
public enum Verdict: String, Sendable, Hashable, Codable, Comparable {
    /// Within every threshold.
    case successful = "Successful"
    /// Not measured here (a metric this controller cannot read yet); never a pass.
    case skipped = "Skipped"
    /// Too little data to judge (fewer requests than `minRequests`): never a pass.
    case inconclusive = "Inconclusive"
    /// The metric could not be read.
    case error = "Error"
    /// A threshold is broken.
    case failed = "Failed"

    private var severity: Int {
        switch self {
        case .successful: 0
        case .skipped: 1
        case .inconclusive: 2
        case .error: 3
        case .failed: 4
        }
    }

    public static func < (lhs: Verdict, rhs: Verdict) -> Bool { lhs.severity < rhs.severity }
}

/// What the data plane measured for one version over an analysis window.
public struct VersionWindow: Sendable, Hashable, Codable {
    public var requests: Int
    public var errors: Int
    /// Latency quantiles in milliseconds by metric name (`latency_p99_ms`); nil without data.
    public var latencyMs: [String: Double]
    /// The error rate as a metrics provider reported it, when it did not count errors itself.
    public var reportedErrorRate: Double?

    public init(requests: Int, errors: Int, latencyMs: [String: Double] = [:], reportedErrorRate: Double? = nil) {
        self.requests = requests
        self.errors = errors
        self.latencyMs = latencyMs
        self.reportedErrorRate = reportedErrorRate
    }

    /// Errors per request (or the reported rate), 0 without requests.
    public var errorRate: Double { reportedErrorRate ?? (requests == 0 ? 0 : Double(errors) / Double(requests)) }

    /// The value of `metric`, when this window can give it.
    public func value(of metric: Metric) -> Double? {
        switch metric {
        case .errorRate: errorRate.isNaN ? nil : errorRate
        case .latencyP50, .latencyP90, .latencyP95, .latencyP99: latencyMs[metric.rawValue]
        default: nil
        }
    }
}

/// One check's measured value against its threshold.
public struct CheckMeasurement: Sendable, Hashable, Codable {
    public var metric: String
    public var value: Double?
    public var stableValue: Double?
    /// The threshold as written (`max 0.01`, `maxRatioToStable 1.2`).
    public var threshold: String
    public var verdict: Verdict
    /// Why, in plain words.
    public var detail: String

    public init(metric: String, value: Double?, stableValue: Double?, threshold: String, verdict: Verdict, detail: String) {
        self.metric = metric
        self.value = value
        self.stableValue = stableValue
        self.threshold = threshold
        self.verdict = verdict
        self.detail = detail
    }

    /// The check in one line: its detail when that names the metric (`agreement 0.14 <
    /// min 0.9 (603 pairs)`), else `metric: detail` (`error_rate: 0.3 > max 0.1`).
    public var line: String {
        detail.hasPrefix(metric + " ") ? detail : "\(metric): \(detail)"
    }
}

/// Judges a candidate against absolute thresholds and against the stable version over the
/// same window.
public enum AnalysisEvaluator {
    /// The sketches of both versions over the analysis window, for drift and ground-truth
    /// checks, and the baseline files those checks name (by repository path).
    public struct Distributions: Sendable, Hashable {
        public var candidate: MonitoringBucket?
        public var stable: MonitoringBucket?
        public var baselines: [String: MonitorEvaluator.Reference]

        public init(candidate: MonitoringBucket?, stable: MonitoringBucket?, baselines: [String: MonitorEvaluator.Reference] = [:]) {
            self.candidate = candidate
            self.stable = stable
            self.baselines = baselines
        }
    }

    /// What a `metric: prometheus` check's queries answered: the candidate's, and the
    /// stable version's when the check has a ratio threshold.
    public struct Queried: Sendable, Hashable {
        public var candidate: QueryOutcome
        public var stable: QueryOutcome?

        public init(candidate: QueryOutcome, stable: QueryOutcome? = nil) {
            self.candidate = candidate
            self.stable = stable
        }
    }

    /// Evaluates `checks` with the candidate's and the stable version's windows. Drift,
    /// accuracy and MAE checks need `distributions`; without them they are Skipped.
    /// Prometheus checks are judged from `queried`, by the check's index; a check without
    /// an answer there is an Error (no provider was asked).
    ///
    /// During a shadow step (`phase`), the built-in checks are judged from the candidate's
    /// paired copies (`shadow`): pairwise checks, `error_rate` over the answered copies and
    /// `latency_pXX_ms` over the pairs; no tally is Inconclusive, with `shadowUnavailable`
    /// (or a general reason) as the detail. Checks that do not apply to the phase are left
    /// out of the run (see ``AnalysisRun``).
    public static func evaluate(
        _ analysis: Analysis,
        candidate: VersionWindow?,
        stable: VersionWindow?,
        distributions: Distributions? = nil,
        queried: [Int: Queried] = [:],
        candidateWeight: Int,
        phase: AnalysisPhase? = nil,
        shadow: ShadowTally? = nil,
        shadowUnavailable: String? = nil,
        at now: Double
    ) -> AnalysisRun {
        let phase = phase ?? .weight(candidateWeight)
        var checks: [CheckMeasurement] = []
        var notJudged: [String] = []
        for (index, check) in analysis.checks.enumerated() {
            if check.metric == .prometheus {
                checks.append(measureQueried(check, queried: queried[index]))
            } else if !applies(check.metric, in: phase) {
                if !notJudged.contains(check.metric.rawValue) { notJudged.append(check.metric.rawValue) }
            } else if phase.kind == .shadow {
                checks.append(measurePaired(check, tally: shadow, unavailable: shadowUnavailable, minRequests: analysis.minRequests))
            } else {
                checks.append(measure(check, candidate: candidate, stable: stable, distributions: distributions, minRequests: analysis.minRequests))
            }
        }
        var run = AnalysisRun(at: now, candidateWeight: candidateWeight, checks: checks, phase: phase, notJudged: notJudged)
        if phase.kind == .shadow, let shadow {
            let agreement = analysis.checks.first { $0.metric == .agreement }
            run.shadow = ShadowSummary(
                shadow, tolerance: agreement.map { $0.tolerance ?? 0 } ?? 0, percent: phase.percent, agreementMin: agreement?.thresholds.min,
                at: now, verdict: run.verdict)
        }
        return run
    }

    /// A Prometheus check: one value, judged like a built-in metric; empty or NaN is
    /// Inconclusive, more than one series or a failed query is an Error.
    static func measureQueried(_ check: AnalysisCheck, queried: Queried?) -> CheckMeasurement {
        let name = check.name ?? check.metric.rawValue
        let threshold = describe(check.thresholds)
        func unjudged(_ outcome: QueryOutcome, of whose: String) -> CheckMeasurement? {
            let verdict: Verdict, detail: String
            switch outcome {
            case .value: return nil
            case .empty: (verdict, detail) = (.inconclusive, "the query for \(whose) returned no series")
            case .notANumber: (verdict, detail) = (.inconclusive, "the query for \(whose) returned NaN")
            case .ambiguous, .wrongType, .failed: (verdict, detail) = (.error, outcome.errorDetail(subject: "the query for \(whose)") ?? "")
            }
            return CheckMeasurement(metric: name, value: nil, stableValue: nil, threshold: threshold, verdict: verdict, detail: detail)
        }
        guard let queried else {
            return CheckMeasurement(metric: name, value: nil, stableValue: nil, threshold: threshold, verdict: .error,
                                    detail: "no metrics provider answered this check")
        }
        if let unjudged = unjudged(queried.candidate, of: "the candidate") { return unjudged }
        guard case .value(let value) = queried.candidate else { return measureValue(name, nil, nil, check.thresholds) }
        var base: Double?
        if check.thresholds.maxRatioToStable != nil || check.thresholds.minRatioToStable != nil {
            let stable = queried.stable ?? .failed(MetricQueryError(.notConfigured, "the stable version was not queried"))
            if var unjudged = unjudged(stable, of: "the stable version") {
                unjudged.value = value
                return unjudged
            }
            if case .value(let stableValue) = stable { base = stableValue }
        }
        return measureValue(name, value, base, check.thresholds)
    }

    /// `value` (and the stable version's `base`, for ratio thresholds) against `limits`.
    /// With a `sample` (`603 pairs`), the detail names the metric and its sample size:
    /// `agreement 0.14 < min 0.9 (603 pairs)`.
    static func measureValue(_ name: String, _ value: Double?, _ base: Double?, _ limits: Thresholds, sample: String? = nil) -> CheckMeasurement {
        let threshold = describe(limits)
        guard let value else {
            return CheckMeasurement(metric: name, value: nil, stableValue: nil, threshold: threshold, verdict: .error,
                                    detail: "\(name) has no value in the window")
        }
        var broken: [String] = []
        if let max = limits.max, value > max { broken.append("\(format(value)) > max \(format(max))") }
        if let min = limits.min, value < min { broken.append("\(format(value)) < min \(format(min))") }
        if let base {
            // A ratio to zero: judge by the absolute difference being zero.
            let ratio = base == 0 ? (value == 0 ? 1 : Double.infinity) : value / base
            if let maxRatio = limits.maxRatioToStable, ratio > maxRatio {
                broken.append("\(format(value)) is \(format(ratio))x stable's \(format(base)) > maxRatioToStable \(format(maxRatio))")
            }
            if let minRatio = limits.minRatioToStable, ratio < minRatio {
                broken.append("\(format(value)) is \(format(ratio))x stable's \(format(base)) < minRatioToStable \(format(minRatio))")
            }
        }
        let verdict: Verdict = broken.isEmpty ? .successful : .failed
        var detail = broken.isEmpty ? "\(format(value)) within \(threshold)" : broken.joined(separator: "; ")
        if let sample { detail = "\(name) \(detail) (\(sample))" }
        return CheckMeasurement(metric: name, value: value, stableValue: base, threshold: threshold, verdict: verdict, detail: detail)
    }

    /// `{code="500", instance="a"}`, labels sorted.
    static func describe(labels: [String: String]) -> String {
        "{" + labels.sorted { $0.key < $1.key }.map { "\($0.key)=\"\($0.value)\"" }.joined(separator: ", ") + "}"
    }

    static func measure(
        _ check: AnalysisCheck, candidate: VersionWindow?, stable: VersionWindow?, distributions: Distributions? = nil, minRequests: Int
    ) -> CheckMeasurement {
        let name = check.metric.rawValue
        let threshold = describe(check.thresholds)
        guard !check.metric.isDrift, check.metric != .accuracy, check.metric != .mae else {
            guard let distributions else {
                return CheckMeasurement(
                    metric: name, value: nil, stableValue: nil, threshold: threshold, verdict: .skipped,
                    detail: "\(name) needs the data plane's monitoring sketches, which were not read")
            }
            return measureDistribution(check, distributions: distributions, minRequests: minRequests)
        }
        guard let candidate else {
            return CheckMeasurement(metric: name, value: nil, stableValue: nil, threshold: threshold, verdict: .error,
                                    detail: "no statistics for the candidate")
        }
        guard candidate.requests >= minRequests else {
            return CheckMeasurement(metric: name, value: nil, stableValue: nil, threshold: threshold, verdict: .inconclusive,
                                    detail: "\(candidate.requests) requests < minRequests \(minRequests)")
        }
        guard let value = candidate.value(of: check.metric) else {
            return CheckMeasurement(metric: name, value: nil, stableValue: nil, threshold: threshold, verdict: .error,
                                    detail: "\(name) has no value in the window")
        }
        var base: Double?
        if check.thresholds.maxRatioToStable != nil || check.thresholds.minRatioToStable != nil {
            guard let stable, stable.requests >= minRequests, let stableValue = stable.value(of: check.metric) else {
                return CheckMeasurement(metric: name, value: value, stableValue: nil, threshold: threshold, verdict: .inconclusive,
                                        detail: "the stable version has fewer than \(minRequests) requests in the window")
            }
            base = stableValue
        }
        return measureValue(name, value, base, check.thresholds)
    }

    /// A drift or ground-truth check, judged like a monitor on the analysis window.
    private static func measureDistribution(_ check: AnalysisCheck, distributions: Distributions, minRequests: Int) -> CheckMeasurement {
        let name = check.metric.rawValue + (check.test.map { " (\($0.rawValue))" } ?? "")
        let threshold = describe(check.thresholds)
        guard let window = distributions.candidate else {
            return CheckMeasurement(metric: name, value: nil, stableValue: nil, threshold: threshold, verdict: .inconclusive,
                                    detail: "no monitoring data for the candidate in the window yet")
        }
        let reference: MonitorEvaluator.Reference
        if !check.metric.isDrift {
            reference = .none
        } else if check.against == .stable {
            guard let stable = distributions.stable else {
                return CheckMeasurement(metric: name, value: nil, stableValue: nil, threshold: threshold, verdict: .inconclusive,
                                        detail: "no monitoring data for the stable version in the window yet")
            }
            reference = .live(stable)
        } else {
            reference = check.reference.flatMap { distributions.baselines[$0] } ?? .unavailable("baseline \(check.reference ?? "") was not read")
        }
        let question = MonitorEvaluator.Question(
            name: name, metric: check.metric, inputs: check.inputs, test: check.test, thresholds: check.thresholds, minSamples: minRequests)
        let reading = MonitorEvaluator.evaluate(question, window: window, reference: reference)
        let verdict: Verdict
        switch reading.verdict {
        case .ok: verdict = .successful
        case .breach, .critical: verdict = .failed
        case .insufficientData: verdict = .inconclusive
        case .error: verdict = .error
        }
        return CheckMeasurement(metric: name, value: reading.value, stableValue: nil, threshold: threshold, verdict: verdict, detail: reading.detail)
    }

    static func describe(_ thresholds: Thresholds) -> String {
        var parts: [String] = []
        if let max = thresholds.max { parts.append("max \(format(max))") }
        if let min = thresholds.min { parts.append("min \(format(min))") }
        if let ratio = thresholds.maxRatioToStable { parts.append("maxRatioToStable \(format(ratio))") }
        if let ratio = thresholds.minRatioToStable { parts.append("minRatioToStable \(format(ratio))") }
        return parts.joined(separator: ", ")
    }

    /// Up to four significant decimals, no trailing zeros.
    static func format(_ value: Double) -> String {
        guard value.isFinite else { return value > 0 ? "inf" : "-inf" }
        let scaled = (value * 10_000).rounded() / 10_000
        if scaled == scaled.rounded() { return String(Int(scaled)) }
        var text = String(scaled)
        while text.hasSuffix("0") { text.removeLast() }
        return text
    }
}

