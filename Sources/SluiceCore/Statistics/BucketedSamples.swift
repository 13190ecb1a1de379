/// Unsorted samples counted into the same equal-width buckets over their joint range, so
/// order statistics, bin counts and the two-sample KS statistic come out as from sorted
/// copies, bit for bit, while only a few buckets' values are ever sorted.
///
/// The bucket of a value is monotone in it, so the counts below each bucket are exact ranks
/// at bucket ends. A second pass gathers the values of the buckets a question needs (those
/// holding given ranks, or those where the KS gap could peak), each bucket's values sorted
/// apart: typically a few thousand values of millions, where a full sort costs about 75 ms
/// per million. Skewed data or outliers crowd most values into a few buckets; those are
/// radix-sorted (`RadixSort`), so the cost stays linear. Equal values share a bucket and
/// keep their order (the sorts are stable), as in a full sort, so even signed zeros come
/// out the same. Bin counts need no gathering: a bucket without an edge lies in one bin.
///
/// Does not apply (nil) to empty, constant or non-finite data; callers then sort.
struct BucketedSamples {
    /// Equal-width buckets over [low, high]: monotone in the value, clamped at the top.
    struct BucketMap {
        let low: Double
        let high: Double
        let scale: Double
        let last: Int

        /// `count` buckets over the joint range of the samples; nil when a sample is empty or
        /// holds a value that is not finite, or all values are equal.
        init?(spanning samples: [UnsafeBufferPointer<Double>], count: Int) {
            var low = Double.infinity
            var high = -Double.infinity
            for sample in samples {
                guard !sample.isEmpty, let range = BucketedSamples.finiteRange(sample) else { return nil }
                low = min(low, range.lowest)
                high = max(high, range.highest)
            }
            let scale = Double(count) / (high - low)
            guard high > low, (high - low).isFinite, scale.isFinite else { return nil }
            (self.low, self.high, self.scale, last) = (low, high, scale, count - 1)
        }

        var count: Int { last + 1 }

        /// The bucket of a value in [low, high]: (x − low)·scale rounded to the nearest
        /// integer by adding 2^52, whose low 52 bits are then that integer (a conversion
        /// without `Int(_:)`'s range checks; any monotone rounding serves).
        @inline(__always) func callAsFunction(_ x: Double) -> Int {
            min(Int(truncatingIfNeeded: ((x - low) * scale + 0x1p52).bitPattern & 0xF_FFFF_FFFF_FFFF), last)
        }
    }

    let bucket: BucketMap
    /// Per sample, the values in buckets below each bucket: `below[s][b]` counts the values
    /// of sample s in buckets 0..<b (bucketCount + 1 entries).
    let below: [[Int]]
    /// Per sample, the gathered values, bucket by bucket, each bucket's sorted.
    private(set) var gathered: [[Double]]
    /// Per sample, where each bucket's values start in `gathered` (bucketCount + 1
    /// entries; a bucket not gathered has an empty range).
    private(set) var start: [[Int]]

    var bucketCount: Int { bucket.count }

    /// Counts the samples (a range pass and a counting pass over each) into about
    /// (total values)/32 buckets, at least 64 and at most 2^20. Nil when a sample is empty,
    /// too large to count in 32 bits, or not finite, or all values are equal.
    init?(_ samples: [UnsafeBufferPointer<Double>]) {
        guard samples.allSatisfy({ $0.count <= Int(UInt32.max) }) else { return nil }
        let total = samples.reduce(0) { $0 + $1.count }
        guard let map = BucketMap(spanning: samples, count: Self.powerOfTwo(total / 32, in: 64...(1 << 20))) else { return nil }
        bucket = map
        below = samples.map { Self.countBelow($0, map) }
        gathered = samples.map { _ in [] }
        start = samples.map { _ in [] }
    }

