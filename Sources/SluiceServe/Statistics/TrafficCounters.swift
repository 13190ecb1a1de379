import Histogram

/// The request counts and latencies of one version: cumulative, and in a ring of tumbling
/// windows. Every histogram is allocated up front, so recording never allocates.
struct TrafficCounters: Sendable {
    /// Latencies are recorded in microseconds up to one minute; longer ones count as one minute.
    static let highestMicros: UInt64 = 60_000_000

    /// A histogram with the layout every latency histogram shares, so that they merge.
    static func histogram<Count>(of _: Count.Type = Count.self) -> Histogram<Count> {
        Histogram(lowestDiscernibleValue: 1, highestTrackableValue: highestMicros, numberOfSignificantValueDigits: .two)
    }

    /// Counts over some span of time.
    struct Tally: Sendable {
        var requests: UInt64 = 0
        var errors: UInt64 = 0
        var latencySumMicros: UInt64 = 0

        mutating func add(error: Bool, micros: UInt64) {
            requests &+= 1
            if error { errors &+= 1 }
            latencySumMicros &+= micros
        }

        mutating func add(_ other: Tally) {
            requests &+= other.requests
            errors &+= other.errors
            latencySumMicros &+= other.latencySumMicros
        }
    }

    /// One tumbling window; 32-bit counts suffice for one window (4 billion requests).
    struct Window: Sendable {
        /// `now / windowNanoseconds` of the window's requests; nil until first used.
        var epoch: UInt64?
        /// Served requests; their latencies are in `latency`.
        var tally = Tally()
        /// Mirrored copies, counted apart from the served requests.
        var mirrored = Tally()
        var latency: Histogram<UInt32> = TrafficCounters.histogram()

        /// Empties the window (keeping its histogram's storage) for `epoch`.
        mutating func reset(epoch: UInt64?) {
            self.epoch = epoch
            tally = Tally()
            mirrored = Tally()
            latency.reset()
        }
    }

    /// Served requests: the calls a client made and this version answered.
    var total = Tally()
    var statuses = StatusCounts()
    var cumulative: Histogram<UInt64> = TrafficCounters.histogram()
    /// The Prometheus histogram's buckets, since the version was first seen.
    var durations = DurationBuckets()
    /// Mirrored copies (their answers were discarded): never in the served counts above, so
    /// that a sum of requests over versions is the number of calls clients made.
    var mirroredTotal = Tally()
    var mirroredStatuses = StatusCounts()
    var mirroredDurations = DurationBuckets()
    var windows: [Window]

    init(windowCount: Int) {
        windows = Array(repeating: Window(), count: windowCount)
        // `repeating:` shares one counts buffer; give every window its own now, not on first write.
        for index in windows.indices { windows[index].latency = TrafficCounters.histogram() }
    }

    /// Counts one request in the cumulative totals and in the window of `epoch`: a served
    /// request in the served counts and latencies, a mirrored copy in the mirrored ones.
    mutating func record(status: Int, latencyMicros: UInt64, mirrored: Bool, epoch: UInt64) {
        let statusClass = StatusClass(status: status)
        let micros = min(latencyMicros, Self.highestMicros)
        if mirrored {
            mirroredTotal.add(error: statusClass.isError, micros: micros)
            mirroredStatuses[statusClass] &+= 1
            mirroredDurations.record(micros)
        } else {
            total.add(error: statusClass.isError, micros: micros)
            statuses[statusClass] &+= 1
            cumulative.record(micros)
            durations.record(micros)
        }

        let slot = Int(epoch % UInt64(windows.count))
        // A stale epoch (a thread that read the clock just before the window turned) counts
        // in the newer window rather than wiping it.
        if let stored = windows[slot].epoch, stored >= epoch {
        } else {
            windows[slot].reset(epoch: epoch)
        }
        if mirrored {
            windows[slot].mirrored.add(error: statusClass.isError, micros: micros)
        } else {
            windows[slot].tally.add(error: statusClass.isError, micros: micros)
            windows[slot].latency.record(micros)
        }
    }

    /// Empties every window (the totals stay): the version starts a new life.
    mutating func clearWindows() {
        for index in windows.indices { windows[index].reset(epoch: nil) }
    }

    /// The windows among the `count` most recent up to `epoch`, merged into a new histogram.
    func merged(windows count: Int, endingAt epoch: UInt64) -> (tally: Tally, mirrored: Tally, latency: Histogram<UInt32>) {
        var tally = Tally()
        var mirrored = Tally()
        var latency: Histogram<UInt32> = Self.histogram()
        for window in windows {
            guard let stored = window.epoch, stored <= epoch, epoch - stored < UInt64(count) else { continue }
            tally.add(window.tally)
            mirrored.add(window.mirrored)
            latency.add(window.latency)
        }
        return (tally, mirrored, latency)
    }

    /// A copy of the cumulative histogram that shares no storage with it, so that the next
    /// record does not copy the counts.
    func cumulativeCopy() -> Histogram<UInt64> {
        var copy: Histogram<UInt64> = Self.histogram()
        copy.add(cumulative)
        return copy
    }
}
