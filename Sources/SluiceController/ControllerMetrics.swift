import NIOConcurrencyHelpers
import SluiceCore
import SluiceServe

/// The controller's Prometheus metrics: a reconcile-duration histogram, and per model an
/// info gauge with sync and health and the rollout step.
final class ControllerMetrics: Sendable {
    static let buckets: [Double] = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
    private let histogram = NIOLockedValueBox<(counts: [Int], sum: Double, count: Int)>(
        (Array(repeating: 0, count: ControllerMetrics.buckets.count), 0, 0))

    func observePass(_ duration: Swift.Duration) {
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        histogram.withLockedValue { value in
            for (index, bound) in Self.buckets.enumerated() where seconds <= bound { value.counts[index] += 1 }
            value.sum += seconds
            value.count += 1
        }
    }

    func text(states: [RolloutState]) -> String {
        let snapshot = histogram.withLockedValue { $0 }
        var out = "# HELP sluice_reconcile_duration_seconds Time of one reconcile pass.\n# TYPE sluice_reconcile_duration_seconds histogram\n"
        for (index, bound) in Self.buckets.enumerated() {
            out += "sluice_reconcile_duration_seconds_bucket{le=\"\(bound)\"} \(snapshot.counts[index])\n"
        }
        out += "sluice_reconcile_duration_seconds_bucket{le=\"+Inf\"} \(snapshot.count)\n"
        out += "sluice_reconcile_duration_seconds_sum \(snapshot.sum)\nsluice_reconcile_duration_seconds_count \(snapshot.count)\n"
        out += "# HELP sluice_model_info Sync and health of each model (always 1).\n# TYPE sluice_model_info gauge\n"
        for state in states {
            let labels = [
                ("model", state.name), ("sync", state.isSynced ? "Synced" : "OutOfSync"), ("health", state.health.rawValue),
                ("reason", state.reason.rawValue), ("stable_revision", String((state.stable?.revision ?? "").prefix(12))),
            ].map { "\($0.0)=\"\(PrometheusLabel.escape($0.1))\"" }.joined(separator: ",")
            out += "sluice_model_info{\(labels)} 1\n"
        }
        out += "# HELP sluice_rollout_step Current rollout step (0-based) and candidate weight; absent without a rollout.\n# TYPE sluice_rollout_step gauge\n"
        for state in states {
            guard let candidate = state.candidate else { continue }
            out += "sluice_rollout_step{model=\"\(PrometheusLabel.escape(state.name))\"} \(candidate.step)\n"
            out += "sluice_rollout_candidate_weight_percent{model=\"\(PrometheusLabel.escape(state.name))\"} \(candidate.weight)\n"
        }
        return out
    }
}
