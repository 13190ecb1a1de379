import NIOConcurrencyHelpers
import SluiceCore

extension TrafficStatistics {
    /// The statistics in the Prometheus text exposition format 0.0.4 (see ``write(into:)``).
    public func prometheusText() -> String {
        var exposition = PrometheusExposition()
        write(into: &exposition)
        return exposition.text
    }

    /// Writes the counters `sluice_requests_total{model,version,code_class}`,
    /// `sluice_request_errors_total{model,version}`, `sluice_mirrored_requests_total{model,version}`
    /// and the histogram `sluice_request_duration_seconds{model,version}`, all since the
    /// version was first seen (docs/metrics.md). Each version's numbers are read under its
    /// lock at once, so its `+Inf` bucket, `_count` and request total agree.
    public func write(into exposition: inout PrometheusExposition) {
        let readings = sortedVersions().map { statistics in
            let (total, statuses, durations) = statistics.traffic.withLockedValue { counters in
                (counters.total, counters.statuses, counters.durations.copy())
            }
            return (labels: [("model", statistics.model), ("version", statistics.version)], total, statuses, durations)
        }
        exposition.family(
            "sluice_requests_total", .counter,
            help: "Requests a model version answered, by status class (failed: no response), mirrored copies included.")
        for (labels, _, statuses, _) in readings {
            for (label, count) in statuses.reported {
                exposition.sample("sluice_requests_total", labels + [("code_class", label)], count)
            }
        }
        exposition.family("sluice_request_errors_total", .counter, help: "Requests that ended in a 5xx status or no response.")
        for (labels, total, _, _) in readings {
            exposition.sample("sluice_request_errors_total", labels, total.errors)
        }
        exposition.family("sluice_mirrored_requests_total", .counter, help: "Mirrored (shadow) requests, also counted in sluice_requests_total.")
        for (labels, total, _, _) in readings {
            exposition.sample("sluice_mirrored_requests_total", labels, total.mirrored)
        }
        exposition.family(
            "sluice_request_duration_seconds", .histogram,
            help: "Time from forwarding a request to the model server's response (durations over 60 s count as 60 s in _sum).")
        for (labels, total, _, durations) in readings {
            exposition.histogram(
                "sluice_request_duration_seconds", labels, bounds: DurationBuckets.boundsSeconds, perBucket: durations,
                sum: Double(total.latencySumMicros) / 1_000_000, count: total.requests)
        }
    }
}
