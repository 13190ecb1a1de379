import Histogram

/// Latency quantiles of one histogram, in microseconds, read once outside any lock.
struct LatencySummary: Sendable {
    var count: UInt64
    var sumMicros: UInt64
    var p50: UInt64
    var p90: UInt64
    var p95: UInt64
    var p99: UInt64
    var max: UInt64

    init<Count>(_ histogram: Histogram<Count>, sumMicros: UInt64) {
        count = histogram.totalCount
        self.sumMicros = sumMicros
        p50 = histogram.valueAtPercentile(50)
        p90 = histogram.valueAtPercentile(90)
        p95 = histogram.valueAtPercentile(95)
        p99 = histogram.valueAtPercentile(99)
        max = histogram.maxRecorded
    }

    /// The exact mean (from the sum of latencies), or nil without requests.
    var meanMicros: Double? { count == 0 ? nil : Double(sumMicros) / Double(count) }
}
