import SluiceCore

/// The Prometheus queries one model's analysis needs in a pass: each `metric: prometheus`
/// check for the candidate (and for the stable version when it has a ratio threshold), and
/// the built-in metrics of both versions when they are answered by Prometheus. Queries are
/// added to the pass's shared batch; the answers are read back by key.
struct AnalysisQueryPlan: Sendable {
    /// A query for the candidate, and for the stable version when needed.
    struct Pair: Sendable {
        var candidate: QueryBatch.Key
        var stable: QueryBatch.Key?
    }

    /// The built-in series of one version: its request count and each metric.
    struct Builtin: Sendable {
        var requests: QueryBatch.Key
        var metrics: [Metric: QueryBatch.Key]
    }

    private var checks: [Int: Pair] = [:]
    private var builtin: (candidate: Builtin, stable: Builtin)?
    /// Set when checks need a provider and none is configured.
    private let missingProvider: Bool

    /// Plans the queries of `analysis` for `model`, judged at `time` (nil: the server's now),
    /// adding them to `batch`.
    init(
        _ analysis: Analysis, model: String, candidate: String, stable: String, provider: MetricsProvider?,
        time: Double?, batch: inout QueryBatch
    ) {
        missingProvider = provider == nil
        guard let provider else { return }
        func values(_ version: String) -> QueryTemplate.Values {
            QueryTemplate.Values(model: model, version: version, stableVersion: stable, window: analysis.interval, namespace: provider.namespace)
        }
        for (index, check) in analysis.checks.enumerated() where check.metric == .prometheus {
            guard let query = check.query else { continue }
            let ratio = check.thresholds.maxRatioToStable != nil || check.thresholds.minRatioToStable != nil
            checks[index] = Pair(
                candidate: batch.add(query.render(values(candidate)), at: time),
                stable: ratio ? batch.add(query.render(values(stable)), at: time) : nil)
        }
        let builtinMetrics = Set(analysis.checks.map(\.metric).filter { $0 == .errorRate || $0.isLatency })
        if let templates = provider.builtinQueries, !builtinMetrics.isEmpty {
            func series(_ version: String) -> Builtin {
                var metrics: [Metric: QueryBatch.Key] = [:]
                for metric in builtinMetrics {
                    if let template = templates.metrics[metric] { metrics[metric] = batch.add(template.render(values(version)), at: time) }
                }
                return Builtin(requests: batch.add(templates.requests.render(values(version)), at: time), metrics: metrics)
            }
            builtin = (series(candidate), series(stable))
        }
    }

    /// Whether the built-in metrics come from Prometheus rather than the backend's statistics.
    var answersBuiltinMetrics: Bool { builtin != nil }

    /// The answers of the `metric: prometheus` checks, by check index.
    func queried(_ analysis: Analysis, outcomes: [QueryBatch.Key: QueryOutcome]) -> [Int: AnalysisEvaluator.Queried] {
        var result: [Int: AnalysisEvaluator.Queried] = [:]
        let unanswered = QueryOutcome.failed(MetricQueryError(.badResponse, "the query was not run"))
        for (index, check) in analysis.checks.enumerated() where check.metric == .prometheus {
            if missingProvider {
                let missing = QueryOutcome.failed(MetricQueryError(.notConfigured, "no Prometheus is configured (controller.prometheus in sluice.yaml)"))
                result[index] = AnalysisEvaluator.Queried(candidate: missing, stable: missing)
            } else if let pair = checks[index] {
                result[index] = AnalysisEvaluator.Queried(
                    candidate: outcomes[pair.candidate] ?? unanswered, stable: pair.stable.map { outcomes[$0] ?? unanswered })
            }
        }
        return result
    }

    /// The candidate's and the stable version's windows built from Prometheus' answers, when
    /// the built-in metrics come from there. A version whose request count could not be read
    /// has no window (the checks say Error); no series means no requests (Inconclusive).
    func windows(outcomes: [QueryBatch.Key: QueryOutcome]) -> (candidate: VersionWindow?, stable: VersionWindow?)? {
        guard let builtin else { return nil }
        func window(_ series: Builtin) -> VersionWindow? {
            let requests: Double
            switch outcomes[series.requests] {
            case .value(let value)?: requests = value.isFinite ? max(0, value) : 0
            case .empty?, .notANumber?: requests = 0
            default: return nil
            }
            var window = VersionWindow(requests: Int(requests.rounded()), errors: 0)
            for (metric, key) in series.metrics {
                guard case .value(let value)? = outcomes[key] else {
                    // No value is never a zero error rate: the check reads "no value" (Error).
                    if metric == .errorRate { window.reportedErrorRate = .nan }
                    continue
                }
                if metric == .errorRate {
                    window.reportedErrorRate = value
                } else {
                    window.latencyMs[metric.rawValue] = value
                }
            }
            return window
        }
        return (window(builtin.candidate), window(builtin.stable))
    }
}
