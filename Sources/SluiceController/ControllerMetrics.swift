import NIOConcurrencyHelpers
import SluiceCore

/// The controller's Prometheus metrics (docs/metrics.md): passes and their failures, each
/// model's sync, health and rollout step, analysis verdicts and check values, monitor
/// readings, and the queries sent to Prometheus.
///
/// Recorded by the passes through the typed `record…` methods and written at scrape time
/// by ``text(states:)``; a model's series disappear with the model.
final class ControllerMetrics: Sendable {
    /// The verdicts always written for a model with an analysis run, so that series start at 0.
    static let verdicts: [Verdict] = [.successful, .inconclusive, .error, .failed]
    /// The steps always written, in pass order.
    static let steps: [ReconcileResult.Step] = [.readGit, .observe, .record, .apply]

    private struct MonitorKey: Hashable, Comparable {
        var monitor: String
        var version: String
        static func < (lhs: Self, rhs: Self) -> Bool { (lhs.monitor, lhs.version) < (rhs.monitor, rhs.version) }
    }

    private struct State {
        var passes = MetricHistogram(bounds: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10])
        var passFailures: [ReconcileResult.Step: UInt64] = [:]
        var analysisRuns: [String: [Verdict: UInt64]] = [:]
        /// The measured checks of each model's latest run, in the run's order.
        var checkValues: [String: [(check: String, value: Double)]] = [:]
        var monitors: [String: [MonitorKey: (value: Double?, firing: Bool)]] = [:]
        var queries = MetricHistogram(bounds: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30])
        var queryFailures: [MetricQueryError.Kind: UInt64] = [:]
        /// Each model's versions' replicas as last observed (model → version).
        var replicas: [String: [String: ObservedReplicas]] = [:]
    }

    private let state = NIOLockedValueBox(State())

    /// Counts one reconcile pass, failed or not.
    func observePass(_ duration: Swift.Duration) {
        state.withLockedValue { $0.passes.observe(duration) }
    }

    /// Counts a pass stopped (or, for `readGit` with an earlier commit, carried on) by a failed step.
    func recordPassFailure(_ step: ReconcileResult.Step) {
        state.withLockedValue { $0.passFailures[step, default: 0] &+= 1 }
    }

    /// Counts an analysis run by its verdict and keeps the values its checks measured.
    func recordAnalysis(model: String, run: AnalysisRun) {
        let values = run.checks.compactMap { check in check.value.map { (check: check.metric, value: $0) } }
        state.withLockedValue { state in
            state.analysisRuns[model, default: [:]][run.verdict, default: 0] &+= 1
            state.checkValues[model] = values
        }
    }

    /// Keeps a monitor's latest reading of one version and whether it is firing.
    func recordMonitor(model: String, reading: MonitorReading, firing: Bool) {
        state.withLockedValue { state in
            state.monitors[model, default: [:]][MonitorKey(monitor: reading.monitor, version: reading.version)] = (reading.value, firing)
        }
    }

    /// Keeps the replicas the data plane reported in the latest observation (replacing the last).
    func recordReplicas(_ replicas: [String: [String: ObservedReplicas]]) {
        state.withLockedValue { $0.replicas = replicas }
    }

    /// Counts one query sent to Prometheus, and its failure's kind when it failed.
    func recordQuery(duration: Swift.Duration, failure: MetricQueryError.Kind?) {
        state.withLockedValue { state in
            state.queries.observe(duration)
            if let failure { state.queryFailures[failure, default: 0] &+= 1 }
        }
    }

    /// The exposition, with per-model series for `states`' models only; what is kept for
    /// other (deleted) models is dropped.
    func text(states: [RolloutState]) -> String {
        let models = Set(states.map(\.name))
        let snapshot = state.withLockedValue { state in
            state.analysisRuns = state.analysisRuns.filter { models.contains($0.key) }
            state.checkValues = state.checkValues.filter { models.contains($0.key) }
            state.monitors = state.monitors.filter { models.contains($0.key) }
            state.replicas = state.replicas.filter { models.contains($0.key) }
            return state
        }
        let sorted = states.sorted { $0.name < $1.name }
        var out = PrometheusExposition()

        out.family("sluice_reconcile_duration_seconds", .histogram, help: "Time of one reconcile pass.")
        snapshot.passes.write("sluice_reconcile_duration_seconds", into: &out)
        out.family("sluice_reconcile_failures_total", .counter, help: "Reconcile passes whose step failed, by step.")
        for step in Self.steps {
            out.sample("sluice_reconcile_failures_total", [("step", step.metricLabel)], snapshot.passFailures[step] ?? 0)
        }

        out.family("sluice_model_info", .gauge, help: "Sync and health of each model (always 1).")
        for state in sorted {
            out.sample("sluice_model_info", [
                ("model", state.name), ("sync", state.isSynced ? "Synced" : "OutOfSync"), ("health", state.health.rawValue),
                ("reason", state.reason.rawValue), ("stable_revision", String((state.stable?.revision ?? "").prefix(12))),
            ], UInt64(1))
        }
        out.family("sluice_rollout_step", .gauge, help: "Current rollout step, counted from 1 as `sluice status` shows it; absent without a rollout.")
        for state in sorted {
            guard let candidate = state.candidate else { continue }
            out.sample("sluice_rollout_step", [("model", state.name)], UInt64(clamping: candidate.stepNumber))
        }
        out.family("sluice_rollout_candidate_weight_percent", .gauge, help: "The candidate's share of traffic, in percent; absent without a rollout.")
        for state in sorted {
            guard let candidate = state.candidate else { continue }
            out.sample("sluice_rollout_candidate_weight_percent", [("model", state.name)], UInt64(clamping: candidate.weight))
        }

        out.family(
            "sluice_model_replicas", .gauge,
            help: "Replicas of each version as the data plane reports them: desired (after the process cap) and ready; absent from a data plane that does not report replicas.")
        for (model, versions) in snapshot.replicas.sorted(by: { $0.key < $1.key }) {
            for (version, replicas) in versions.sorted(by: { $0.key < $1.key }) {
                for (kind, count) in [("desired", replicas.desired), ("ready", replicas.ready)] {
                    out.sample("sluice_model_replicas", [("model", model), ("version", version), ("state", kind)], UInt64(clamping: count))
                }
            }
        }

        out.family("sluice_analysis_runs_total", .counter, help: "Analysis runs of a model's candidates, by verdict.")
        for (model, counts) in snapshot.analysisRuns.sorted(by: { $0.key < $1.key }) {
            let seen = Self.verdicts + counts.keys.filter { !Self.verdicts.contains($0) }.sorted()
            for verdict in seen {
                out.sample("sluice_analysis_runs_total", [("model", model), ("verdict", verdict.rawValue)], counts[verdict] ?? 0)
            }
        }
        out.family(
            "sluice_analysis_check_value", .gauge,
            help: "The value each check measured in the model's latest analysis run; absent when that run measured none.")
        for (model, values) in snapshot.checkValues.sorted(by: { $0.key < $1.key }) {
            for (check, value) in values { out.sample("sluice_analysis_check_value", [("model", model), ("check", check)], value) }
        }

        var monitors: [(labels: [(String, String)], reading: (value: Double?, firing: Bool))] = []
        for (model, readings) in snapshot.monitors.sorted(by: { $0.key < $1.key }) {
            for (key, reading) in readings.sorted(by: { $0.key < $1.key }) {
                monitors.append(([("model", model), ("monitor", key.monitor), ("version", key.version)], reading))
            }
        }
        out.family("sluice_monitor_value", .gauge, help: "A monitor's value in its latest closed window, per version; absent without a value.")
        for monitor in monitors {
            guard let value = monitor.reading.value else { continue }
            out.sample("sluice_monitor_value", monitor.labels, value)
        }
        out.family("sluice_monitor_firing", .gauge, help: "Whether a monitor is firing (1) or not (0) for a version.")
        for monitor in monitors { out.sample("sluice_monitor_firing", monitor.labels, UInt64(monitor.reading.firing ? 1 : 0)) }

        out.family("sluice_prometheus_query_duration_seconds", .histogram, help: "Time of one query to Prometheus, failed or not.")
        snapshot.queries.write("sluice_prometheus_query_duration_seconds", into: &out)
        out.family("sluice_prometheus_query_failures_total", .counter, help: "Queries to Prometheus that failed, by kind.")
        for kind in MetricQueryError.Kind.allCases {
            out.sample("sluice_prometheus_query_failures_total", [("kind", kind.metricLabel)], snapshot.queryFailures[kind] ?? 0)
        }
        return out.text
    }
}

extension ReconcileResult.Step {
    /// The `step` label: `read_git`, `observe`, `record`, `apply`.
    var metricLabel: String {
        switch self {
        case .leadership: "leadership"
        case .readGit: "read_git"
        case .observe: "observe"
        case .record: "record"
        case .apply: "apply"
        }
    }
}

extension MetricQueryError.Kind {
    /// The `kind` label, in snake case like every other label value Sluice writes.
    var metricLabel: String {
        switch self {
        case .unreachable: "unreachable"
        case .timeout: "timeout"
        case .unauthorized: "unauthorized"
        case .badQuery: "bad_query"
        case .execution: "execution"
        case .badResponse: "bad_response"
        case .notConfigured: "not_configured"
        }
    }
}
