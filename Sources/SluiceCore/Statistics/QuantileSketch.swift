#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A mergeable quantile sketch of bounded size: KLL (Karnin, Lang, Liberty, "Optimal
/// Quantile Approximation in Streams", 2016) in the practical form of Apache DataSketches'
/// KLL — compactors whose capacities decay by 2/3 from the top level down (never below
/// 8), lazy compaction (only when the whole sketch is full, only the lowest full level),
/// and a random offset for each compaction.
///
/// Level h holds items of weight 2^h. All levels share one array, level 0 (unsorted,
/// where inserts land) at the bottom next to the free space, so an insert is a store and
/// a decrement. The retained items never exceed the total capacity,
/// Σ max(8, round(k·(2/3)^depth)) ≤ 3k + 9·levels, with levels ≈ log₂(n/k) + 2
/// (for k = 200: at most 792 items up to 2⁶⁰ values).
///
/// Answers are exact while nothing has been compacted (`isExact`, up to k values);
/// afterwards every rank is within `normalizedRankError` of the truth with ~99%
/// confidence. Sketches with different k merge; the error bound then follows the
/// smallest k merged.
///
/// Compaction coins come from a SplitMix64 generator seeded by `seed` and stirred with a
/// value at each level-0 compaction: the sketch is deterministic given its seed and
/// insert order, yet sketches of different data that share a seed (every bucket of a data
/// plane) do not share coin sequences, so their errors stay independent when merged.
///
/// Equality compares the summary (k, counts, extremes, retained levels), not the coin
/// generator's state.
public struct QuantileSketch: Sendable, Hashable {
    /// The default accuracy parameter: ε ≈ 1.33% (single rank), 1.65% (histogram bins).
    public static let defaultK = 200
    /// Accepted values of k (DataSketches' range).
    public static let kRange = 8...65535
    /// No level's capacity falls below this width.
    static let minimumWidth = 8
    /// Levels accepted from JSON: weights up to 2^61 keep every sum within Int.
    static let maximumLevels = 62

    /// The accuracy parameter: the capacity of the top level.
    public private(set) var k: Int
    /// The smallest k among the sketches merged into this one; it sets the error bound.
    private var errorK: Int
    private var n = 0
    private var nans = 0
    private var low = Double.infinity
    private var high = -Double.infinity
    /// Level h is items[levels[h]..<levels[h + 1]]; items[0..<levels[0]] is free space.
    private var items: [Double]
    private var levels: [Int]
    private var random: UInt64

    /// An empty sketch; `k` must be in `kRange`. Sketches that will be merged should get
    /// different seeds when convenient (the data stirs the coins anyway).
    public init(k: Int = QuantileSketch.defaultK, seed: UInt64 = 0x5EED) {
        precondition(Self.kRange.contains(k), "QuantileSketch k must be in \(Self.kRange)")
        self.k = k
        errorK = k
        items = [Double](repeating: 0, count: k)
        levels = [k, k]
        random = seed
    }

    // MARK: - Counts and extremes

    /// Values inserted (NaN excluded), including those of merged sketches.
    public var count: Int { n }
    /// NaN values offered to `insert` (not part of the distribution).
    public var nanCount: Int { nans }
    /// The smallest value inserted, nil when empty (always exact).
    public var minimum: Double? { n > 0 ? low : nil }
    /// The largest value inserted, nil when empty (always exact).
    public var maximum: Double? { n > 0 ? high : nil }
    /// True while nothing has been compacted: then every answer is exact.
    public var isExact: Bool { levels.count == 2 }
    /// Items held now (bounded by the total capacity; see the type's documentation).
    public var retainedCount: Int { levels[levels.count - 1] - levels[0] }
    /// Number of levels (compactors).
    public var levelCount: Int { levels.count - 1 }