    /// Gathers each sample's values in the wanted buckets: the second pass.
    mutating func gather(_ wanted: [Bool], from samples: [UnsafeBufferPointer<Double>]) {
        for (index, sample) in samples.enumerated() {
            var starts = [Int](repeating: 0, count: bucketCount + 1)
            for b in 0..<bucketCount { starts[b + 1] = starts[b] + (wanted[b] ? below[index][b + 1] - below[index][b] : 0) }
            gathered[index] = Self.gather(sample, wanted, starts, bucket)
            start[index] = starts
        }
    }

    /// The bucket holding the value of rank `rank` (0-based, ascending) of sample `sample`.
    func bucket(holding rank: Int, in sample: Int) -> Int {
        let counts = below[sample]
        var low = 0
        var high = counts.count - 2
        while low < high {  // the last bucket whose count below is ≤ rank
            let middle = (low + high + 1) / 2
            if counts[middle] <= rank { low = middle } else { high = middle - 1 }
        }
        return low
    }

    /// The value of rank `rank` of sample `sample`; its bucket must have been gathered.
    func orderStatistic(_ rank: Int, in sample: Int) -> Double {
        let index = bucket(holding: rank, in: sample)
        return gathered[sample][start[sample][index] + rank - below[sample][index]]
    }

    // MARK: - Questions

    /// The values of the given ranks (0-based) of an unsorted sample, each as
    /// `values.sorted()[rank]` would give it; nil when buckets do not apply.
    static func orderStatistics(_ values: UnsafeBufferPointer<Double>, ranks: [Int]) -> [Double]? {
        guard var buckets = BucketedSamples([values]) else { return nil }
        var wanted = [Bool](repeating: false, count: buckets.bucketCount)
        for rank in ranks { wanted[buckets.bucket(holding: rank, in: 0)] = true }
        buckets.gather(wanted, from: [values])
        return ranks.map { buckets.orderStatistic($0, in: 0) }
    }

    /// The two-sample KS statistic of unsorted samples, bit for bit
    /// `KolmogorovSmirnov.statistic(sortedReference:sortedCurrent:)` of sorted copies; nil
    /// when buckets do not apply or either side has fewer than two values or n·m ≥ 2^50.
    ///
    /// The gap m·i − n·j (n·m times F₁ − F₂) at the end of each nonempty bucket is exact
    /// from the counts; inside a bucket it moves by at most that bucket's counts, so only
    /// buckets whose bound reaches the largest end gap can hold the maximum. Below 2^50,
    /// distinct gaps differ by more than the rounding of i/n − j/m, so the largest quotient
    /// sits at a largest gap, and those buckets are merged as the full merge would.
    static func kolmogorovSmirnovStatistic(_ a: UnsafeBufferPointer<Double>, _ b: UnsafeBufferPointer<Double>) -> Double? {
        let n = a.count
        let m = b.count
        guard n > 1, m > 1, Double(n) * Double(m) < 0x1p50, var buckets = BucketedSamples([a, b]) else { return nil }
        let (belowA, belowB) = (buckets.below[0], buckets.below[1])
        var nonempty: [Int] = []
        for index in 0..<buckets.bucketCount where belowA[index + 1] + belowB[index + 1] > belowA[index] + belowB[index] {
            nonempty.append(index)
        }
        var best = 0
        for index in nonempty { best = max(best, abs(m * belowA[index + 1] - n * belowB[index + 1])) }
        var wanted = [Bool](repeating: false, count: buckets.bucketCount)
        var candidates: [Int] = []
        for index in nonempty {
            let up = m * belowA[index + 1] - n * belowB[index]
            let down = n * belowB[index + 1] - m * belowA[index]
            if max(up, down) >= best {
                wanted[index] = true
                candidates.append(index)
            }
        }
        var wantedCount = 0
        for index in candidates { wantedCount += belowA[index + 1] - belowA[index] + belowB[index + 1] - belowB[index] }
        if wantedCount * 2 > n + m, wantedCount < candidates.count * 256 {
            // Most values wanted, in many small buckets (samples alike, so that the gap
            // bounds prune little): one radix sort of each sample beats sorting each bucket.
            let (x, y) = (RadixSort.sorted(a), RadixSort.sorted(b))
            return x.withUnsafeBufferPointer { x in y.withUnsafeBufferPointer { y in KolmogorovSmirnov.statistic(sortedReference: x, sortedCurrent: y) } }
        }
        buckets.gather(wanted, from: [a, b])
        let (startA, startB) = (buckets.start[0], buckets.start[1])
        var d = 0.0
        buckets.gathered[0].withUnsafeBufferPointer { x in
            buckets.gathered[1].withUnsafeBufferPointer { y in
                for index in candidates {
                    // The merge of this bucket, as the full merge would reach it.
                    let (largest, smallest) = KolmogorovSmirnov.extremeDifferences(
                        x, startA[index]..<startA[index + 1], y, startB[index]..<startB[index + 1],
                        before: (belowA[index], belowB[index]), sizes: (n, m))
                    // Compared as `statistic` does, so D = 0 stays +0.
                    let below = -smallest
                    let extreme = below > largest ? below : largest
                    if extreme > d { d = extreme }
                }
            }
        }
        return min(d, 1)
    }

