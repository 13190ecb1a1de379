/// The buckets of `sluice_request_duration_seconds`: one counter per bucket in a fixed
/// array, allocated with the version's statistics and recorded under its lock, so that a
/// request costs a few integer comparisons and one addition.
///
/// Counts are per bucket (not cumulative) and since the version was first seen; the
/// exposition adds them up. Requests slower than the last bound are in no bucket: the
/// `+Inf` bucket is the request count.
struct DurationBuckets: Sendable {
    /// The upper bounds in microseconds: 0.5 ms to 10 s, the Prometheus client defaults
    /// with the sub-millisecond buckets a local model server needs.
    static let boundsMicros: [UInt64] = [
        500, 1_000, 2_500, 5_000, 7_500, 10_000, 25_000, 50_000, 75_000, 100_000,
        250_000, 500_000, 750_000, 1_000_000, 2_500_000, 5_000_000, 10_000_000,
    ]
    /// The same bounds in seconds, as `le` is written.
    static let boundsSeconds: [Double] = boundsMicros.map { Double($0) / 1_000_000 }

    private var counts = [UInt64](repeating: 0, count: DurationBuckets.boundsMicros.count)

    /// Counts one request in the first bucket whose bound is at least `micros`.
    mutating func record(_ micros: UInt64) {
        let bounds = Self.boundsMicros
        // Most requests are fast: a linear scan from the smallest bound ends early.
        var index = 0
        while index < bounds.count, micros > bounds[index] { index += 1 }
        if index < counts.count { counts[index] &+= 1 }
    }

    /// The per-bucket counts in new storage, so that the next record does not copy them.
    func copy() -> [UInt64] { counts.map { $0 } }
}