    /// Normalized rank error ε at ~99% confidence, 0 while exact: every rank estimate
    /// (`rank`, `rankExclusive`, the rank of a `quantile` answer) is within ε of the true
    /// fraction. This is DataSketches' single-rank ("CDF") bound, 2.296 / k^0.9723,
    /// fitted to the 99th percentile of the maximum error over all ranks; for k = 200
    /// it is 1.33%. It depends on k only, not on the count.
    public var normalizedRankError: Double {
        isExact ? 0 : Self.normalizedRankError(k: errorK, histogram: false)
    }

    /// The error of one `histogram` bin as a fraction of `count` (~99% confidence), 0 while
    /// exact: DataSketches' double-sided ("PMF") bound, 2.446 / k^0.9433 (1.65% at k = 200).
    public var normalizedHistogramError: Double {
        isExact ? 0 : Self.normalizedRankError(k: errorK, histogram: true)
    }

    /// DataSketches' published KLL error bounds (99% confidence) for `k`.
    public static func normalizedRankError(k: Int, histogram: Bool) -> Double {
        histogram ? 2.446 / pow(Double(k), 0.9433) : 2.296 / pow(Double(k), 0.9723)
    }

    // MARK: - Inserting

    /// Adds one value; NaN is counted in `nanCount` and not inserted; ±infinity is kept
    /// as ±`Double.greatestFiniteMagnitude` (JSON has no infinity; ranks are unchanged
    /// but for ties with that value).
    public mutating func insert(_ value: Double) {
        guard value.isFinite else {
            if value.isNaN {
                nans += 1
            } else {
                insert(value < 0 ? -.greatestFiniteMagnitude : .greatestFiniteMagnitude)
            }
            return
        }
        if value < low { low = value }
        if value > high { high = value }
        if levels[0] == 0 { compressWhileUpdating() }
        n += 1
        levels[0] -= 1
        items[levels[0]] = value
    }

    /// Adds every value of `values`, as `insert` does one.
    public mutating func insert<S: Sequence>(contentsOf values: S) where S.Element == Double {
        let done: Void? = values.withContiguousStorageIfAvailable { buffer in insertBuffer(buffer) }
        if done == nil {
            for value in values { insert(value) }
        }
    }

    /// Fills the free space in runs, compacting between them: no per-value bookkeeping
    /// beyond the extremes.
    private mutating func insertBuffer(_ buffer: UnsafeBufferPointer<Double>) {
        var next = 0
        while next < buffer.count {
            if levels[0] == 0 { compressWhileUpdating() }
            var free = levels[0]
            var lowest = low
            var highest = high
            var added = 0
            var skipped = 0
            items.withUnsafeMutableBufferPointer { storage in
                while free > 0, next < buffer.count {
                    var value = buffer[next]
                    next += 1
                    if !value.isFinite {
                        if value.isNaN {
                            skipped += 1
                            continue
                        }
                        value = value < 0 ? -.greatestFiniteMagnitude : .greatestFiniteMagnitude
                    }
                    if value < lowest { lowest = value }
                    if value > highest { highest = value }
                    free -= 1
                    storage[free] = value
                    added += 1
                }
            }
            low = lowest
            high = highest
            n += added
            nans += skipped
            levels[0] = free
        }
    }

    // MARK: - Merging

    /// Adds everything `other` summarizes: counts and extremes exactly, values within
    /// the error bound of the smaller k.
    public mutating func merge(_ other: QuantileSketch) {
        nans += other.nans
        guard other.n > 0 else { return }
        let mergedCount = n + other.n
        let mergedLow = min(low, other.low)
        let mergedHigh = max(high, other.high)
        errorK = min(errorK, other.errorK)
        // Weight-1 items go through the insert path, which compacts as needed.
        for index in other.levels[0]..<other.levels[1] { insert(other.items[index]) }
        if other.levels.count > 2 { mergeUpperLevels(of: other) }
        n = mergedCount
        low = mergedLow
        high = mergedHigh
    }

