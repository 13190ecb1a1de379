/// A mergeable frequent-items sketch for categories: Misra–Gries counters with the
/// reduction of Agarwal et al., "Mergeable Summaries" (2012).
///
/// Up to 2·capacity counters are kept; when an insert or a merge goes past that, the
/// (capacity+1)-th largest counter is subtracted from every counter and those left at
/// zero or below are dropped, leaving at most `capacity`. Doing it lazily costs
/// O(log capacity) per insert amortized instead of O(capacity) when every item is new.
///
/// Estimates are lower bounds: estimate ≤ true count ≤ estimate + `maximumError`, and an
/// untracked item occurred at most `maximumError` times. `maximumError` (the total
/// subtracted) is at most (count − Σ estimates)/(capacity + 1) ≤ count/(capacity + 1) for
/// sketches of one capacity, so any item more frequent than that fraction is tracked.
public struct FrequentItems: Sendable, Hashable {
    /// The default number of counters kept after a reduction.
    public static let defaultCapacity = 64
    /// Capacities accepted (by `init` and from JSON).
    public static let capacityRange = 1...65536

    /// Counters kept after a reduction (at most twice as many between reductions).
    public let capacity: Int
    private var counters: [String: Int] = [:]
    private var total = 0
    private var offset = 0

    /// An empty sketch; `capacity` must be in `capacityRange`.
    public init(capacity: Int = FrequentItems.defaultCapacity) {
        precondition(Self.capacityRange.contains(capacity), "FrequentItems capacity must be in \(Self.capacityRange)")
        self.capacity = capacity
    }

    /// Total count inserted, including merged sketches.
    public var count: Int { total }
    /// True while nothing has been subtracted: then every estimate is the true count.
    public var isExact: Bool { offset == 0 }
    /// How far any estimate may be below the true count (estimates never exceed it).
    public var maximumError: Int { offset }

    /// Adds `count` (≥ 0) occurrences of `item`.
    public mutating func insert(_ item: String, count: Int = 1) {
        precondition(count >= 0, "FrequentItems counts are ≥ 0")
        guard count > 0 else { return }
        total += count
        counters[item, default: 0] += count
        if counters.count > 2 * capacity { reduce() }
    }

    /// Adds everything `other` summarizes; errors add up (plus any new reduction).
    public mutating func merge(_ other: FrequentItems) {
        total += other.total
        offset += other.offset
        for (item, count) in other.counters { counters[item, default: 0] += count }
        if counters.count > 2 * capacity { reduce() }
    }

    /// Subtracts the (capacity+1)-th largest counter from all, dropping those it empties.
    private mutating func reduce() {
        let threshold = counters.values.sorted(by: >)[capacity]
        offset += threshold
        var kept: [String: Int] = [:]
        kept.reserveCapacity(2 * capacity + 1)
        for (item, count) in counters where count > threshold { kept[item] = count - threshold }
        counters = kept
    }

    /// The lower-bound estimate for `item` (0 when untracked).
    public func estimate(_ item: String) -> Int { counters[item] ?? 0 }

    /// Tracked items and their estimates, by count descending, then item.
    public func estimates() -> [(item: String, count: Int)] {
        counters.map { (item: $0.key, count: $0.value) }.sorted { $0.count != $1.count ? $0.count > $1.count : $0.item < $1.item }
    }

    /// Counts for chi-square: the tracked items plus `otherLabel` holding the remainder
    /// (untracked items and what reductions subtracted), summing to `count`. The other
    /// bucket is present only when the remainder is positive (so an exact sketch adds no
    /// empty category); a tracked item named `otherLabel` absorbs it.
    public func countsWithOther(otherLabel: String = "(other)") -> [String: Int] {
        var counts = counters
        let remainder = total - counters.values.reduce(0, +)
        if remainder > 0 { counts[otherLabel, default: 0] += remainder }
        return counts
    }

    // MARK: - JSON

    /// `{"capacity":…, "n":…, "error":…, "items":{"blue":12, …}}`, items by count
    /// descending, then item.
    public func jsonValue() -> JSONValue {
        .object([
            ("capacity", .int(capacity)),
            ("n", .int(total)),
            ("error", .int(offset)),
            ("items", .object(estimates().map { ($0.item, JSONValue.int($0.count)) })),
        ])
    }

    /// Decodes and validates `jsonValue()`'s form: capacity in range, counts > 0 adding
    /// up to at most n, no duplicate items, at most 2·capacity of them, error ≤ the
    /// untracked remainder.
    public init(json: JSONValue) throws(SketchDecodingError) {
        _ = try SketchJSON.object(json, "")
        self.init(capacity: try SketchJSON.integer(json["capacity"], "capacity", in: Self.capacityRange))
        total = try SketchJSON.integer(json["n"], "n", in: 0...SketchJSON.maximumCount)
        offset = try SketchJSON.integer(json["error"], "error", in: 0...SketchJSON.maximumCount)
        let members = try SketchJSON.object(json["items"], "items")
        guard members.count <= 2 * capacity else {
            throw SketchDecodingError(path: "items", message: "expected at most \(2 * capacity) items (twice the capacity)")
        }
        var tracked = 0
        for (item, value) in members {
            let path = "items.\(item)"
            let count = try SketchJSON.integer(value, path, in: 1...SketchJSON.maximumCount)
            guard counters.updateValue(count, forKey: item) == nil else {
                throw SketchDecodingError(path: path, message: "duplicate item")
            }
            let (sum, overflow) = tracked.addingReportingOverflow(count)
            guard !overflow, sum <= total else {
                throw SketchDecodingError(path: path, message: "item counts add up to more than n = \(total)")
            }
            tracked = sum
        }
        guard offset <= total - tracked else {
            throw SketchDecodingError(path: "error", message: "expected error ≤ n − Σ item counts = \(total - tracked)")
        }
    }
}
