#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The two-sample Kolmogorov–Smirnov test, as scipy's
/// `ks_2samp(reference, current, alternative="two-sided", method="auto")`.
///
/// | value | range | drift when |
/// | --- | --- | --- |
/// | statistic D | 0…1 (larger means more different) | — |
/// | p-value | 0…1 | ≤ α |
///
/// D is the largest gap between the two empirical CDFs. The p-value is exact (the lattice
/// path count, scipy's `_compute_prob_outside_square` and `_compute_outer_prob_inside_method`)
/// when both samples have at most `maximumExactSize` values, otherwise the Kolmogorov
/// distribution at n = round(n₁n₂ / (n₁ + n₂)) (scipy's `kstwo.sf`). As in scipy, an exact
/// result reports D rounded to the lattice (a multiple of 1/lcm(n₁, n₂)).
///
/// NaNs are the caller's to remove: with a NaN in a sample the result is unspecified.
public enum KolmogorovSmirnov {
    /// How the p-value was computed.
    public enum Method: String, Sendable, Hashable, Codable { case exact, asymptotic }

    /// Statistic D (0…1; larger means more different) and p-value (0…1; drift when p ≤ α).
    public struct Result: Sendable, Hashable {
        public var statistic: Double
        public var pValue: Double
        public var method: Method

        public init(statistic: Double, pValue: Double, method: Method) {
            self.statistic = statistic
            self.pValue = pValue
            self.method = method
        }
    }

    /// scipy's `MAX_AUTO_N`: method "auto" is exact when both sizes are at most this.
    public static let maximumExactSize = 10_000

    /// scipy ks_2samp(method="auto"): exact when max(n, m) ≤ 10_000 (scipy's rule), else
    /// asymptotic. Nil when either sample is empty.
    ///
    /// The statistic comes from buckets (`BucketedSamples`, a few linear passes) without
    /// sorting either sample, the same bits as the sorted merge; constant or non-finite
    /// data, fewer than two values a side, and n·m ≥ 2^50 are sorted instead.
    public static func twoSample(_ reference: [Double], _ current: [Double]) -> Result? {
        guard !reference.isEmpty, !current.isEmpty else { return nil }
        let bucketed = reference.withUnsafeBufferPointer { a in
            current.withUnsafeBufferPointer { b in BucketedSamples.kolmogorovSmirnovStatistic(a, b) }
        }
        if let d = bucketed { return test(statistic: d, n: reference.count, m: current.count) }
        let sortedReference = reference.sorted()
        let sortedCurrent = current.sorted()
        return sortedReference.withUnsafeBufferPointer { a in
            sortedCurrent.withUnsafeBufferPointer { b in twoSample(sortedReference: a, sortedCurrent: b) }
        }
    }

    /// Same, on samples already sorted ascending (no copy/sort); lets callers with
    /// 1M-value sorted arrays skip the sort.
    public static func twoSample(sortedReference: UnsafeBufferPointer<Double>, sortedCurrent: UnsafeBufferPointer<Double>) -> Result? {
        guard !sortedReference.isEmpty, !sortedCurrent.isEmpty else { return nil }
        let d = statistic(sortedReference: sortedReference, sortedCurrent: sortedCurrent)
        return test(statistic: d, n: sortedReference.count, m: sortedCurrent.count)
    }

    /// The statistic alone, for sorted samples (one merge pass, O(n+m)): the largest
    /// |F₁(x) − F₂(x)| over the values of both samples, each CDF counting values ≤ x.
    /// Not rounded to the lattice; 0 when either sample is empty.
    public static func statistic(sortedReference a: UnsafeBufferPointer<Double>, sortedCurrent b: UnsafeBufferPointer<Double>) -> Double {
        guard !a.isEmpty, !b.isEmpty else { return 0 }
        let (largest, smallest) = extremeDifferences(a, 0..<a.count, b, 0..<b.count, before: (0, 0), sizes: (a.count, b.count))
        let below = min(-smallest, 1)
        return below > largest ? below : largest
    }

