/// An hour of every metric family `sluice serve` and `sluice controller` expose (the names
/// fixed for issue 13, docs/prometheus.md), as OpenMetrics text with timestamps for
/// `promtool tsdb create-blocks-from openmetrics`: model fraud canaries v2 at 10% beside v1,
/// stuck at step 1, with 1% of v1's and 9% of v2's requests failing.
enum SluiceMetricsFixture {
    /// Seconds between samples.
    static let step = 15

    /// Samples from `end - 3600` to `end` (Unix seconds).
    static func openMetrics(end: Int) -> String {
        var lines: [String] = []
        let start = end - 3600
        func series(_ name: String, _ labels: KeyValuePairs<String, String>, _ value: (Int) -> Double) {
            let pairs = labels.map { "\($0.key)=\"\($0.value)\"" }.joined(separator: ",")
            let selector = pairs.isEmpty ? name : "\(name){\(pairs)}"
            for time in stride(from: start, through: end, by: step) {
                lines.append("\(selector) \(value(time - start)) \(time)")
            }
        }
        let requestBuckets = ["0.0005", "0.001", "0.0025", "0.005", "0.0075", "0.01", "0.025", "0.05", "0.075", "0.1", "0.25", "0.5", "0.75", "1", "2.5", "5", "10", "+Inf"]
        for (version, perSecond, weight) in [("v1", 9, 90.0), ("v2", 1, 10.0)] {
            let rate = Double(perSecond)
            series("sluice_requests_total", ["model": "fraud", "version": version, "code_class": "2xx"]) { Double($0) * rate }
            // Linear (0.1/s, not stepped by integer division), so a ratio of rates is exact
            // whichever 15 s samples a window happens to hold.
            series("sluice_requests_total", ["model": "fraud", "version": version, "code_class": "5xx"]) { Double($0) / 10 }
            series("sluice_request_errors_total", ["model": "fraud", "version": version]) { Double($0) / 10 }
            series("sluice_mirrored_requests_total", ["model": "fraud", "version": version]) { Double($0 / 5) }
            for (index, bound) in requestBuckets.enumerated() {
                // Spread evenly up to the 250 ms bucket (index 10), all below it after.
                series("sluice_request_duration_seconds_bucket", ["model": "fraud", "version": version, "le": bound]) {
                    (Double($0) * rate * Double(min(index, 10)) / 10).rounded(.down)
                }
            }
            series("sluice_request_duration_seconds_sum", ["model": "fraud", "version": version]) { Double($0) * rate * 0.05 }
            series("sluice_request_duration_seconds_count", ["model": "fraud", "version": version]) { Double($0) * rate }
            series("sluice_route_weight_percent", ["model": "fraud", "version": version]) { _ in weight }
            series("sluice_route_effective_weight_percent", ["model": "fraud", "version": version]) { _ in weight }
            series("sluice_version_ready", ["model": "fraud", "version": version]) { _ in 1 }
            series("sluice_monitor_value", ["model": "fraud", "monitor": "p99", "version": version]) { _ in 0.1 }
            series("sluice_monitor_firing", ["model": "fraud", "monitor": "p99", "version": version]) { _ in 0 }
        }
        series(
            "sluice_model_info",
            ["model": "fraud", "sync": "Synced", "health": "Progressing", "reason": "Canary", "stable_revision": "a1b2c3d4e5f6"]
        ) { _ in 1 }
        series("sluice_rollout_step", ["model": "fraud"]) { _ in 1 }
        series("sluice_rollout_candidate_weight_percent", ["model": "fraud"]) { _ in 10 }
        for verdict in ["Successful", "Inconclusive", "Error", "Failed"] {
            series("sluice_analysis_runs_total", ["model": "fraud", "verdict": verdict]) { Double($0 / 60) }
        }
        series("sluice_analysis_check_value", ["model": "fraud", "check": "p99-latency"]) { _ in 0.08 }
        let passBuckets = ["0.001", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "+Inf"]
        for family in ["sluice_reconcile_duration_seconds", "sluice_prometheus_query_duration_seconds"] {
            for (index, bound) in passBuckets.enumerated() {
                series("\(family)_bucket", ["le": bound]) { Double($0 * min(index, 6) / 6) }
            }
            series("\(family)_sum", [:]) { Double($0) * 0.02 }
            series("\(family)_count", [:]) { Double($0) }
        }
        for step in ["read_git", "apply"] {
            series("sluice_reconcile_failures_total", ["step": step]) { Double($0 / 100) }
        }
        series("sluice_prometheus_query_failures_total", ["kind": "timeout"]) { Double($0 / 100) }
        lines.append("# EOF")
        return lines.joined(separator: "\n") + "\n"
    }
}
