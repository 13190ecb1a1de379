import SluiceCore

/// A uniform sample of one version's requests (Algorithm R): each row holds one request's
/// input features and, later, its output features.
struct SampleReservoir: Sendable {
    /// One feature's values within a row: `count` values of feature `feature`.
    struct Span: Sendable {
        var feature: Int32
        var count: Int32
    }

    /// The features of one side (inputs or outputs) of a request, flattened.
    struct Columns: Sendable {
        var spans: [Span] = []
        var values: [FeatureValue] = []
    }

    /// One sampled request; `generation` names the request that owns the slot.
    struct Row: Sendable {
        var generation: UInt64
        var inputs: Columns?
        var outputs: Columns?

        var isEmpty: Bool { inputs == nil && outputs == nil }
    }

    /// Feature names interned per version, at most `limit` of them.
    struct FeatureNames: Sendable {
        private(set) var names: [String] = []
        private var ids: [String: Int32] = [:]

        mutating func id(for name: String, limit: Int) -> Int32? {
            if let id = ids[name] { return id }
            guard names.count < limit else { return nil }
            let id = Int32(names.count)
            names.append(name)
            ids[name] = id
            return id
        }
    }

    let capacity: Int
    /// Requests offered to the reservoir.
    private(set) var seen: UInt64 = 0
    private var generation: UInt64 = 0
    private(set) var rows: [Row] = []
    private(set) var inputNames = FeatureNames()
    private(set) var outputNames = FeatureNames()
    private var random: SplitMix64

    init(capacity: Int, seed: UInt64) {
        self.capacity = capacity
        random = SplitMix64(state: seed)
    }

    /// Offers one request: returns the slot it takes, or nil when it is not sampled.
    /// The i-th request is kept with probability capacity / i, replacing a uniform slot.
    mutating func admit() -> (slot: Int, generation: UInt64)? {
        seen &+= 1
        let slot: Int
        if rows.count < capacity {
            if rows.isEmpty { rows.reserveCapacity(capacity) }
            slot = rows.count
            rows.append(Row(generation: 0))
        } else {
            let pick = random.below(seen)
            guard pick < UInt64(capacity) else { return nil }
            slot = Int(pick)
        }
        generation &+= 1
        rows[slot] = Row(generation: generation)
        return (slot, generation)
    }

    /// Writes one side of a request into its row, unless another request took the slot since.
    mutating func store(
        _ features: [(name: String, values: [FeatureValue])],
        outputs: Bool,
        slot: Int,
        generation: UInt64,
        maxFeatures: Int
    ) {
        guard rows.indices.contains(slot), rows[slot].generation == generation else { return }
        var columns = Columns()
        columns.spans.reserveCapacity(features.count)
        columns.values.reserveCapacity(features.reduce(0) { $0 + $1.values.count })
        for (name, values) in features {
            let id = outputs ? outputNames.id(for: name, limit: maxFeatures) : inputNames.id(for: name, limit: maxFeatures)
            guard let id else { continue }
            columns.spans.append(Span(feature: id, count: Int32(values.count)))
            columns.values += values
        }
        if outputs { rows[slot].outputs = columns } else { rows[slot].inputs = columns }
    }

    /// Caps a request's features before the lock is taken: at most `maxFeatures` features,
    /// `valuesPerRow` values shared evenly among them (at least one each), and categories
    /// cut to `maximumCategoryBytes` bytes.
    static func trimmed(
        _ features: [(name: String, values: [FeatureValue])],
        maxFeatures: Int,
        valuesPerRow: Int
    ) -> [(name: String, values: [FeatureValue])] {
        let kept = features.prefix(maxFeatures)
        guard !kept.isEmpty else { return [] }
        let perFeature = max(1, valuesPerRow / kept.count)
        return kept.map { feature in
            (feature.name, feature.values.prefix(perFeature).map(truncated))
        }
    }

    /// Categories longer than this (in UTF-8 bytes) are cut, so a text input cannot fill memory.
    static let maximumCategoryBytes = 64

    private static func truncated(_ value: FeatureValue) -> FeatureValue {
        guard case .category(let text) = value, text.utf8.count > maximumCategoryBytes else { return value }
        var cut = ""
        var bytes = 0
        for scalar in text.unicodeScalars {
            bytes += UTF8.width(scalar)
            guard bytes <= maximumCategoryBytes else { break }
            cut.unicodeScalars.append(scalar)
        }
        return .category(cut)
    }
}

/// A small, fast generator (Steele, Lea, Flood 2014) for sampling decisions; not cryptographic.
struct SplitMix64: Sendable {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A value in `0..<bound` (Lemire's multiply-shift; the bias is below 2^-32 for bounds under 2^32).
    mutating func below(_ bound: UInt64) -> UInt64 {
        next().multipliedFullWidth(by: bound).high
    }
}