    /// `DriftStatistics.histogram(values, edges:)` in a range pass and one counting pass:
    /// the values of a bucket that holds no edge all fall in one bin, read from a table,
    /// so only values in an edge's bucket are compared with the edges. Nil when buckets do
    /// not apply, or the edges are empty, unsorted or hold a NaN.
    static func histogram(_ values: UnsafeBufferPointer<Double>, edges: [Double]) -> [Int]? {
        guard !edges.isEmpty, !edges.contains(where: \.isNaN), zip(edges, edges.dropFirst()).allSatisfy({ $0 <= $1 }),
              let bucket = BucketMap(spanning: [values], count: powerOfTwo(values.count / 16, in: 64...4096)) else { return nil }
        // Where each edge falls: −1 below every value, `count` above, else its bucket.
        let positions = edges.map { $0 < bucket.low ? -1 : $0 > bucket.high ? bucket.count : bucket($0) }
        // A bucket's values lie above every edge in an earlier bucket and below every edge
        // in a later one; with sorted edges, the count of earlier ones is the bin.
        var table = [Int32](repeating: -1, count: bucket.count)
        var earlier = 0
        for index in 0..<bucket.count {
            while earlier < edges.count, positions[earlier] < index { earlier += 1 }
            if earlier < edges.count, positions[earlier] == index { continue }  // an edge inside: compare
            table[index] = Int32(edges.count == 1 && earlier == 1 ? 2 : earlier)  // one edge: below, equal, above
        }
        var counts = [Int](repeating: 0, count: edges.count == 1 ? 3 : edges.count + 1)
        let last = edges[edges.count - 1]
        let countEdges = edges.count >= 2 && edges.count <= 64
        counts.withUnsafeMutableBufferPointer { counts in
            table.withUnsafeBufferPointer { table in
                edges.withUnsafeBufferPointer { sortedEdges in
                    for x in values {
                        let bin = table[bucket(x)]
                        if bin >= 0 {
                            counts[Int(bin)] += 1
                        } else if countEdges {
                            // Without branches (a Bool's byte, where `? 1 : 0` compiles to
                            // a branch): the edges ≤ x, less one at the last edge (it closes
                            // the last bin); as DriftStatistics.bin for sorted edges.
                            var below = 0
                            for edge in sortedEdges { below &+= Int(unsafeBitCast(edge <= x, to: UInt8.self)) }
                            counts[below - (x == last ? 1 : 0)] += 1
                        } else {
                            counts[DriftStatistics.bin(x, edges: edges)] += 1
                        }
                    }
                }
            }
        }
        return counts
    }

    // MARK: - Passes

