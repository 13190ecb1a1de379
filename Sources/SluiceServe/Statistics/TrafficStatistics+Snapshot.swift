import Foundation
import Histogram
import NIOConcurrencyHelpers
import SluiceCore

extension TrafficStatistics {
    /// A JSON report of every version, for the admin API and the analysis of a rollout.
    ///
    /// Shape: `{"models": {model: {version: {…}}}}`.
    /// Each version has `requests`, `errors`, `errorRate` and `status` (counts per class:
    /// `2xx`, `4xx`, `5xx`, `failed`, and `1xx`/`3xx` when seen) of served requests since it
    /// was first seen, and apart from them `mirrored`, `mirroredErrors` and `mirroredStatus`
    /// for mirrored copies; `latencyMs` {p50, p90, p95, p99, max, mean} of served requests
    /// over the window, or since first seen when `windowSeconds` is nil (null fields without
    /// requests); `window` {seconds, requests, errors, errorRate, mirrored, mirroredErrors}
    /// over the windows that cover `windowSeconds` (all kept windows when nil; the current
    /// window is partial, so `seconds` is an upper bound); `samples` {rows, seen, inputs,
    /// outputs}, where `inputs` and `outputs` map each feature name (sorted) to its values
    /// across sampled rows; `grpcStatus`, served gRPC calls per status code name; `mirroredShed`, mirrored copies not sent because the version had
    /// its cap in flight; `shadow` (``ShadowTally``) over the same windows when the version
    /// was the target of a paired mirror in them; and `removed` (with `removedAt`) once it
    /// left the spec.
    /// - Parameter windowSeconds: how far back to report, clamped to the windows kept.
    public func snapshot(windowSeconds: Int? = nil) -> StatsSnapshot {
        let windows = windowsCovering(seconds: windowSeconds)
        let epoch = currentEpoch()
        let now = nowNanoseconds()
        var models: [String: [String: VersionStats]] = [:]
        for entry in sortedVersions() {
            let statistics = entry.statistics
            var report = report(statistics, windows: windows, epoch: epoch, cumulative: windowSeconds == nil)
            let (shadow, shed) = statistics.shadow.withLockedValue { ($0.tally(lastSeconds: windowSeconds, now: now), $0.total.shed) }
            report.shadow = shadow
            report.mirroredShed = shed
            report.grpcStatus = Dictionary(uniqueKeysWithValues: grpcCounts(statistics).map { ($0.code.name, Self.count($0.count)) })
            if let removal = entry.removal {
                report.removed = true
                report.removedAt = ISO8601DateFormatter().string(from: removal.at)
            }
            models[statistics.model, default: [:]][statistics.version] = report
        }
        return StatsSnapshot(models: models)
    }

    private func report(_ statistics: VersionStatistics, windows: Int, epoch: UInt64, cumulative: Bool) -> VersionStats {
        let (total, statuses, mirrored, mirroredStatuses, window, histogram) = statistics.traffic.withLockedValue { counters in
            let window = counters.merged(windows: windows, endingAt: epoch)
            let histogram: Histogram<UInt64>? = cumulative ? counters.cumulativeCopy() : nil
            return (counters.total, counters.statuses, counters.mirroredTotal, counters.mirroredStatuses, window, histogram)
        }
        let latency =
            histogram.map { LatencySummary($0, sumMicros: total.latencySumMicros) }
            ?? LatencySummary(window.latency, sumMicros: window.tally.latencySumMicros)
        return VersionStats(
            requests: Self.count(total.requests),
            errors: Self.count(total.errors),
            mirrored: Self.count(mirrored.requests),
            errorRate: Self.rate(total.errors, of: total.requests),
            status: Self.classes(statuses),
            latencyMs: Self.quantiles(latency),
            window: WindowTally(
                seconds: windows * windowSeconds,
                requests: Self.count(window.tally.requests),
                errors: Self.count(window.tally.errors),
                errorRate: Self.rate(window.tally.errors, of: window.tally.requests),
                mirrored: Self.count(window.mirrored.requests),
                mirroredErrors: Self.count(window.mirrored.errors)),
            samples: samples(statistics),
            mirroredErrors: Self.count(mirrored.errors),
            // Empty for a version that was never mirrored to, rather than a row of zeros.
            mirroredStatus: mirrored.requests == 0 ? [:] : Self.classes(mirroredStatuses))
    }

    private func samples(_ statistics: VersionStatistics) -> SampleColumns {
        // Copy out under the lock (the arrays are shared, not copied); group outside it.
        let (seen, rows, inputNames, outputNames) = statistics.samples.withLockedValue { reservoir in
            (reservoir.seen, reservoir.rows, reservoir.inputNames.names, reservoir.outputNames.names)
        }
        return SampleColumns(
            rows: rows.count(where: { !$0.isEmpty }),
            seen: Self.count(seen),
            inputs: Self.features(rows.compactMap(\.inputs), names: inputNames),
            outputs: Self.features(rows.compactMap(\.outputs), names: outputNames))
    }

    /// Each feature's values across rows, in row order.
    private static func features(_ rows: [SampleReservoir.Columns], names: [String]) -> [String: [FeatureValue]] {
        var values = Array(repeating: [FeatureValue](), count: names.count)
        for row in rows {
            var offset = 0
            for span in row.spans {
                let end = offset + Int(span.count)
                if values.indices.contains(Int(span.feature)) {
                    values[Int(span.feature)] += row.values[offset..<end]
                }
                offset = end
            }
        }
        return Dictionary(names.indices.map { (names[$0], values[$0]) }, uniquingKeysWith: +)
    }

    private static func quantiles(_ latency: LatencySummary) -> LatencyQuantiles {
        guard latency.count > 0 else { return LatencyQuantiles(mean: latency.meanMicros.map { $0 / 1000 }) }
        let milliseconds = { (micros: UInt64) in Double(micros) / 1000 }
        return LatencyQuantiles(
            p50: milliseconds(latency.p50), p90: milliseconds(latency.p90), p95: milliseconds(latency.p95),
            p99: milliseconds(latency.p99), max: milliseconds(latency.max), mean: latency.meanMicros.map { $0 / 1000 })
    }

    private static func count(_ count: UInt64) -> Int { Int(clamping: count) }

    private static func classes(_ statuses: StatusCounts) -> [String: Int] {
        Dictionary(statuses.reported.map { ($0.label, count($0.count)) }, uniquingKeysWith: +)
    }

    private static func rate(_ part: UInt64, of whole: UInt64) -> Double {
        whole == 0 ? 0 : Double(part) / Double(whole)
    }
}
