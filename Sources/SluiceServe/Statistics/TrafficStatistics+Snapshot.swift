import Histogram
import NIOConcurrencyHelpers
import SluiceCore

extension TrafficStatistics {
    /// A JSON report of every version, for the admin API and the analysis of a rollout.
    ///
    /// Shape: `{"models": {model: {version: {…}}}}`, models and versions sorted by name.
    /// Each version has `requests`, `errors`, `mirrored`, `errorRate` and `status` (counts
    /// per class: `2xx`, `4xx`, `5xx`, `failed`, and `1xx`/`3xx` when seen) since it was
    /// first seen; `latencyMs` {p50, p90, p95, p99, max, mean} over the window, or since
    /// first seen when `windowSeconds` is nil (null fields without requests); `window`
    /// {seconds, requests, errors, errorRate} over the windows that cover `windowSeconds`
    /// (all kept windows when nil; the current window is partial, so `seconds` is an upper
    /// bound); and `samples` {rows, seen, inputs, outputs}, where `inputs` and `outputs`
    /// map each feature name (sorted) to its values across sampled rows.
    /// - Parameter windowSeconds: how far back to report, clamped to the windows kept.
    public func snapshot(windowSeconds: Int? = nil) -> JSONValue {
        let windows = windowsCovering(seconds: windowSeconds)
        let epoch = currentEpoch()
        var models: [(String, JSONValue)] = []
        var versions: [(String, JSONValue)] = []
        var currentModel: String?
        for statistics in sortedVersions() {
            if statistics.model != currentModel {
                if let currentModel { models.append((currentModel, .object(versions))) }
                currentModel = statistics.model
                versions = []
            }
            versions.append((statistics.version, report(statistics, windows: windows, epoch: epoch, cumulative: windowSeconds == nil)))
        }
        if let currentModel { models.append((currentModel, .object(versions))) }
        return .object([("models", .object(models))])
    }

    private func report(_ statistics: VersionStatistics, windows: Int, epoch: UInt64, cumulative: Bool) -> JSONValue {
        let (total, statuses, window, histogram) = statistics.traffic.withLockedValue { counters in
            let window = counters.merged(windows: windows, endingAt: epoch)
            let histogram: Histogram<UInt64>? = cumulative ? counters.cumulativeCopy() : nil
            return (counters.total, counters.statuses, window, histogram)
        }
        let latency =
            histogram.map { LatencySummary($0, sumMicros: total.latencySumMicros) }
            ?? LatencySummary(window.latency, sumMicros: window.tally.latencySumMicros)
        return .object([
            ("requests", Self.json(total.requests)),
            ("errors", Self.json(total.errors)),
            ("mirrored", Self.json(total.mirrored)),
            ("errorRate", .number(Self.rate(total.errors, of: total.requests))),
            ("status", .object(statuses.reported.map { ($0.label, Self.json($0.count)) })),
            ("latencyMs", Self.json(latency)),
            (
                "window",
                .object([
                    ("seconds", .int(windows * windowSeconds)),
                    ("requests", Self.json(window.tally.requests)),
                    ("errors", Self.json(window.tally.errors)),
                    ("errorRate", .number(Self.rate(window.tally.errors, of: window.tally.requests))),
                ])
            ),
            ("samples", samples(statistics)),
        ])
    }

    private func samples(_ statistics: VersionStatistics) -> JSONValue {
        // Copy out under the lock (the arrays are shared, not copied); group outside it.
        let (seen, rows, inputNames, outputNames) = statistics.samples.withLockedValue { reservoir in
            (reservoir.seen, reservoir.rows, reservoir.inputNames.names, reservoir.outputNames.names)
        }
        return .object([
            ("rows", .int(rows.count(where: { !$0.isEmpty }))),
            ("seen", Self.json(seen)),
            ("inputs", Self.features(rows.compactMap(\.inputs), names: inputNames)),
            ("outputs", Self.features(rows.compactMap(\.outputs), names: outputNames)),
        ])
    }

    /// Each feature's values across rows, in row order, features sorted by name.
    private static func features(_ rows: [SampleReservoir.Columns], names: [String]) -> JSONValue {
        var values = Array(repeating: [JSONValue](), count: names.count)
        for row in rows {
            var offset = 0
            for span in row.spans {
                let end = offset + Int(span.count)
                if values.indices.contains(Int(span.feature)) {
                    values[Int(span.feature)] += row.values[offset..<end].map(json)
                }
                offset = end
            }
        }
        let sorted = names.indices.sorted { names[$0] < names[$1] }
        return .object(sorted.map { (names[$0], .array(values[$0])) })
    }

    private static func json(_ latency: LatencySummary) -> JSONValue {
        let milliseconds = { (micros: UInt64) -> JSONValue in
            latency.count == 0 ? .null : .number(Double(micros) / 1000)
        }
        return .object([
            ("p50", milliseconds(latency.p50)),
            ("p90", milliseconds(latency.p90)),
            ("p95", milliseconds(latency.p95)),
            ("p99", milliseconds(latency.p99)),
            ("max", milliseconds(latency.max)),
            ("mean", latency.meanMicros.map { .number($0 / 1000) } ?? .null),
        ])
    }

    private static func json(_ value: FeatureValue) -> JSONValue {
        switch value {
        case .number(let number): .number(number)
        case .category(let text): .string(text)
        }
    }

    private static func json(_ count: UInt64) -> JSONValue { .int(Int(clamping: count)) }

    private static func rate(_ part: UInt64, of whole: UInt64) -> Double {
        whole == 0 ? 0 : Double(part) / Double(whole)
    }
}
