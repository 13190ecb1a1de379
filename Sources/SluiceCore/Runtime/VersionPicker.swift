/// Chooses the version of a model that serves one request.
///
/// Order of precedence: an explicit version (the request path or the pin header), then
/// the route's header pins, then the sticky key, then weighted random. Only ready
/// versions get traffic; a weight on a version that is not ready is shared among the
/// ready ones in proportion to their weights.
public struct VersionPicker: Sendable {
    /// Why a version was chosen (reported in logs and tests).
    public enum Reason: String, Sendable {
        case explicit, pin, sticky, weighted
    }

    /// The outcome for one request.
    public enum Choice: Sendable, Equatable {
        /// Route to this version.
        case version(String, Reason)
        /// The requested version exists but is not ready.
        case notReady(String)
        /// The requested version is not declared for this model.
        case unknownVersion(String)
        /// No version with traffic is ready.
        case noneReady
    }

    /// Versions in spec order with their configured weights.
    public let weighted: [(name: String, weight: Int)]
    /// The declared version names.
    public let declared: Set<String>
    /// The route's header pins.
    public let pins: [Route.HeaderPin]
    /// The sticky header, lowercased.
    public let stickyHeader: String?

    public init(model: ModelRuntime) {
        weighted = model.versions.map { ($0.name, model.route.weights[$0.name] ?? 0) }
        declared = Set(model.versions.map(\.name))
        pins = model.route.pins.map { Route.HeaderPin(header: $0.header.lowercased(), value: $0.value, version: $0.version) }
        stickyHeader = model.route.stickyHeader?.lowercased()
    }

    /// Chooses a version.
    /// - Parameters:
    ///   - explicit: a version named by the path or the pin header.
    ///   - header: looks up a request header by lowercased name.
    ///   - isReady: whether a version may get traffic now.
    ///   - random: a uniformly random 64-bit value (injected so tests are deterministic).
    ///   - weighted: the weighted step's table for the same readiness, made once
    ///     (``weightedChoice(isReady:)``); nil makes it here.
    public func choose(
        explicit: String?,
        header: (String) -> String?,
        isReady: (String) -> Bool,
        random: UInt64,
        weighted table: WeightedChoice? = nil
    ) -> Choice {
        if let explicit { return direct(explicit, reason: .explicit, isReady: isReady) }
        for pin in pins where header(pin.header) == pin.value {
            return direct(pin.version, reason: .pin, isReady: isReady)
        }
        if let stickyHeader, let key = header(stickyHeader) {
            let position = Self.unitPosition(Self.hash(key))
            if let version = Self.pick(weighted, at: position), isReady(version) {
                return .version(version, .sticky)
            }
        }
        let table = table ?? weightedChoice(isReady: isReady)
        return table.pick(random: random).map { .version($0, .weighted) } ?? .noneReady
    }

    /// The weighted step for one state of readiness: the ready versions with weight, in spec
    /// order, and their total. A routing table makes it once (its readiness is fixed), which
    /// spares each request a readiness lookup per version.
    public struct WeightedChoice: Sendable {
        let entries: [(name: String, weight: Int)]
        let total: Int

        /// The version whose cumulative weight range holds `random`'s position; nil when no
        /// version with weight is ready.
        public func pick(random: UInt64) -> String? {
            guard total > 0 else { return nil }
            let target = VersionPicker.unitPosition(random) * Double(total)
            var cumulative = 0.0
            for entry in entries {
                cumulative += Double(entry.weight)
                if target < cumulative { return entry.name }
            }
            return entries.last?.name
        }
    }

    /// ``WeightedChoice`` for the versions `isReady` admits.
    public func weightedChoice(isReady: (String) -> Bool) -> WeightedChoice {
        let entries = weighted.filter { $0.weight > 0 && isReady($0.name) }
        return WeightedChoice(entries: entries, total: entries.reduce(0) { $0 + $1.weight })
    }

    /// The share of traffic each version gets now, given readiness (percent, summing to
    /// 100 when any weighted version is ready, else all zero).
    public func effectiveWeights(isReady: (String) -> Bool) -> [String: Double] {
        let ready = weighted.filter { $0.weight > 0 && isReady($0.name) }
        let total = ready.reduce(0) { $0 + $1.weight }
        var shares = Dictionary(uniqueKeysWithValues: weighted.map { ($0.name, 0.0) })
        for entry in ready where total > 0 {
            shares[entry.name] = Double(entry.weight) * 100 / Double(total)
        }
        return shares
    }

    private func direct(_ version: String, reason: Reason, isReady: (String) -> Bool) -> Choice {
        guard declared.contains(version) else { return .unknownVersion(version) }
        return isReady(version) ? .version(version, reason) : .notReady(version)
    }

    /// The version whose cumulative weight range holds `position` (in [0, 1)).
    static func pick(_ versions: [(name: String, weight: Int)], at position: Double) -> String? {
        let total = versions.reduce(0) { $0 + $1.weight }
        guard total > 0 else { return nil }
        let target = position * Double(total)
        var cumulative = 0.0
        for entry in versions where entry.weight > 0 {
            cumulative += Double(entry.weight)
            if target < cumulative { return entry.name }
        }
        return versions.last { $0.weight > 0 }?.name
    }

    /// Maps 64 random bits to [0, 1) with 53 bits of resolution.
    static func unitPosition(_ bits: UInt64) -> Double {
        Double(bits >> 11) / Double(UInt64(1) << 53)
    }

    /// A stable 64-bit hash of a sticky key (FNV-1a, then a splitmix64 finalizer so that
    /// similar keys spread evenly). Stable across processes and releases, unlike `Hasher`.
    public static func hash(_ key: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in key.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        hash ^= hash >> 30
        hash = hash &* 0xbf58_476d_1ce4_e5b9
        hash ^= hash >> 27
        hash = hash &* 0x94d0_49bb_1331_11eb
        hash ^= hash >> 31
        return hash
    }
}