    /// Concatenates level by level (merging sorted levels), then compacts until the
    /// result fits (DataSketches' general compress).
    private mutating func mergeUpperLevels(of other: QuantileSketch) {
        let levelCount = max(self.levelCount, other.levelCount)
        let total = retainedCount + other.retainedCount - other.levelSize(0)
        var work = [Double](repeating: 0, count: total)
        var bounds = [Int](repeating: 0, count: levelCount + 2)
        var cursor = 0
        for index in levels[0]..<levels[1] {
            work[cursor] = items[index]
            cursor += 1
        }
        bounds[1] = cursor
        for level in 1..<levelCount {
            let mine = level < self.levelCount ? levels[level]..<levels[level + 1] : 0..<0
            let theirs = level < other.levelCount ? other.levels[level]..<other.levels[level + 1] : 0..<0
            if !mine.isEmpty || !theirs.isEmpty {
                items.withUnsafeBufferPointer { a in
                    other.items.withUnsafeBufferPointer { b in
                        work.withUnsafeMutableBufferPointer { target in
                            Self.merge(a.baseAddress! + mine.lowerBound, mine.count, b.baseAddress! + theirs.lowerBound, theirs.count, into: target.baseAddress! + cursor)
                        }
                    }
                }
            }
            cursor += mine.count + theirs.count
            bounds[level + 1] = cursor
        }
        let (finalLevels, capacity, population) = Self.generalCompress(
            k: k, levelCount: levelCount, buffer: &work, bounds: &bounds, random: &random)
        var merged = [Double](repeating: 0, count: capacity)
        let free = capacity - population
        for index in 0..<population { merged[free + index] = work[finalLevels[0] + index] }
        items = merged
        levels = finalLevels.map { $0 - finalLevels[0] + free }
    }

    // MARK: - Compaction

    /// Capacity of `level` when the sketch has `levelCount` levels: round(k·(2/3)^depth),
    /// at least 8, with integer arithmetic so every platform agrees.
    static func levelCapacity(k: Int, levelCount: Int, level: Int) -> Int {
        let depth = levelCount - level - 1
        // Past depth 30 even k = 65535 has decayed below the minimum width.
        guard depth <= 30 else { return minimumWidth }
        return max(minimumWidth, (((2 * k) << depth) / powersOfThree[depth] + 1) >> 1)
    }

    private static let powersOfThree: [Int] = (0...30).map { depth in (0..<depth).reduce(1) { product, _ in product * 3 } }

    /// Sum of the level capacities.
    static func totalCapacity(k: Int, levelCount: Int) -> Int {
        var total = 0
        for level in 0..<levelCount { total += levelCapacity(k: k, levelCount: levelCount, level: level) }
        return total
    }

    private func levelSize(_ level: Int) -> Int { levels[level + 1] - levels[level] }

    /// Frees space for level 0 by compacting the lowest level at or over capacity
    /// (one exists, since the sketch is full), adding a top level when needed.
    private mutating func compressWhileUpdating() {
        var level = 0
        while levelSize(level) < Self.levelCapacity(k: k, levelCount: levelCount, level: level) { level += 1 }
        if level == levelCount - 1 { addTopLevel() }
        let rawBegin = levels[level]
        let rawEnd = levels[level + 1]
        let populationAbove = levels[level + 2] - rawEnd
        let oddPopulation = (rawEnd - rawBegin) & 1 == 1
        let begin = oddPopulation ? rawBegin + 1 : rawBegin
        let half = (rawEnd - begin) / 2
        if level == 0 {
            // Stir the coins with the data (see the type's documentation).
            random &+= UInt64(truncatingIfNeeded: items[rawBegin].bitPattern) &* 0x9E37_79B9_7F4A_7C15
        }
        let offset = Self.coin(&random)
        items.withUnsafeMutableBufferPointer { buffer in
            if level == 0 { Self.sort(buffer, begin: begin, end: rawEnd) }
            if populationAbove == 0 {
                Self.halveUp(buffer, begin: begin, end: rawEnd, offset: offset)
            } else {
                Self.halveDown(buffer, begin: begin, end: rawEnd, offset: offset)
                let base = buffer.baseAddress!
                Self.merge(base + begin, half, base + rawEnd, populationAbove, into: base + begin + half)
            }
            if oddPopulation { buffer[rawEnd - half - 1] = buffer[rawBegin] }
            // Shift the levels below up into the freed space.
            if level > 0 {
                let start = levels[0]
                for index in stride(from: rawBegin - 1, through: start, by: -1) { buffer[index + half] = buffer[index] }
            }
        }
        levels[level + 1] = rawEnd - half
        levels[level] = oddPopulation ? rawEnd - half - 1 : rawEnd - half
        for below in 0..<level { levels[below] += half }
    }

