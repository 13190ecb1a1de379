import NIOConcurrencyHelpers
import SluiceCore

extension TrafficStatistics {
    /// The statistics in the Prometheus text exposition format 0.0.4 (see ``write(into:)``).
    public func prometheusText() -> String {
        var exposition = PrometheusExposition()
        write(into: &exposition)
        return exposition.text
    }

    /// Writes the counters `sluice_requests_total{model,version,code_class}` and
    /// `sluice_request_errors_total{model,version}` and the histogram
    /// `sluice_request_duration_seconds{model,version}` of served requests, and apart from
    /// them `sluice_mirrored_requests_total{model,version}`,
    /// `sluice_mirrored_request_errors_total{model,version}` and (for versions that were sent
    /// copies) the histogram `sluice_mirrored_request_duration_seconds{model,version}` of
    /// mirrored copies, all since the version was first seen (docs/metrics.md). Each
    /// version's numbers are read under its lock at once, so its `+Inf` bucket, `_count` and
    /// request total agree.
    public func write(into exposition: inout PrometheusExposition) {
        let readings = sortedVersions().map { entry in
            let statistics = entry.statistics
            let counters = statistics.traffic.withLockedValue { counters in
                CounterReading(
                    total: counters.total, statuses: counters.statuses, durations: counters.durations.copy(),
                    mirrored: counters.mirroredTotal, mirroredDurations: counters.mirroredDurations.copy())
            }
            return (labels: [("model", statistics.model), ("version", statistics.version)], counters)
        }
        exposition.family(
            "sluice_requests_total", .counter,
            help: "Requests clients made that a model version answered, by status class (failed: no response); mirrored copies are not included.")
        for (labels, reading) in readings {
            for (label, count) in reading.statuses.reported {
                exposition.sample("sluice_requests_total", labels + [("code_class", label)], count)
            }
        }
        exposition.family("sluice_request_errors_total", .counter, help: "Requests (not mirrored copies) that ended in a 5xx status or no response.")
        for (labels, reading) in readings {
            exposition.sample("sluice_request_errors_total", labels, reading.total.errors)
        }
        exposition.family(
            "sluice_request_duration_seconds", .histogram,
            help: "Time from forwarding a request (not a mirrored copy) to the model server's response (durations over 60 s count as 60 s in _sum).")
        for (labels, reading) in readings {
            exposition.histogram(
                "sluice_request_duration_seconds", labels, bounds: DurationBuckets.boundsSeconds, perBucket: reading.durations,
                sum: Double(reading.total.latencySumMicros) / 1_000_000, count: reading.total.requests)
        }
        exposition.family(
            "sluice_mirrored_requests_total", .counter,
            help: "Mirrored (shadow) copies sent to a model version, answers discarded; not included in sluice_requests_total.")
        for (labels, reading) in readings {
            exposition.sample("sluice_mirrored_requests_total", labels, reading.mirrored.requests)
        }
        exposition.family("sluice_mirrored_request_errors_total", .counter, help: "Mirrored copies that ended in a 5xx status or no response.")
        for (labels, reading) in readings {
            exposition.sample("sluice_mirrored_request_errors_total", labels, reading.mirrored.errors)
        }
        // A histogram of 20 series per version only for the versions that were sent copies.
        let mirroredTo = readings.filter { $0.1.mirrored.requests > 0 }
        guard !mirroredTo.isEmpty else { return }
        exposition.family(
            "sluice_mirrored_request_duration_seconds", .histogram,
            help: "Time from forwarding a mirrored copy to the model server's response (durations over 60 s count as 60 s in _sum).")
        for (labels, reading) in mirroredTo {
            exposition.histogram(
                "sluice_mirrored_request_duration_seconds", labels, bounds: DurationBuckets.boundsSeconds,
                perBucket: reading.mirroredDurations, sum: Double(reading.mirrored.latencySumMicros) / 1_000_000,
                count: reading.mirrored.requests)
        }
    }
}

/// One version's counters, read at once under its lock.
private struct CounterReading {
    var total: TrafficCounters.Tally
    var statuses: StatusCounts
    var durations: [UInt64]
    var mirrored: TrafficCounters.Tally
    var mirroredDurations: [UInt64]
}
