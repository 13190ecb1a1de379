/// Adds monitoring buckets up into tumbling windows (aligned to multiples of their length
/// since the Unix epoch) per version and window length, and hands each window over once
/// every bucket in it has been collected. Memory: one merged window per version and length.
public struct MonitorWindows: Sendable {
    private struct Key: Hashable, Sendable {
        var model: String
        var version: String
        var seconds: Int
    }

    private var open: [Key: MonitoringBucket] = [:]
    /// Buckets that arrived for a window already handed over (counted, not merged).
    public private(set) var lateBuckets = 0
    private var closedUntil: [Key: Int64] = [:]

    /// Creates empty windows.
    public init() {}

    /// Adds a bucket to the windows of each length in `lengths` (seconds).
    public mutating func add(_ bucket: MonitoringBucket, lengths: Set<Int>) {
        for length in lengths where length > 0 {
            let key = Key(model: bucket.model, version: bucket.version, seconds: length)
            let start = bucket.start - bucket.start.modulo(Int64(length))
            if let closed = closedUntil[key], start < closed {
                lateBuckets += 1
                continue
            }
            if var window = open[key], window.start == start {
                window.merge(bucket)
                window.start = start
                window.seconds = length
                open[key] = window
                continue
            }
            var window = MonitoringBucket(model: bucket.model, version: bucket.version, start: start, seconds: length)
            window.merge(bucket)
            window.start = start
            window.seconds = length
            // An older open window that never saw its closing time is handed over with the next close.
            if let older = open[key], older.start < start { pending.append(older) }
            open[key] = window
        }
    }

    private var pending: [MonitoringBucket] = []

    /// Windows that ended at or before `collectedUntil` (every bucket ending by then has
    /// been added), removed from the open set; ordered by model, start, version.
    public mutating func close(collectedUntil: Int64) -> [MonitoringBucket] {
        var closed = pending
        pending = []
        for (key, window) in open where window.end <= collectedUntil {
            closed.append(window)
            open.removeValue(forKey: key)
            closedUntil[key] = window.end
        }
        for window in closed {
            let key = Key(model: window.model, version: window.version, seconds: window.seconds)
            closedUntil[key] = max(closedUntil[key] ?? .min, window.end)
        }
        return closed.sorted { ($0.model, $0.start, $0.seconds, $0.version) < ($1.model, $1.start, $1.seconds, $1.version) }
    }

    /// Drops windows of models or versions no longer served.
    public mutating func retain(_ keep: (_ model: String, _ version: String) -> Bool) {
        open = open.filter { keep($0.key.model, $0.key.version) }
        closedUntil = closedUntil.filter { keep($0.key.model, $0.key.version) }
    }
}

extension Int64 {
    /// The remainder that is never negative.
    package func modulo(_ divisor: Int64) -> Int64 {
        let remainder = self % divisor
        return remainder < 0 ? remainder + divisor : remainder
    }
}
