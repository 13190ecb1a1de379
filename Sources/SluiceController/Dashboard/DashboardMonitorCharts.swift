import SluiceCore

/// Monitor readings over time as ``DashboardChart``s: one chart per monitor and version, or
/// for a drift monitor one per feature (each with the threshold that feature was judged by),
/// points coloured by verdict.
enum DashboardMonitorCharts {
    typealias H = DashboardHTML
    /// At most this many feature charts per monitor and version (the rest are named).
    static let maximumFeatures = 12

    static func html(_ readings: [MonitorReading]) -> String {
        guard !readings.isEmpty else { return "" }
        var keys: [Series] = []
        var series: [Series: [MonitorReading]] = [:]
        for reading in readings {
            let key = Series(monitor: reading.monitor, version: reading.version)
            if series[key] == nil { keys.append(key) }
            series[key, default: []].append(reading)
        }
        return "<h2>Monitor readings</h2>" + keys.map { key in charts(key, series[key] ?? []) }.joined()
    }

    struct Series: Hashable {
        var monitor: String
        var version: String
    }

    static func charts(_ key: Series, _ readings: [MonitorReading]) -> String {
        var features: [String] = []
        for reading in readings { for score in reading.features ?? [] where !features.contains(score.feature) { features.append(score.feature) } }
        let name = "\(key.monitor) · \(key.version)"
        guard !features.isEmpty else {
            let points = readings.compactMap { reading in
                reading.value.map { DashboardChart.Point(at: Double(reading.windowEnd), value: $0, tone: tone(reading.verdict), label: label(reading.windowEnd, $0, reading.verdict.rawValue)) }
            }
            let last = readings.last
            let threshold = last?.threshold.map { " (\(last?.comparator ?? "") \(H.number($0)))" } ?? ""
            return DashboardChart(title: name + threshold, points: points, threshold: last?.threshold).svg()
        }
        var html = features.prefix(maximumFeatures).map { feature in
            let scores = readings.compactMap { reading in reading.features?.first { $0.feature == feature }.map { (reading.windowEnd, $0) } }
            let points = scores.compactMap { end, score in
                score.value.map { DashboardChart.Point(at: Double(end), value: $0, tone: score.drift ? "Failed" : "Successful", label: label(end, $0, score.drift ? "drift" : "no drift")) }
            }
            let threshold = scores.last?.1.threshold
            return DashboardChart(title: "\(name) · \(feature)" + (threshold.map { " (threshold \(H.number($0)))" } ?? ""), points: points, threshold: threshold).svg()
        }.joined()
        if features.count > maximumFeatures {
            html += "<p class=\"muted\">\(features.count - maximumFeatures) more features of \(H.escape(name)) not charted.</p>"
        }
        return html
    }

    /// The verdict colour classes the stylesheet knows.
    static func tone(_ verdict: MonitorReading.Verdict) -> String {
        switch verdict {
        case .ok: return "Successful"
        case .breach, .critical: return "Failed"
        case .insufficientData: return "Inconclusive"
        case .error: return "Error"
        }
    }

    static func label(_ end: Int64, _ value: Double, _ verdict: String) -> String {
        "\(H.time(Double(end))) \(H.number(value)) \(verdict)"
    }
}