    /// Grows the (full) array at the bottom by the capacity of the new level 0.
    private mutating func addTopLevel() {
        let growth = Self.levelCapacity(k: k, levelCount: levelCount + 1, level: 0)
        items.insert(contentsOf: repeatElement(0, count: growth), at: 0)
        for index in levels.indices { levels[index] += growth }
        levels.append(levels[levels.count - 1])
    }

    /// Sorts begin..<end; level 0 is usually compacted at 8 to 16 items, where insertion
    /// sort beats the standard library's merge sort several times over.
    private static func sort(_ buffer: UnsafeMutableBufferPointer<Double>, begin: Int, end: Int) {
        guard end - begin <= 32 else {
            buffer[begin..<end].sort()
            return
        }
        let base = buffer.baseAddress!
        var index = begin + 1
        while index < end {
            let value = base[index]
            var hole = index
            while hole > begin, base[hole - 1] > value {
                base[hole] = base[hole - 1]
                hole -= 1
            }
            base[hole] = value
            index += 1
        }
    }

    /// 0 or 1 from SplitMix64.
    private static func coin(_ state: inout UInt64) -> Int {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return Int((z ^ (z >> 31)) >> 63)
    }

    /// Keeps every other item of the sorted run begin..<end (starting at `offset`) in its
    /// upper half.
    private static func halveUp(_ buffer: UnsafeMutableBufferPointer<Double>, begin: Int, end: Int, offset: Int) {
        let half = (end - begin) / 2
        var source = end - 1 - offset
        var target = end - 1
        while target >= begin + half {
            buffer[target] = buffer[source]
            target -= 1
            source -= 2
        }
    }

    /// Keeps every other item of the sorted run begin..<end (starting at `offset`) in its
    /// lower half.
    private static func halveDown(_ buffer: UnsafeMutableBufferPointer<Double>, begin: Int, end: Int, offset: Int) {
        let half = (end - begin) / 2
        var source = begin + offset
        for target in begin..<(begin + half) {
            buffer[target] = buffer[source]
            source += 2
        }
    }

    /// Writes the sorted merge of two sorted runs from `target`. The target may be the
    /// same memory as `second` if it starts at least `firstCount` before it (the writes
    /// never overtake the reads), which lets a compaction merge into the level above.
    private static func merge(_ first: UnsafePointer<Double>, _ firstCount: Int, _ second: UnsafePointer<Double>, _ secondCount: Int, into target: UnsafeMutablePointer<Double>) {
        var i = 0
        var j = 0
        var written = 0
        while i < firstCount || j < secondCount {
            if j == secondCount || (i < firstCount && first[i] <= second[j]) {
                target[written] = first[i]
                i += 1
            } else {
                target[written] = second[j]
                j += 1
            }
            written += 1
        }
    }

