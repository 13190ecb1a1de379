import SluiceCore

/// Halves of inference calls waiting for their other half (request for response, or the
/// reverse: the logger's workers send them in any order). Bounded three ways, since anyone
/// who reaches the collector can post events: at most `capacity` halves, at most
/// `valueBudget` feature values held across them, and each half for `ttl` seconds.
struct KServePendingTable: Sendable {
    /// Which call a half belongs to.
    struct Key: Hashable, Sendable {
        var model: String
        var version: String
        var id: String
    }

    /// One half: the features kept of it (the sketched inputs of a request; the outputs
    /// of a response) and when it came.
    struct Half: Sendable {
        var kind: KServeCloudEvent.Kind
        var features: [(name: String, values: [FeatureValue])]
        var arrived: Double

        /// Values held, the table's unit of memory.
        var valueCount: Int { features.reduce(0) { $0 + $1.values.count } }
    }

    /// What became of an offered half.
    enum Offer {
        /// Its other half was waiting: the call is complete.
        case joined(request: Half, response: Half)
        /// Kept until its other half comes or it expires.
        case pending
        /// The table is full (halves or values); the half is dropped.
        case full
        /// The same half of the same call came before; the repeat is dropped.
        case duplicate
    }

    let capacity: Int
    let valueBudget: Int
    let ttl: Double
    private var entries: [Key: Half] = [:]
    /// Keys in arrival order, for expiry; keys joined since stay until swept or compacted.
    private var order: [(key: Key, arrived: Double)] = []
    private var head = 0
    private(set) var heldValues = 0

    init(capacity: Int, valueBudget: Int, ttl: Double) {
        self.capacity = max(1, capacity)
        self.valueBudget = max(0, valueBudget)
        self.ttl = ttl
    }

    /// Halves waiting.
    var count: Int { entries.count }

    /// Joins `half` to its waiting other half, or keeps it.
    mutating func offer(_ half: Half, key: Key) -> Offer {
        if let waiting = entries[key] {
            guard waiting.kind != half.kind else { return .duplicate }
            remove(key)
            return half.kind == .request ? .joined(request: half, response: waiting) : .joined(request: waiting, response: half)
        }
        guard entries.count < capacity, heldValues + half.valueCount <= valueBudget else { return .full }
        entries[key] = half
        heldValues += half.valueCount
        order.append((key, half.arrived))
        compactIfSparse()
        return .pending
    }

    /// Removes and returns the halves that waited `ttl` seconds or more by `now`, oldest first.
    mutating func expire(now: Double) -> [(key: Key, half: Half)] {
        var expired: [(key: Key, half: Half)] = []
        while head < order.count, order[head].arrived + ttl <= now {
            let (key, arrived) = order[head]
            head += 1
            // A key joined and offered again later is a new half: only the one that arrived then expires.
            if let half = entries[key], half.arrived == arrived {
                remove(key)
                expired.append((key, half))
            }
        }
        compactIfSparse()
        return expired
    }

    /// Drops every half whose version is not listed (model name to version names).
    mutating func retain(models: [String: Set<String>]) {
        for key in entries.keys where models[key.model]?.contains(key.version) != true { remove(key) }
        compactIfSparse()
    }

    private mutating func remove(_ key: Key) {
        guard let half = entries.removeValue(forKey: key) else { return }
        heldValues -= half.valueCount
    }

    /// Keeps `order` within twice the live halves, so joined keys cannot grow it without bound.
    private mutating func compactIfSparse() {
        guard order.count - head > 2 * max(entries.count, 64) || (head > 64 && head > order.count / 2) else { return }
        order = order[head...].filter { entries[$0.key]?.arrived == $0.arrived }
        head = 0
    }
}
