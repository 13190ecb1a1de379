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

/// One analysis run: every check at one moment, and the overall verdict (the worst).
///
/// Checks that do not apply to the run's phase are left out of it and named in
/// ``notJudged``: pairwise checks outside shadow steps, drift/accuracy/MAE checks (which
/// judge served traffic) during them. A run whose every check was left out is Successful:
/// nothing it could judge was wrong, and the phase it belongs to still has to pass on its
/// own terms (a weight step's next run, a shadow step's duration).
public struct AnalysisRun: Sendable, Hashable, Codable {
    public var at: Double
    public var candidateWeight: Int
    public var checks: [CheckMeasurement]
    public var verdict: Verdict
    /// At a weight step's traffic or during a shadow step; nil in a run stored before
    /// shadow steps existed (a weight step at ``candidateWeight``).
    public var phase: AnalysisPhase?
    /// During a shadow step: what the paired copies showed (nil otherwise, or when the data
    /// plane reported none).
    public var shadow: ShadowSummary?
    /// The commit of the candidate the run judged (nil in a run stored before it was kept).
    public var revision: String?
    /// The checks left out because they do not apply to the phase (metric names); nil or
    /// empty when every check was judged.
    public var notJudged: [String]?

    public init(
        at: Double, candidateWeight: Int, checks: [CheckMeasurement], phase: AnalysisPhase? = nil, shadow: ShadowSummary? = nil,
        revision: String? = nil, notJudged: [String] = []
    ) {
        self.at = at
        self.candidateWeight = candidateWeight
        self.checks = checks
        self.phase = phase
        self.shadow = shadow
        self.revision = revision
        self.notJudged = notJudged.isEmpty ? nil : notJudged
        let judged = checks.map(\.verdict).filter { $0 != .skipped }
        verdict = judged.max() ?? (checks.isEmpty ? .successful : .inconclusive)
    }

    /// The phase the run was taken in (a run stored before phases were kept: its weight).
    public var effectivePhase: AnalysisPhase { phase ?? .weight(candidateWeight) }

    /// A one-line summary of what was not Successful, each check's value against its
    /// threshold (`error_rate: 0.31 > max 0.01; agreement 0.14 < min 0.9 (603 pairs)`), and
    /// the checks the phase left out.
    public var summary: String {
        var parts = checks.filter { $0.verdict != .successful }.map(\.line)
        if let notJudged, !notJudged.isEmpty {
            let phase = effectivePhase.kind == .shadow ? "during a shadow step" : "outside shadow steps"
            parts.append("not judged \(phase): \(notJudged.joined(separator: ", "))")
        }
        return parts.joined(separator: "; ")
    }

    /// What history says of the run: `Failed at 50%: error_rate: 0.3 > max 0.1`, or
    /// during a shadow step `Failed at shadow 100%: agreement 0.14 < min 0.9 (603 pairs); 12
    /// copies shed` (a run with nothing to report gives the pairs and agreement).
    public var headline: String {
        var parts: [String] = []
        if !summary.isEmpty { parts.append(summary) }
        if effectivePhase.kind == .shadow, let shadow {
            if parts.isEmpty { parts.append(shadow.description) } else if shadow.shed > 0 { parts.append("\(shadow.shed) copies shed") }
        }
        return "\(verdict.rawValue) at \(effectivePhase)" + (parts.isEmpty ? "" : ": " + parts.joined(separator: "; "))
    }
}

/// When an analysis run was taken: at a weight step's traffic, or during a shadow step
/// (the candidate answering copies of stable's requests).
public struct AnalysisPhase: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The kind of step.
    public enum Kind: String, Sendable, Hashable, Codable {
        case weight
        case shadow
    }

    public var kind: Kind
    /// The candidate's weight (a weight step), or the share of stable's requests copied to
    /// it (a shadow step).
    public var percent: Int

    public init(kind: Kind, percent: Int) {
        self.kind = kind
        self.percent = percent
    }

    /// At a weight step's traffic.
    public static func weight(_ percent: Int) -> AnalysisPhase { AnalysisPhase(kind: .weight, percent: percent) }
    /// During a shadow step copying `percent` of stable's requests.
    public static func shadow(_ percent: Int) -> AnalysisPhase { AnalysisPhase(kind: .shadow, percent: percent) }

    /// `50%`, `shadow 100%`.
    public var description: String { kind == .shadow ? "shadow \(percent)%" : "\(percent)%" }
}