    /// Compacts levels bottom-up until the population fits the capacity (which grows as
    /// levels are added); compacted levels are written down the same buffer. Returns the
    /// output level bounds, the capacity and the population.
    private static func generalCompress(k: Int, levelCount initialLevels: Int, buffer: inout [Double], bounds input: inout [Int], random: inout UInt64) -> (bounds: [Int], capacity: Int, population: Int) {
        var levelCount = initialLevels
        var population = input[levelCount] - input[0]
        var target = totalCapacity(k: k, levelCount: levelCount)
        var output = [0]
        var level = 0
        buffer.withUnsafeMutableBufferPointer { work in
            while true {
                if level == levelCount - 1 {
                    // A provisional empty level above the top.
                    while input.count < level + 3 { input.append(0) }
                    input[level + 2] = input[level + 1]
                }
                let rawBegin = input[level]
                let rawEnd = input[level + 1]
                let rawPopulation = rawEnd - rawBegin
                output.append(0)
                if population < target || rawPopulation < levelCapacity(k: k, levelCount: levelCount, level: level) {
                    // Copied down as is (the output never lies above the input).
                    for index in 0..<rawPopulation { work[output[level] + index] = work[rawBegin + index] }
                    output[level + 1] = output[level] + rawPopulation
                } else {
                    let populationAbove = input[level + 2] - rawEnd
                    let odd = rawPopulation & 1 == 1
                    let begin = odd ? rawBegin + 1 : rawBegin
                    let half = (rawEnd - begin) / 2
                    if odd {
                        work[output[level]] = work[rawBegin]
                        output[level + 1] = output[level] + 1
                    } else {
                        output[level + 1] = output[level]
                    }
                    if level == 0 { sort(work, begin: begin, end: rawEnd) }
                    let offset = coin(&random)
                    if populationAbove == 0 {
                        halveUp(work, begin: begin, end: rawEnd, offset: offset)
                    } else {
                        halveDown(work, begin: begin, end: rawEnd, offset: offset)
                        let base = work.baseAddress!
                        merge(base + begin, half, base + rawEnd, populationAbove, into: base + begin + half)
                    }
                    population -= half
                    input[level + 1] -= half
                    if level == levelCount - 1 {
                        levelCount += 1
                        target += levelCapacity(k: k, levelCount: levelCount, level: 0)
                    }
                }
                if level == levelCount - 1 { break }
                level += 1
            }
        }
        // Should a lower level still be over its (shrunken) capacity, keep every item.
        return (output, Swift.max(target, population), population)
    }

    // MARK: - Queries

    /// Fraction of values ≤ x (0…1), estimated; 0 when empty.
    public func rank(_ x: Double) -> Double { weight(upTo: x, inclusive: true) }

    /// Fraction of values < x (0…1), estimated; 0 when empty.
    public func rankExclusive(_ x: Double) -> Double { weight(upTo: x, inclusive: false) }

    private func weight(upTo x: Double, inclusive: Bool) -> Double {
        guard n > 0 else { return 0 }
        var total = 0
        for level in 0..<levelCount {
            var levelTotal = 0
            for index in levels[level]..<levels[level + 1] {
                let value = items[index]
                if value < x || (inclusive && value == x) { levelTotal += 1 }
            }
            total += levelTotal << level
        }
        return Double(total) / Double(n)
    }

    /// The q-quantile (q in 0…1, clamped): the smallest retained value whose estimated
    /// rank (fraction ≤ it) reaches q — the inverse of `rank`, with no interpolation
    /// (numpy's "inverted_cdf"). q = 0 and q = 1 give the exact minimum and maximum.
    /// Nil when empty or q is NaN.
    public func quantile(_ q: Double) -> Double? {
        guard !q.isNaN else { return nil }
        return quantiles([q])?[0]
    }

