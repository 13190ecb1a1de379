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
    /// mirrored copies, `sluice_grpc_requests_total{model,version,code}` (``writeGRPC(into:)``)
    /// and the shadow counters of ``writeShadow(_:into:)``, all since the
    /// version was first seen (docs/metrics.md). Each
    /// version's numbers are read under its lock at once, so its `+Inf` bucket, `_count` and
    /// request total agree.
    public func write(into exposition: inout PrometheusExposition) {
        let readings = sortedVersions().map { entry in
            let statistics = entry.statistics
            var counters = statistics.traffic.withLockedValue { counters in
                CounterReading(
                    total: counters.total, statuses: counters.statuses, durations: counters.durations.copy(),
                    mirrored: counters.mirroredTotal, mirroredDurations: counters.mirroredDurations.copy())
            }
            counters.shadow = statistics.shadow.withLockedValue { $0.total }
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
        writeGRPC(into: &exposition)
        // Shadow series and a histogram of 20 series per version only for the versions that
        // were sent copies (or had copies shed).
        let mirroredTo = readings.filter { $0.1.mirrored.requests > 0 || $0.1.shadow.copies > 0 || $0.1.shadow.shed > 0 }
        guard !mirroredTo.isEmpty else { return }
        Self.writeShadow(mirroredTo, into: &exposition)
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

extension TrafficStatistics {
    /// The counters of mirroring with its cap and of shadow pairing, for versions that were
    /// sent (or shed) copies: `sluice_shadow_copies_total` (paired copies sent),
    /// `sluice_shadow_shed_total` (copies of any mirror not sent: the cap was reached),
    /// `sluice_shadow_pairs_total`, `sluice_shadow_agreements_total{tolerance}` (at the
    /// tolerances the route asks for now) and `sluice_shadow_candidate_errors_total`.
    fileprivate static func writeShadow(_ readings: [(labels: [(String, String)], CounterReading)], into exposition: inout PrometheusExposition) {
        let counters: [(name: String, help: String, value: (ShadowTally) -> Int)] = [
            ("sluice_shadow_copies_total", "Copies of callers' requests sent to a shadow step's candidate (a mirror with pairing).", \.copies),
            ("sluice_shadow_shed_total", "Mirrored copies (paired or not) not sent because the version already had serve.maxMirroredInFlight copies in flight.", \.shed),
            ("sluice_shadow_pairs_total", "Paired copies: the caller got a 2xx answer and the candidate answered without a 5xx.", \.pairs),
            ("sluice_shadow_candidate_errors_total", "Paired copies the candidate answered with a 5xx status or not at all.", \.candidateErrors),
        ]
        for counter in counters {
            exposition.family(counter.name, .counter, help: counter.help)
            for (labels, reading) in readings {
                exposition.sample(counter.name, labels, UInt64(max(0, counter.value(reading.shadow))))
            }
        }
        exposition.family(
            "sluice_shadow_agreements_total", .counter,
            help: "Pairs whose first outputs were equal within the tolerance (every value within it; labels: the same string).")
        for (labels, reading) in readings {
            for agreement in reading.shadow.agreements {
                exposition.sample("sluice_shadow_agreements_total", labels + [("tolerance", Self.label(agreement.tolerance))], UInt64(max(0, agreement.pairs)))
            }
        }
    }

    /// A tolerance as a label value: `0`, `0.01`.
    private static func label(_ tolerance: Double) -> String {
        tolerance == tolerance.rounded() && abs(tolerance) < 1e15 ? String(Int(tolerance)) : String(tolerance)
    }
}

/// One version's counters, read at once under its lock.
private struct CounterReading {
    var total: TrafficCounters.Tally
    var statuses: StatusCounts
    var durations: [UInt64]
    var mirrored: TrafficCounters.Tally
    var mirroredDurations: [UInt64]
    /// Read under the version's shadow lock, just after the rest.
    var shadow = ShadowTally()
}