    /// The largest and smallest F₁ − F₂ (0 included) over the merge of `a[aRange]` and
    /// `b[bRange]`, sorted and not both empty, whose values come after `before.0` values of
    /// the reference and `before.1` of the current sample of sizes n and m: a whole sample's
    /// merge, or one bucket's (`BucketedSamples`). A point counts once every value equal to
    /// it is passed in both ranges; as scipy, F₁ − F₂ is i/n − j/m with each quotient rounded.
    static func extremeDifferences(
        _ a: UnsafeBufferPointer<Double>, _ aRange: Range<Int>, _ b: UnsafeBufferPointer<Double>, _ bRange: Range<Int>,
        before: (Int, Int), sizes: (n: Int, m: Int)
    ) -> (largest: Double, smallest: Double) {
        let (n, m) = sizes
        let nd = Double(n)
        let md = Double(m)
        // Ranks in the whole samples are indices plus these.
        let shift = (before.0 - aRange.lowerBound, before.1 - bRange.lowerBound)
        let (aEnd, bEnd) = (aRange.upperBound, bRange.upperBound)
        // At the end of both ranges; past the end of one, F₁ − F₂ only moves toward it.
        let end = Double(aEnd + shift.0) / nd - Double(bEnd + shift.1) / md
        // One value throughout (ties): the end is the only point.
        let first = aRange.isEmpty ? b[bRange.lowerBound] : a[aRange.lowerBound]
        if (aRange.isEmpty || a[aRange.lowerBound] == first && a[aEnd - 1] == first),
           bRange.isEmpty || b[bRange.lowerBound] == first && b[bEnd - 1] == first {
            return (max(0, end), min(0, end))
        }
        var i = aRange.lowerBound
        var j = bRange.lowerBound
        var largest = 0.0
        var smallest = 0.0
        // The gap m·i − n·j is (F₁ − F₂)·n·m, exact in integers. While n·m < 2^50, distinct
        // gaps differ by far more than the rounding of i/n − j/m, so only points that reach
        // the running extreme gap need the (slow) quotients. One value per step, without
        // branches on the data; a point counts once the next value is larger (ties passed).
        if aRange.count > 1, bRange.count > 1, nd * md < 0x1p50 {
            var gap = m * before.0 - n * before.1
            var largestGap = gap
            var smallestGap = gap
            largest = Double(before.0) / nd - Double(before.1) / md  // 0 at the origin
            smallest = largest
            var x = a[i]
            var y = b[j]
            while i < aEnd - 1, j < bEnd - 1 {
                let fromReference = x <= y ? 1 : 0
                let value = min(x, y)  // minsd; a select on x <= y compiles to a branch that mispredicts
                i &+= fromReference
                j &+= 1 &- fromReference
                gap &+= fromReference == 1 ? m : -n
                x = a[i]
                y = b[j]
                if min(x, y) > value {
                    if gap >= largestGap {
                        largestGap = gap
                        largest = max(largest, Double(i + shift.0) / nd - Double(j + shift.1) / md)
                    }
                    if gap <= smallestGap {
                        smallestGap = gap
                        smallest = min(smallest, Double(i + shift.0) / nd - Double(j + shift.1) / md)
                    }
                }
            }
        }
        // The rest (or all, for huge samples): step to the next distinct value in either
        // range, pass every value equal to it in both, and compare F₁ − F₂ there.
        while i < aEnd, j < bEnd {
            let x = min(a[i], b[j])
            while i < aEnd, a[i] <= x { i += 1 }
            while j < bEnd, b[j] <= x { j += 1 }
            let difference = Double(i + shift.0) / nd - Double(j + shift.1) / md
            if difference > largest { largest = difference }
            if difference < smallest { smallest = difference }
        }
        return (max(largest, end), min(smallest, end))  // the end: 0 for whole samples
    }

    /// The p-value scipy would give for statistic d with sample sizes n, m (method auto).
    public static func pValue(statistic d: Double, n: Int, m: Int) -> (pValue: Double, method: Method) {
        let result = test(statistic: d, n: n, m: m)
        return (result.pValue, result.method)
    }

