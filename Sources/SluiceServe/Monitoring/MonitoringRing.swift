import SluiceCore

/// One version's monitoring buckets: the one being filled and the last few sealed ones.
/// The controller collects sealed buckets; older ones are dropped, so memory is bounded by
/// `retained` buckets whatever the traffic.
struct MonitoringRing: Sendable {
    let model: String
    let version: String
    let bucketSeconds: Int
    let retained: Int
    private(set) var current: MonitoringBucket?
    private(set) var sealed: [MonitoringBucket] = []
    /// Requests offered for sketching in the current bucket.
    private var offered = 0

    init(model: String, version: String, bucketSeconds: Int, retained: Int) {
        self.model = model
        self.version = version
        self.bucketSeconds = bucketSeconds
        self.retained = retained
    }

    /// Runs `body` on the bucket that contains `now`, sealing the previous one if it ended.
    mutating func update(now: Int64, _ body: (inout MonitoringBucket) -> Void) {
        let start = now - now.modulo(Int64(bucketSeconds))
        // Only the start is read per request: binding `current` copied the whole bucket
        // (its sketches' storage retained and released) on every request.
        if current?.start != start {
            if let ended = current { seal(ended, now: now) }
            current = MonitoringBucket(model: model, version: version, start: start, seconds: bucketSeconds)
            offered = 0
        }
        body(&current!)
    }

    /// Runs `body` on the current bucket if it is the one that contains `now`; nothing when
    /// that bucket has ended since (features of a request admitted into it are not moved into
    /// the next), nor when none has started yet.
    mutating func updateIfCurrent(now: Int64, _ body: (inout MonitoringBucket) -> Void) {
        let start = now - now.modulo(Int64(bucketSeconds))
        guard current?.start == start else { return }
        body(&current!)
    }

    /// Whether a request's features go into the bucket's sketches: every request up to
    /// `limit` per bucket, then every k-th with k growing with the traffic, so a busy
    /// version's cost stays flat (the sketches' own error soon dominates anyway).
    mutating func admit(now: Int64, limit: Int) -> Bool {
        update(now: now) { _ in }
        offered += 1
        return offered <= limit || offered % (offered / limit + 1) == 0
    }

    /// Buckets that have ended by `now` and started after `after` (seconds since the epoch),
    /// oldest first.
    func ended(after: Int64, now: Int64) -> [MonitoringBucket] {
        var buckets = sealed.filter { $0.start > after && $0.end > now - Int64(retained * bucketSeconds) }
        if let current, current.end <= now, current.start > after { buckets.append(current) }
        return buckets
    }

    private mutating func seal(_ bucket: MonitoringBucket, now: Int64) {
        sealed.append(bucket)
        let oldest = now - Int64(retained * bucketSeconds)
        sealed.removeAll { $0.end <= oldest }
        if sealed.count > retained { sealed.removeFirst(sealed.count - retained) }
    }
}
