import SluiceCore

/// A Prometheus histogram of seconds for the controller's low-rate observations (passes,
/// queries): per-bucket counts, a sum and a count, written cumulatively.
struct MetricHistogram: Sendable {
    /// The finite upper bounds, ascending.
    let bounds: [Double]
    private var perBucket: [UInt64]
    private var sum = 0.0
    private var count: UInt64 = 0

    init(bounds: [Double]) {
        self.bounds = bounds
        perBucket = Array(repeating: 0, count: bounds.count)
    }

    /// Counts one observation; a negative or NaN duration (a clock that stepped) counts as 0.
    mutating func observe(_ duration: Swift.Duration) {
        let components = duration.components
        var seconds = Double(components.seconds) + Double(components.attoseconds) / 1e18
        if !(seconds >= 0) { seconds = 0 }
        if let index = bounds.firstIndex(where: { seconds <= $0 }) { perBucket[index] &+= 1 }
        sum += seconds
        count &+= 1
    }

    /// Writes the series (the caller has started its family).
    func write(_ name: String, into exposition: inout PrometheusExposition) {
        exposition.histogram(name, bounds: bounds, perBucket: perBucket, sum: sum, count: count)
    }
}
