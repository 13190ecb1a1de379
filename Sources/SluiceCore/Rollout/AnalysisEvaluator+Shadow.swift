extension AnalysisEvaluator {
    /// Whether a check of `metric` is judged in `phase`: pairwise checks only during shadow
    /// steps; drift, accuracy and MAE (which judge the traffic the candidate serves) only at
    /// weight steps; the others in both.
    public static func applies(_ metric: Metric, in phase: AnalysisPhase) -> Bool {
        switch phase.kind {
        case .weight: metric.isJudgedDuringWeightSteps
        case .shadow: metric.isJudgedDuringShadowSteps
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
