/// The prediction log's storage: slots in a ring, reused oldest first once `capacity` are
/// filled, and an open-addressing index from a model and request id to its slot (linear
/// probing; a removal shifts the entries after it back, so no tombstones pile up). The
/// ring and the index grow by doubling while the log fills; once full, remembering a
/// prediction allocates nothing and hashes its key once (a `Dictionary` with an order
/// array took two or three hashed lookups and rehashed as it grew). Each bucket holds its
/// key's hash beside the slot number, so probing reads no slot but the one it finds: in a
/// full log of 100,000 the slots are megabytes, and each slot read was a cache miss
/// (Benchmarks/README.md, "Hot path, slice 57").
struct PredictionTable: Sendable {
    private struct Slot: Sendable {
        var model: String
        var id: PredictionID
        var hash: Int
        var prediction: PredictionLog.Prediction
    }

    /// A slot's number and the low 32 bits of its key's hash (all a bucket's place takes:
    /// there are at most 2^31 buckets), so that probing compares hashes in the index alone.
    private struct Bucket: Sendable {
        var slot: Int32
        var hash: UInt32

        static let empty = Bucket(slot: -1, hash: 0)
        var isEmpty: Bool { slot < 0 }
    }

    let capacity: Int
    private var slots: [Slot] = []
    /// The slot reused next once the ring is full: the oldest.
    private var next = 0
    /// Never more than half full.
    private var buckets: [Bucket]
    private let largestBucketCount: Int

    init(capacity: Int) {
        precondition(capacity >= 0 && capacity < Int(Int32.max) / 2, "the prediction log holds fewer than a billion entries")
        self.capacity = capacity
        var largest = 16
        while largest < 2 * capacity { largest *= 2 }
        largestBucketCount = largest
        buckets = []
    }

    /// Predictions kept.
    var count: Int { slots.count }

    /// Keeps a prediction, forgetting the oldest when full; false (and nothing changes)
    /// when the key is already kept.
    mutating func insert(model: String, id: PredictionID, prediction: PredictionLog.Prediction) -> Bool {
        guard capacity > 0 else { return false }
        let hash = Self.hash(id)
        guard find(model: model, id: id, hash: hash) == nil else { return false }
        let slot = Slot(model: model, id: id, hash: hash, prediction: prediction)
        if slots.count < capacity {
            if 2 * (slots.count + 1) > buckets.count { grow() }
            slots.append(slot)
            place(slots.count - 1)
        } else {
            let evicted = next
            if let bucket = bucket(ofSlot: evicted) { remove(bucket: bucket) }
            slots[evicted] = slot
            place(evicted)
            next = (next + 1) % capacity
        }
        return true
    }

    /// Changes the prediction kept under a key, if any, and returns what it was before.
    mutating func update(model: String, id: PredictionID, _ change: (inout PredictionLog.Prediction) -> Void) -> PredictionLog.Prediction? {
        guard !slots.isEmpty, let bucket = find(model: model, id: id, hash: Self.hash(id)) else { return nil }
        let slot = Int(buckets[bucket].slot)
        let before = slots[slot].prediction
        change(&slots[slot].prediction)
        return before
    }

    /// The id alone: each request has its own, and the model is compared, not hashed. An id
    /// the gateway issued is 128 bits from the CSPRNG that no caller chooses, already as
    /// uniform as a hash: its words folded, where `Hasher` cost ~190 instructions of every
    /// remembered answer. Any other id (a KServe logger's, the caller's) goes through `Hasher`,
    /// seeded per process, so that callers cannot choose ids that collide.
    private static func hash(_ id: PredictionID) -> Int {
        switch id {
        case .issued(let issued):
            return Int(truncatingIfNeeded: issued.high ^ issued.low)
        case .text:
            var hasher = Hasher()
            id.hash(into: &hasher)
            return hasher.finalize()
        }
    }

    private var mask: Int { buckets.count - 1 }

    private func find(model: String, id: PredictionID, hash: Int) -> Int? {
        guard !buckets.isEmpty else { return nil }
        let tag = UInt32(truncatingIfNeeded: hash)
        var bucket = hash & mask
        while !buckets[bucket].isEmpty {
            if buckets[bucket].hash == tag {
                let slot = slots[Int(buckets[bucket].slot)]
                if slot.id == id, slot.model == model { return bucket }
            }
            bucket = (bucket + 1) & mask
        }
        return nil
    }

    private func bucket(ofSlot number: Int) -> Int? {
        var bucket = slots[number].hash & mask
        while !buckets[bucket].isEmpty {
            if Int(buckets[bucket].slot) == number { return bucket }
            bucket = (bucket + 1) & mask
        }
        return nil
    }

    private mutating func place(_ number: Int) {
        let hash = slots[number].hash
        var bucket = hash & mask
        while !buckets[bucket].isEmpty { bucket = (bucket + 1) & mask }
        buckets[bucket] = Bucket(slot: Int32(number), hash: UInt32(truncatingIfNeeded: hash))
    }

    /// Empties `bucket`, moving back each later entry of its run that may sit there (its
    /// home bucket is not between the hole and where it is), so lookups never stop short.
    private mutating func remove(bucket: Int) {
        var hole = bucket
        var probe = bucket
        while true {
            probe = (probe + 1) & mask
            guard !buckets[probe].isEmpty else { break }
            let home = Int(buckets[probe].hash) & mask
            if (probe - home) & mask >= (probe - hole) & mask {
                buckets[hole] = buckets[probe]
                hole = probe
            }
        }
        buckets[hole] = .empty
    }

    private mutating func grow() {
        let size = buckets.isEmpty ? min(1024, largestBucketCount) : min(buckets.count * 2, largestBucketCount)
        guard size > buckets.count else { return }
        buckets = [Bucket](repeating: .empty, count: size)
        for number in slots.indices { place(number) }
    }
}
