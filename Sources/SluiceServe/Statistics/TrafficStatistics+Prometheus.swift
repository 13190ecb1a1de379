import NIOConcurrencyHelpers
extension TrafficStatistics {
    /// The statistics in the Prometheus text exposition format 0.0.4.
    ///
    /// Counters `sluice_requests_total{model,version,code_class}`,
    /// `sluice_request_errors_total{model,version}` and
    /// `sluice_mirrored_requests_total{model,version}`, and the summary
    /// `sluice_request_duration_seconds{model,version,quantile}` whose quantiles (0.5, 0.9,
    /// 0.99) cover the kept windows (like client libraries' max-age window, NaN without
    /// recent requests) while `_sum` and `_count` count since the version was first seen.
    public func prometheusText() -> String {
        let windows = windowsCovering(seconds: nil)
        let epoch = currentEpoch()
        let readings = sortedVersions().map { statistics in
            let (total, statuses, latency) = statistics.traffic.withLockedValue { counters in
                (counters.total, counters.statuses, counters.merged(windows: windows, endingAt: epoch).latency)
            }
            let labels = "model=\"\(Self.escapeLabel(statistics.model))\",version=\"\(Self.escapeLabel(statistics.version))\""
            return (labels, total, statuses, LatencySummary(latency, sumMicros: 0))
        }

        var text = ""
        Self.header(&text, "sluice_requests_total", "counter", "Requests a model version answered, by status class (failed: no response).")
        for (labels, _, statuses, _) in readings {
            for (label, count) in statuses.reported {
                text += "sluice_requests_total{\(labels),code_class=\"\(label)\"} \(count)\n"
            }
        }
        Self.header(&text, "sluice_request_errors_total", "counter", "Requests that ended in a 5xx status or no response.")
        for (labels, total, _, _) in readings {
            text += "sluice_request_errors_total{\(labels)} \(total.errors)\n"
        }
        Self.header(&text, "sluice_mirrored_requests_total", "counter", "Mirrored (shadow) requests, also counted in the totals.")
        for (labels, total, _, _) in readings {
            text += "sluice_mirrored_requests_total{\(labels)} \(total.mirrored)\n"
        }
        Self.header(&text, "sluice_request_duration_seconds", "summary", "Time to the response from the model server.")
        for (labels, total, _, latency) in readings {
            for (quantile, micros) in [("0.5", latency.p50), ("0.9", latency.p90), ("0.99", latency.p99)] {
                let value = latency.count == 0 ? "NaN" : Self.seconds(micros)
                text += "sluice_request_duration_seconds{\(labels),quantile=\"\(quantile)\"} \(value)\n"
            }
            text += "sluice_request_duration_seconds_sum{\(labels)} \(Self.seconds(total.latencySumMicros))\n"
            text += "sluice_request_duration_seconds_count{\(labels)} \(total.requests)\n"
        }
        return text
    }

    /// Escapes a label value: backslash, double quote and line feed.
    static func escapeLabel(_ value: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(value.utf8.count)
        for character in value.unicodeScalars {
            switch character {
            case "\\": escaped += "\\\\"
            case "\"": escaped += "\\\""
            case "\n": escaped += "\\n"
            default: escaped.unicodeScalars.append(character)
            }
        }
        return escaped
    }

    private static func header(_ text: inout String, _ name: String, _ type: String, _ help: String) {
        text += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
    }

    private static func seconds(_ micros: UInt64) -> String {
        String(Double(micros) / 1_000_000)
    }
}