/// What one shadow-step analysis run saw of the paired copies, for `sluice status` and
/// history: how many pairs, their agreement at the first agreement tolerance, the mean
/// absolute difference, the candidate's errors and the copies shed.
public struct ShadowSummary: Sendable, Hashable, Codable, CustomStringConvertible {
    /// Copies sent to the candidate, and those not sent because it was behind.
    public var copies: Int
    public var shed: Int
    /// Copies the candidate answered (errors included), and its errors among them.
    public var answered: Int
    public var candidateErrors: Int
    /// Copies both sides answered.
    public var pairs: Int
    /// The tolerance ``agreement`` was counted at (the first agreement check's; 0 without one).
    public var tolerance: Double
    /// The share of pairs equal within ``tolerance``; nil without pairs.
    public var agreement: Double?
    /// The mean absolute difference of numeric outputs; nil without any.
    public var meanAbsoluteError: Double?
    /// The share of stable's requests the step copied.
    public var percent: Int
    /// The first agreement check's `min` (nil without one).
    public var agreementMin: Double?
    /// The candidate's data-plane name (set by the controller, which knows it).
    public var version: String?
    /// When the run was taken, and its verdict.
    public var at: Double
    public var verdict: Verdict

    /// The summary of `tally` with agreement at `tolerance`.
    public init(_ tally: ShadowTally, tolerance: Double, percent: Int, agreementMin: Double?, at: Double, verdict: Verdict) {
        self.percent = percent
        self.agreementMin = agreementMin
        self.at = at
        self.verdict = verdict
        copies = tally.copies
        shed = tally.shed
        answered = tally.answered
        candidateErrors = tally.candidateErrors
        pairs = tally.pairs
        self.tolerance = tolerance
        agreement = tally.agreement(tolerance: tolerance)
        meanAbsoluteError = tally.meanAbsoluteError
    }

