import SluiceCore

/// PSI and the two-sample KS test without sorting either sample, with the same results as
/// `ExactDrift` bit for bit.
///
/// Both samples are counted into the same B equal-width buckets over their joint range (one
/// pass each). Bucket index is monotone in the value, so the counts below each bucket are
/// the exact CDFs at bucket ends. The KS gap m·i − n·j at the bucket ends bounds it from
/// below; inside a bucket it can move at most by that bucket's counts, so only buckets whose
/// bound reaches the best end value can hold the maximum. Those buckets, and the ones holding
/// the reference ranks the PSI quantiles need, are gathered in a second pass and sorted —
/// typically a few thousand values out of millions.
enum BucketDrift {
    /// The drift figures, or nil when this method does not apply (constant or non-finite
    /// data, n·m ≥ 2^50, fewer than two edges); then sort instead.
    static func compute(reference a: UnsafeBufferPointer<Double>, current b: UnsafeBufferPointer<Double>, bins: Int) -> ExactDrift.Result? {
        let start = Measure.now()
        let n = a.count
        let m = b.count
        guard n > 1, m > 1, Double(n) * Double(m) < 0x1p50, bins > 0 else { return nil }
        let (lowA, highA) = range(a)
        let (lowB, highB) = range(b)
        let low = min(lowA, lowB)
        let high = max(highA, highB)
        let bucketCount = max(64, min(1 << 20, 1 << (Int.bitWidth - (max(1, (n + m) / 32)).leadingZeroBitCount - 1)))
        let scale = Double(bucketCount) / (high - low)
        guard high > low, scale.isFinite, (high - low).isFinite else { return nil }
        let bucket = BucketMap(low: low, scale: scale, last: bucketCount - 1)

        // Counts below each bucket (index b: values in buckets < b), for both samples.
        let below = (count(a, bucketCount, bucket), count(b, bucketCount, bucket))

        // KS: the best gap at the end of a nonempty bucket, then the buckets that could beat it.
        var best = 0
        for index in 0..<bucketCount where below.0[index + 1] + below.1[index + 1] > below.0[index] + below.1[index] {
            best = max(best, abs(m * below.0[index + 1] - n * below.1[index + 1]))
        }
        var wanted = [Bool](repeating: false, count: bucketCount)
        var ksBuckets: [Int] = []
        for index in 0..<bucketCount where below.0[index + 1] + below.1[index + 1] > below.0[index] + below.1[index] {
            let up = m * below.0[index + 1] - n * below.1[index]
            let down = n * below.1[index + 1] - m * below.0[index]
            if max(up, down) >= best {
                wanted[index] = true
                ksBuckets.append(index)
            }
        }
        // PSI: the buckets from the one holding each quantile's lower rank to its upper rank's.
        let positions = (0...bins).map { Double(n - 1) * (Double($0) / Double(bins)) }
        for position in positions {
            let lower = Int(position.rounded(.down))
            let upper = min(lower + 1, n - 1)
            for index in bucketHolding(rank: lower, below.0)...bucketHolding(rank: upper, below.0) { wanted[index] = true }
        }
        let gathered = (gather(a, wanted, bucket), gather(b, wanted, bucket))
        let psiStart = Measure.now()

        // The edges, exactly as DriftStatistics.quantile computes them on the sorted reference.
        var edges: [Double] = []
        for position in positions {
            let lower = Int(position.rounded(.down))
            let upper = min(lower + 1, n - 1)
            let lowerValue = orderStatistic(lower, gathered.0, below.0, bucket)
            let upperValue = orderStatistic(upper, gathered.0, below.0, bucket)
            let t = position - Double(lower)
            let difference = upperValue - lowerValue
            let edge = t >= 0.5 ? upperValue - difference * (1 - t) : lowerValue + difference * t
            if edges.last != edge { edges.append(edge) }
        }
        // An edge rounded past its upper order statistic could land in a bucket not gathered.
        guard edges.count >= 2, edges.allSatisfy({ wanted[bucket($0)] }) else { return nil }
        let referenceCounts = histogram(edges, n, gathered.0, below.0, bucket)
        let currentCounts = histogram(edges, m, gathered.1, below.1, bucket)
        let psi = DriftStatistics.psi(
            expected: DriftStatistics.proportions(referenceCounts), actual: DriftStatistics.proportions(currentCounts))
        let ksStart = Measure.now()

        // KS: merge each candidate bucket from its counts below, as the full merge would.
        var d = 0.0
        let nd = Double(n)
        let md = Double(m)
        var cursor = (0, 0)
        for index in ksBuckets {
            let x = slice(gathered.0, bucket: index, from: &cursor.0, bucket)
            let y = slice(gathered.1, bucket: index, from: &cursor.1, bucket)
            var i = x.lowerBound
            var j = y.lowerBound
            while i < x.upperBound || j < y.upperBound {
                let value = min(i < x.upperBound ? gathered.0[i] : .infinity, j < y.upperBound ? gathered.1[j] : .infinity)
                while i < x.upperBound, gathered.0[i] <= value { i += 1 }
                while j < y.upperBound, gathered.1[j] <= value { j += 1 }
                let difference = Double(below.0[index] + i - x.lowerBound) / nd - Double(below.1[index] + j - y.lowerBound) / md
                d = max(d, abs(difference))
            }
        }
        let statisticDone = Measure.now()
        let ks = KolmogorovSmirnov.test(statistic: min(d, 1), n: n, m: m)
        let end = Measure.now()
        return ExactDrift.Result(
            edges: edges, referenceCounts: referenceCounts, currentCounts: currentCounts, psi: psi, ks: ks,
            psiSeconds: ksStart - psiStart, statisticSeconds: statisticDone - ksStart,
            pValueSeconds: end - statisticDone, prepareSeconds: psiStart - start)
    }