    /// The full result for statistic d with sample sizes n, m: `method` nil chooses as
    /// scipy's "auto"; an exact computation that fails falls back to asymptotic (as scipy).
    /// The statistic is rounded to the lattice when the exact method is used.
    public static func test(statistic d: Double, n: Int, m: Int, method: Method? = nil) -> Result {
        guard n > 0, m > 0 else { return Result(statistic: d, pValue: .nan, method: method ?? .exact) }
        var d = d
        let g = greatestCommonDivisor(n, m)
        // scipy's guards: "auto" is exact up to 10_000 values a side; "exact" gives way when
        // lcm(n, m) would not fit in 32 bits.
        let exactFits = Double(n / g) < Double(Int32.max) / Double(m / g)
        if (method ?? (max(n, m) <= maximumExactSize ? .exact : .asymptotic)) == .exact, exactFits {
            let exact = exactTest(d, n, m)
            if let p = exact.pValue { return Result(statistic: exact.statistic, pValue: p, method: .exact) }
            d = exact.statistic
        }
        return Result(statistic: d, pValue: asymptoticPValue(d, n, m), method: .asymptotic)
    }

    /// kstwo.sf(d, round(en)) with en = n·m / (n + m), as scipy's "asymp" method.
    public static func asymptoticPValue(_ d: Double, _ n: Int, _ m: Int) -> Double {
        let larger = Double(max(n, m))
        let smaller = Double(min(n, m))
        let effective = (larger * smaller / (larger + smaller)).rounded(.toNearestOrEven)
        return clip(kolmogorovTwoSidedSurvival(d: d, n: Int(effective)))
    }

    /// scipy's `_attempt_exact_2kssamp`: D snapped to the lattice h / lcm(n, m), and the
    /// probability of a lattice path reaching h, or nil when that is not a probability.
    static func exactTest(_ d: Double, _ n: Int, _ m: Int) -> (statistic: Double, pValue: Double?) {
        let g = greatestCommonDivisor(n, m)
        let lcm = (n / g) * m
        let h = Int((d * Double(lcm)).rounded(.toNearestOrEven))
        let snapped = Double(h) / Double(lcm)
        if h == 0 { return (snapped, 1) }
        let p = n == m ? probabilityOutsideSquare(n, h) : probabilityOutsideBand(n, m, g, h)
        return (snapped, (0...1).contains(p) ? p : nil)
    }

    /// P(D ≥ h/n) for two samples of size n: 2 Σ (−1)^(k+1) C(2n, n − kh) / C(2n, n),
    /// each term divided through first and nested (Horner) to avoid cancellation.
    static func probabilityOutsideSquare(_ n: Int, _ h: Int) -> Double {
        var p = 0.0
        var k = n / h
        while k >= 0 {
            var term = 1.0
            for j in 0..<h { term = Double(n - k * h - j) * term / Double(n + k * h + j + 1) }
            p = term * (1 - p)
            k -= 1
        }
        return 2 * p
    }

    /// The share of lattice paths from (0, 0) to (m, n) that leave the band
    /// |x/m − y/n| < h/lcm, by Hodges' inside method with Viehmann's recursion for 1 − p
    /// (one sliding column, values kept in 0…1 so nothing overflows).
    static func probabilityOutsideBand(_ n1: Int, _ n2: Int, _ g: Int, _ h: Int) -> Double {
        let m = max(n1, n2)
        let n = min(n1, n2)
        let mg = m / g
        let ng = n / g
        var minJ = 0
        var maxJ = min(Int((Double(h) / Double(mg)).rounded(.up)), n + 1)
        var currentLength = maxJ - minJ
        let length = min(2 * maxJ + 2, n + 1)
        var column = [Double](repeating: 1, count: length)
        for j in minJ..<maxJ { column[j] = 0 }
        for i in 1...m {
            let lastMinJ = minJ
            let lastLength = currentLength
            minJ = min(max(Int((Double(ng * i - h) / Double(mg)).rounded(.down)) + 1, 0), n)
            maxJ = min(Int((Double(ng * i + h) / Double(mg)).rounded(.up)), n + 1)
            if maxJ <= minJ { return 1 }
            var value = minJ == 0 ? 0.0 : 1.0
            for jj in 0..<(maxJ - minJ) {
                let j = jj + minJ
                value = (column[jj + minJ - lastMinJ] * Double(i) + value * Double(j)) / Double(i + j)
                column[jj] = value
            }
            currentLength = maxJ - minJ
            if lastLength > currentLength {
                for index in currentLength..<min(lastLength, length) { column[index] = 1 }
            }
        }
        return column[maxJ - minJ - 1]
    }

    static func greatestCommonDivisor(_ a: Int, _ b: Int) -> Int {
        var (a, b) = (a, b)
        while b != 0 { (a, b) = (b, a % b) }
        return a
    }
}