    /// `quantile` of each fraction (NaN answers NaN), sorting the retained items once;
    /// nil when empty. Bin edges for a reference are `quantiles([0, 0.1, …, 1])`.
    public func quantiles(_ fractions: [Double]) -> [Double]? {
        guard n > 0 else { return nil }
        let pairs = weightedValues()
        var cumulative: [Int] = []
        cumulative.reserveCapacity(pairs.count)
        var running = 0
        for pair in pairs {
            running += pair.weight
            cumulative.append(running)
        }
        return fractions.map { q in
            if q.isNaN { return .nan }
            if q <= 0 { return low }
            if q >= 1 { return high }
            let exact = q * Double(n)
            // q·n in floating point may land just above the integer it stands for.
            let nearest = exact.rounded()
            let needed = Swift.max(1, Int(abs(exact - nearest) <= Double(n) * 0x1p-50 ? nearest : exact.rounded(.up)))
            // The first cumulative weight reaching `needed`.
            var lower = 0
            var upper = cumulative.count - 1
            while lower < upper {
                let middle = (lower + upper) / 2
                if cumulative[middle] >= needed { upper = middle } else { lower = middle + 1 }
            }
            return Swift.min(Swift.max(pairs[lower].value, low), high)
        }
    }

    /// Estimated counts in bins given sorted `edges`, as `DriftStatistics.histogram`:
    /// [underflow (< first edge), bins closed on the left (the last also on the right),
    /// overflow (> last edge)]; one edge gives [< edge, ≥ edge], none gives [count].
    /// The counts sum to `count`; each bin is within `normalizedHistogramError`·count.
    public func histogram(edges: [Double]) -> [Int] {
        guard let first = edges.first, let last = edges.last else { return [n] }
        // One edge makes two bins: below it, and at or above it.
        var counts = [Int](repeating: 0, count: Swift.max(2, edges.count + 1))
        for level in 0..<levelCount {
            let weight = 1 << level
            for index in levels[level]..<levels[level + 1] {
                let value = items[index]
                let bin: Int
                if value < first {
                    bin = 0
                } else if edges.count == 1 {
                    bin = 1
                } else if value > last {
                    bin = edges.count
                } else {
                    // The last edge belongs to the last inner bin.
                    var lower = 0
                    var upper = edges.count - 1
                    while upper - lower > 1 {
                        let middle = (lower + upper) / 2
                        if value >= edges[middle] { lower = middle } else { upper = middle }
                    }
                    bin = 1 + lower
                }
                counts[bin] += weight
            }
        }
        return counts
    }

    /// Retained (value, weight) pairs sorted by value; the weights sum to `count`.
    public func weightedValues() -> [(value: Double, weight: Int)] {
        var pairs: [(value: Double, weight: Int)] = []
        pairs.reserveCapacity(retainedCount)
        for level in 0..<levelCount {
            for index in levels[level]..<levels[level + 1] { pairs.append((items[index], 1 << level)) }
        }
        pairs.sort { $0.value < $1.value }
        return pairs
    }

    // MARK: - Equality

    public static func == (lhs: QuantileSketch, rhs: QuantileSketch) -> Bool {
        guard lhs.k == rhs.k, lhs.errorK == rhs.errorK, lhs.n == rhs.n, lhs.nans == rhs.nans,
              lhs.minimum == rhs.minimum, lhs.maximum == rhs.maximum, lhs.levelCount == rhs.levelCount
        else { return false }
        for level in 0..<lhs.levelCount where lhs.levelSlice(level) != rhs.levelSlice(level) { return false }
        return true
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(k)
        hasher.combine(n)
        hasher.combine(nans)
        for level in 0..<levelCount {
            hasher.combine(levelSize(level))
            for value in levelSlice(level) { hasher.combine(value) }
        }
    }

    private func levelSlice(_ level: Int) -> ArraySlice<Double> { items[levels[level]..<levels[level + 1]] }

    // MARK: - JSON