    /// Equal-width buckets over [low, high]: monotone in the value, clamped at both ends.
    struct BucketMap {
        let low: Double
        let scale: Double
        let last: Int

        @inline(__always) func callAsFunction(_ x: Double) -> Int { min(Int((x - low) * scale), last) }
    }

    /// The smallest and largest value, four running pairs at a time (no NaNs expected).
    static func range(_ values: UnsafeBufferPointer<Double>) -> (Double, Double) {
        var low = SIMD4<Double>(repeating: values[0])
        var high = low
        var index = 0
        while index + 4 <= values.count {
            let x = SIMD4<Double>(values[index], values[index + 1], values[index + 2], values[index + 3])
            low = pointwiseMin(low, x)
            high = pointwiseMax(high, x)
            index += 4
        }
        var lowest = low.min()
        var highest = high.max()
        while index < values.count {
            lowest = min(lowest, values[index])
            highest = max(highest, values[index])
            index += 1
        }
        return (lowest, highest)
    }

    /// Counts of values below each bucket: result[b] = values in buckets 0..<b (B + 1 entries).
    static func count(_ values: UnsafeBufferPointer<Double>, _ bucketCount: Int, _ bucket: BucketMap) -> [Int] {
        var counts = [Int32](repeating: 0, count: bucketCount)
        counts.withUnsafeMutableBufferPointer { c in
            for x in values { c[bucket(x)] &+= 1 }
        }
        var below = [Int](repeating: 0, count: bucketCount + 1)
        for index in 0..<bucketCount { below[index + 1] = below[index] + Int(counts[index]) }
        return below
    }

    /// The values in wanted buckets, sorted (so each bucket's values are contiguous).
    static func gather(_ values: UnsafeBufferPointer<Double>, _ wanted: [Bool], _ bucket: BucketMap) -> [Double] {
        var kept: [Double] = []
        wanted.withUnsafeBufferPointer { w in
            for x in values where w[bucket(x)] { kept.append(x) }
        }
        kept.sort()
        return kept
    }

    /// The bucket that holds the value of rank `rank` (0-based) in sorted order.
    static func bucketHolding(rank: Int, _ below: [Int]) -> Int {
        var low = 0
        var high = below.count - 2
        while low < high {  // the last bucket whose count below is ≤ rank
            let middle = (low + high + 1) / 2
            if below[middle] <= rank { low = middle } else { high = middle - 1 }
        }
        return low
    }

    /// The range of `gathered` holding bucket `index`; `cursor` moves forward only (buckets
    /// are asked for in ascending order).
    static func slice(_ gathered: [Double], bucket index: Int, from cursor: inout Int, _ bucket: BucketMap) -> Range<Int> {
        while cursor < gathered.count, bucket(gathered[cursor]) < index { cursor += 1 }
        var end = cursor
        while end < gathered.count, bucket(gathered[end]) == index { end += 1 }
        return cursor..<end
    }

    /// The value of rank `rank` of a sample, from its gathered bucket.
    static func orderStatistic(_ rank: Int, _ gathered: [Double], _ below: [Int], _ bucket: BucketMap) -> Double {
        let index = bucketHolding(rank: rank, below)
        var cursor = ExactDrift.firstIndex(in: gathered) { bucket($0) >= index }
        return gathered[slice(gathered, bucket: index, from: &cursor, bucket).lowerBound + rank - below[index]]
    }

    /// `DriftStatistics.histogram` counts from the counts below buckets and the gathered
    /// bucket of each edge.
    static func histogram(_ edges: [Double], _ total: Int, _ gathered: [Double], _ below: [Int], _ bucket: BucketMap) -> [Int] {
        func count(_ edge: Double, inclusive: Bool) -> Int {
            let index = bucket(edge)
            var cursor = ExactDrift.firstIndex(in: gathered) { bucket($0) >= index }
            let range = slice(gathered, bucket: index, from: &cursor, bucket)
            let inBucket = ExactDrift.firstIndex(in: Array(gathered[range])) { inclusive ? $0 > edge : $0 >= edge }
            return below[index] + inBucket
        }
        let last = edges.count - 1
        var counts = [Int](repeating: 0, count: edges.count + 1)
        var previous = 0
        for index in 0..<last {
            let position = count(edges[index], inclusive: false)
            counts[index] = position - previous
            previous = position
        }
        let end = count(edges[last], inclusive: true)
        counts[last] = end - previous
        counts[last + 1] = total - end
        return counts
    }
}