    /// `603 pairs, agreement 0.14, 12 copies shed` (agreement at a tolerance other than 0
    /// says it; errors and shed copies only when there are some).
    public var description: String {
        var parts = ["\(pairs) pairs"]
        if let agreement {
            parts.append("agreement \(AnalysisEvaluator.format(agreement))" + (tolerance == 0 ? "" : " (tolerance \(AnalysisEvaluator.format(tolerance)))"))
        }
        if candidateErrors > 0 { parts.append("\(candidateErrors) candidate errors") }
        if shed > 0 { parts.append("\(shed) copies shed") }
        return parts.joined(separator: ", ")
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

    /// Whether a check of `metric` is judged in `phase`: pairwise checks only during shadow
    /// steps; drift, accuracy and MAE (which judge the traffic the candidate serves) only at
    /// weight steps; the others in both.
    public static func applies(_ metric: Metric, in phase: AnalysisPhase) -> Bool {
        switch phase.kind {
        case .weight: !metric.isPairwise
        case .shadow: !(metric.isDrift || metric == .accuracy || metric == .mae)
        }
    }

    /// Why a shadow step's checks have no paired copies to judge, when the caller knows no better.
    public static let noPairedCopies = "the data plane reported no paired copies of the candidate in the window: "
        + "it may not pair copies (the kubernetes backend, or a `sluice serve` older than shadow steps), "
        + "or the stable version received no requests to copy"

    /// A built-in check during a shadow step, judged from the candidate's paired copies:
    /// sample sizes count pairs (answered copies for `error_rate`); thin data is Inconclusive.
    static func measurePaired(_ check: AnalysisCheck, tally: ShadowTally?, unavailable: String?, minRequests: Int) -> CheckMeasurement {
        let name = check.metric.rawValue
        let threshold = describe(check.thresholds)
        func unjudged(_ verdict: Verdict, _ detail: String) -> CheckMeasurement {
            CheckMeasurement(metric: name, value: nil, stableValue: nil, threshold: threshold, verdict: verdict, detail: "\(name) not judged: \(detail)")
        }
        guard let tally else { return unjudged(.inconclusive, unavailable ?? noPairedCopies) }
        let ratio = check.thresholds.maxRatioToStable != nil || check.thresholds.minRatioToStable != nil
        if check.metric == .errorRate {
            guard tally.answered >= minRequests, let value = tally.candidateErrorRate else {
                return unjudged(.inconclusive, "\(tally.answered) answered copies < minRequests \(minRequests)")
            }
            // Stable's own errors on the same requests, for a ratio.
            let base = ratio ? Double(tally.stableFailed) / Double(tally.answered) : nil
            return measureValue(name, value, base, check.thresholds, sample: "\(tally.candidateErrors) errors in \(tally.answered) answered copies")
        }
        guard tally.pairs >= minRequests else { return unjudged(.inconclusive, "\(tally.pairs) pairs < minRequests \(minRequests)") }
        let pairs = "\(tally.pairs) pairs"
        switch check.metric {
        case .agreement:
            let tolerance = check.tolerance ?? 0
            guard let value = tally.agreement(tolerance: tolerance) else {
                let counted = tally.agreements.map { format($0.tolerance) }.joined(separator: ", ")
                return unjudged(.error, "the data plane did not count agreement at tolerance \(format(tolerance)) (it counted: \(counted.isEmpty ? "none" : counted))")
            }
            return measureValue(name, value, nil, check.thresholds, sample: tolerance == 0 ? pairs : "\(pairs), tolerance \(format(tolerance))")
        case .outputMAEVsStable:
            guard let value = tally.meanAbsoluteError else {
                return unjudged(.inconclusive, "no numeric outputs to compare in \(pairs) (\(tally.incomparable) incomparable)")
            }
            return measureValue(name, value, nil, check.thresholds, sample: pairs)
        case .latencyRatioPaired:
            let quantile = check.quantile ?? AnalysisCheck.defaultQuantile
            guard let latency = tally.latencyRatio(quantile: quantile) else { return unjudged(.inconclusive, "no paired latencies in the window") }
            var measured = measureValue(
                name, latency.ratio, nil, check.thresholds,
                sample: "p\(format(quantile * 100)) \(format(latency.candidateMs)) ms vs stable's \(format(latency.stableMs)) ms, \(pairs)")
            measured.stableValue = latency.stableMs
            return measured
        case .latencyP50, .latencyP90, .latencyP95, .latencyP99:
            let quantile = check.metric.latencyQuantile
            guard let micros = tally.candidateLatency.quantileMicros(quantile) else { return unjudged(.inconclusive, "no paired latencies in the window") }
            var base: Double?
            if ratio {
                guard let stable = tally.stableLatency.quantileMicros(quantile) else { return unjudged(.inconclusive, "no paired latencies of the stable version") }
                base = stable / 1000
            }
            return measureValue(name, micros / 1000, base, check.thresholds, sample: pairs)
        default:
            return unjudged(.skipped, "not measured during a shadow step")
        }
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

extension Analysis {
    /// The agreement tolerances a shadow step asks the data plane to count: each agreement
    /// check's (unwritten: 0, exact), distinct and sorted, at most
    /// ``Route/Mirror/Pairing/maximumTolerances``; `[0]` without agreement checks.
    public var agreementTolerances: [Double] {
        let tolerances = Set(checks.filter { $0.metric == .agreement }.map { $0.tolerance ?? 0 }).sorted()
        return tolerances.isEmpty ? [0] : Array(tolerances.prefix(Route.Mirror.Pairing.maximumTolerances))
    }
}