    /// The smallest and largest value, in four lanes; nil when any value is not finite
    /// (x·0 is 0 for every finite x, NaN for ±∞ and NaN).
    static func finiteRange(_ values: UnsafeBufferPointer<Double>) -> (lowest: Double, highest: Double)? {
        var low = (values[0], values[0], values[0], values[0])
        var high = low
        var zero = (0.0, 0.0, 0.0, 0.0)
        var index = 0
        while index + 4 <= values.count {
            let x = (values[index], values[index + 1], values[index + 2], values[index + 3])
            low = (x.0 < low.0 ? x.0 : low.0, x.1 < low.1 ? x.1 : low.1, x.2 < low.2 ? x.2 : low.2, x.3 < low.3 ? x.3 : low.3)
            high = (x.0 > high.0 ? x.0 : high.0, x.1 > high.1 ? x.1 : high.1, x.2 > high.2 ? x.2 : high.2, x.3 > high.3 ? x.3 : high.3)
            zero = (zero.0 + x.0 * 0, zero.1 + x.1 * 0, zero.2 + x.2 * 0, zero.3 + x.3 * 0)
            index += 4
        }
        var lowest = min(min(low.0, low.1), min(low.2, low.3))
        var highest = max(max(high.0, high.1), max(high.2, high.3))
        var sum = zero.0 + zero.1 + zero.2 + zero.3
        while index < values.count {
            lowest = min(lowest, values[index])
            highest = max(highest, values[index])
            sum += values[index] * 0
            index += 1
        }
        guard sum == 0 else { return nil }
        return (lowest, highest)
    }

    /// Counts of values below each bucket: result[b] = values in buckets 0..<b.
    static func countBelow(_ values: UnsafeBufferPointer<Double>, _ bucket: BucketMap) -> [Int] {
        var counts = [UInt32](repeating: 0, count: bucket.count)
        counts.withUnsafeMutableBufferPointer { c in
            for x in values { c[bucket(x)] &+= 1 }
        }
        var below = [Int](repeating: 0, count: bucket.count + 1)
        for index in 0..<bucket.count { below[index + 1] = below[index] + Int(counts[index]) }
        return below
    }

    /// Buckets with more values than this are radix-sorted (comparison sort below).
    static let radixSortSize = 1024

    /// The values in wanted buckets, placed bucket by bucket from `starts` in input order,
    /// then each bucket sorted on its own (stable sorts: equal values keep their order).
    static func gather(_ values: UnsafeBufferPointer<Double>, _ wanted: [Bool], _ starts: [Int], _ bucket: BucketMap) -> [Double] {
        let size = starts[bucket.count]
        var next = starts
        return [Double](unsafeUninitializedCapacity: size) { output, initialized in
            next.withUnsafeMutableBufferPointer { next in
                wanted.withUnsafeBufferPointer { wanted in
                    for x in values {
                        let b = bucket(x)
                        if wanted[b] {
                            output.initializeElement(at: next[b], to: x)
                            next[b] += 1
                        }
                    }
                }
            }
            for b in 0..<bucket.count where starts[b + 1] - starts[b] > 1 {
                var segment = UnsafeMutableBufferPointer(rebasing: output[starts[b]..<starts[b + 1]])
                if segment.count <= radixSortSize {
                    segment.sort()
                } else if segment.contains(where: { $0 != segment[0] }) {
                    // A large bucket (skewed data, outliers stretching the range) in linear
                    // time; one of equal values (ties) is already as a stable sort leaves it.
                    RadixSort.sort(segment)
                }
            }
            initialized = size
        }
    }

    /// The largest power of two ≤ `target`, clamped to `range`.
    static func powerOfTwo(_ target: Int, in range: ClosedRange<Int>) -> Int {
        max(range.lowerBound, min(range.upperBound, 1 << (Int.bitWidth - 1 - max(1, target).leadingZeroBitCount)))
    }
}