    /// `{"k":…, "n":…, "nan":…, "min":…, "max":…, "levels":[[…],[…]…]}` (level 0 first, in
    /// insertion order; the others sorted), plus `"minK"` after merging a smaller k. Exact
    /// round trip: numbers are written in Swift's shortest round-tripping form.
    public func jsonValue() -> JSONValue {
        var members: [(String, JSONValue)] = [("k", .int(k))]
        if errorK != k { members.append(("minK", .int(errorK))) }
        members += [
            ("n", .int(n)),
            ("nan", .int(nans)),
            ("min", minimum.map { JSONValue.number($0) } ?? .null),
            ("max", maximum.map { JSONValue.number($0) } ?? .null),
            ("levels", .array((0..<levelCount).map { level in .array(levelSlice(level).map { .number($0) }) })),
        ]
        return .object(members)
    }

    /// Decodes and validates `jsonValue()`'s form, so that a sketch from an untrusted
    /// document is consistent: k in range, n ≥ 0, finite values within min…max, levels
    /// above 0 sorted, weights adding up to n, no more items than the capacity.
    public init(json: JSONValue) throws(SketchDecodingError) {
        _ = try SketchJSON.object(json, "")
        let k = try SketchJSON.integer(json["k"], "k", in: Self.kRange)
        self.init(k: k)
        if json["minK"] != nil { errorK = try SketchJSON.integer(json["minK"], "minK", in: Self.kRange.lowerBound...k) }
        n = try SketchJSON.integer(json["n"], "n", in: 0...SketchJSON.maximumCount)
        nans = try SketchJSON.integer(json["nan"], "nan", in: 0...SketchJSON.maximumCount)
        if n == 0 {
            guard json["min"] == .null else { throw SketchDecodingError(path: "min", message: "expected null for an empty sketch") }
            guard json["max"] == .null else { throw SketchDecodingError(path: "max", message: "expected null for an empty sketch") }
        } else {
            low = try SketchJSON.number(json["min"], "min")
            high = try SketchJSON.number(json["max"], "max")
            guard low <= high else { throw SketchDecodingError(path: "max", message: "expected max ≥ min") }
        }
        let levelValues = try SketchJSON.array(json["levels"], "levels")
        guard (1...Self.maximumLevels).contains(levelValues.count) else {
            throw SketchDecodingError(path: "levels", message: "expected 1…\(Self.maximumLevels) levels")
        }
        let capacity = Self.totalCapacity(k: k, levelCount: levelValues.count)
        var decoded: [[Double]] = []
        var retained = 0
        var weightSum = 0
        for (level, levelValue) in levelValues.enumerated() {
            let path = "levels[\(level)]"
            let values = try SketchJSON.array(levelValue, path)
            retained += values.count
            guard retained <= capacity else {
                throw SketchDecodingError(path: path, message: "more items than \(capacity), the capacity of \(levelValues.count) levels at k = \(k)")
            }
            var numbers: [Double] = []
            numbers.reserveCapacity(values.count)
            for (index, value) in values.enumerated() {
                let number = try SketchJSON.number(value, "\(path)[\(index)]")
                guard number >= low, number <= high else {
                    throw SketchDecodingError(path: "\(path)[\(index)]", message: "expected a value within min…max")
                }
                if level > 0, let previous = numbers.last, previous > number {
                    throw SketchDecodingError(path: "\(path)[\(index)]", message: "expected levels above 0 sorted ascending")
                }
                numbers.append(number)
            }
            let (weight, overflow) = values.count.multipliedReportingOverflow(by: 1 << level)
            let (sum, sumOverflow) = weightSum.addingReportingOverflow(weight)
            guard !overflow, !sumOverflow else {
                throw SketchDecodingError(path: path, message: "level weights exceed the largest count")
            }
            weightSum = sum
            decoded.append(numbers)
        }
        guard weightSum == n else {
            throw SketchDecodingError(path: "levels", message: "items weigh \(weightSum) in all (level h counts 2^h each), expected n = \(n)")
        }
        items = [Double](repeating: 0, count: capacity - retained)
        levels = [capacity - retained]
        for numbers in decoded {
            items += numbers
            levels.append(items.count)
        }
        random = 0x5EED ^ UInt64(truncatingIfNeeded: n)
    }
}
