#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What a shadow step measured for one candidate version over a window: the copies of
/// callers' requests it was sent, and each copy's answer paired with the answer the
/// caller got for the same request. Part of `GET /v1/stats` (``VersionStats/shadow``),
/// read by the pairwise checks (`agreement`, `output_mae_vs_stable`,
/// `latency_ratio_paired`, and `error_rate` during a shadow step).
///
/// A pair is counted in the window in which its second answer arrived; a copy still in
/// flight when a window ends is in none yet (``copies`` minus what was answered).
public struct ShadowTally: Codable, Sendable, Hashable {
    /// Copies sent to the candidate.
    public var copies: Int
    /// Copies not sent because the candidate already had its cap of copies in flight.
    public var shed: Int
    /// Copies whose candidate answer arrived (errors included).
    public var answered: Int
    /// Copies the candidate answered with a 5xx status or not at all.
    public var candidateErrors: Int
    /// Copies whose caller got no 2xx answer: nothing to compare with.
    public var stableFailed: Int
    /// Copies both sides answered, the caller with 2xx and the candidate with no 5xx.
    public var pairs: Int
    /// Pairs whose first outputs were equal, at each tolerance the route asked for.
    public var agreements: [Agreement]
    /// Pairs whose first outputs could not be compared value by value (another length,
    /// no outputs, or a candidate 4xx): disagreements, and outside the MAE.
    public var incomparable: Int
    /// The sum of |candidate − stable| over the numeric output values compared, and how
    /// many values that was.
    public var absoluteErrorSum: Double
    public var comparedValues: Int
    /// Both sides' latency over the pairs.
    public var candidateLatency: LatencyHistogram
    public var stableLatency: LatencyHistogram

    /// Pairs counted equal at one tolerance.
    public struct Agreement: Codable, Sendable, Hashable {
        /// The largest absolute difference still counted as equal.
        public var tolerance: Double
        /// Pairs equal within it.
        public var pairs: Int

        public init(tolerance: Double, pairs: Int) {
            self.tolerance = tolerance
            self.pairs = pairs
        }
    }

    /// An empty tally counting agreement at `tolerances`.
    public init(tolerances: [Double] = []) {
        copies = 0
        shed = 0
        answered = 0
        candidateErrors = 0
        stableFailed = 0
        pairs = 0
        agreements = tolerances.map { Agreement(tolerance: $0, pairs: 0) }
        incomparable = 0
        absoluteErrorSum = 0
        comparedValues = 0
        candidateLatency = LatencyHistogram()
        stableLatency = LatencyHistogram()
    }

    /// Counts one finished copy.
    public mutating func record(_ outcome: ShadowPairOutcome) {
        switch outcome {
        case .candidateFailed:
            answered += 1
            candidateErrors += 1
        case .stableFailed:
            answered += 1
            stableFailed += 1
        case .paired(let comparison, let candidateMicros, let stableMicros):
            answered += 1
            pairs += 1
            for index in agreements.indices where comparison.isEqual(within: agreements[index].tolerance) {
                agreements[index].pairs += 1
            }
            if !comparison.sameShape { incomparable += 1 }
            if comparison.sameShape, comparison.numeric {
                absoluteErrorSum = Self.finiteSum(absoluteErrorSum, comparison.absoluteErrorSum)
                comparedValues += comparison.values
            }
            candidateLatency.record(micros: candidateMicros)
            stableLatency.record(micros: stableMicros)
        }
    }

    /// Adds `other` (another window, or another replica's counts). Agreement is kept at
    /// the tolerances both counted; one counted by only one side is dropped, since its
    /// share would be of a part of the pairs.
    public mutating func merge(_ other: ShadowTally) {
        copies += other.copies
        shed += other.shed
        answered += other.answered
        candidateErrors += other.candidateErrors
        stableFailed += other.stableFailed
        if pairs == 0 {
            // Nothing counted here yet: the other side's tolerances are the whole truth.
            agreements = other.agreements.map { Agreement(tolerance: $0.tolerance, pairs: $0.pairs) }
        } else if other.pairs > 0 {
            agreements = agreements.compactMap { mine in
                other.agreements.first { $0.tolerance == mine.tolerance }.map { Agreement(tolerance: mine.tolerance, pairs: mine.pairs + $0.pairs) }
            }
        }
        pairs += other.pairs
        incomparable += other.incomparable
        absoluteErrorSum = Self.finiteSum(absoluteErrorSum, other.absoluteErrorSum)
        comparedValues += other.comparedValues
        candidateLatency.merge(other.candidateLatency)
        stableLatency.merge(other.stableLatency)
    }

    /// A sum that stays finite, since the tally is sent as JSON (which has no infinity):
    /// outputs near the largest double are clamped.
    private static func finiteSum(_ a: Double, _ b: Double) -> Double {
        min(a + b, .greatestFiniteMagnitude)
    }

    /// The share of pairs equal within `tolerance`; nil without pairs, or when the data
    /// plane did not count that tolerance.
    public func agreement(tolerance: Double) -> Double? {
        guard pairs > 0, let counted = agreements.first(where: { $0.tolerance == tolerance }) else { return nil }
        return Double(counted.pairs) / Double(pairs)
    }

    /// The mean absolute difference of the compared output values; nil without any.
    public var meanAbsoluteError: Double? {
        comparedValues == 0 ? nil : absoluteErrorSum / Double(comparedValues)
    }

    /// Candidate errors per answered copy; nil before any answer.
    public var candidateErrorRate: Double? {
        answered == 0 ? nil : Double(candidateErrors) / Double(answered)
    }

    /// Both sides' latency at `quantile` (0–1) over the pairs, in milliseconds, and the
    /// candidate's divided by stable's; nil without pairs.
    public func latencyRatio(quantile: Double) -> (candidateMs: Double, stableMs: Double, ratio: Double)? {
        guard let candidate = candidateLatency.quantileMicros(quantile), let stable = stableLatency.quantileMicros(quantile) else { return nil }
        let ratio = stable == 0 ? (candidate == 0 ? 1 : Double.infinity) : candidate / stable
        return (candidate / 1000, stable / 1000, ratio)
    }
}

/// How one mirrored copy ended, once both answers (or the failure of one) are in.
public enum ShadowPairOutcome: Sendable, Hashable {
    /// Both answered: the caller with 2xx, the candidate with no 5xx.
    case paired(OutputComparison, candidateMicros: UInt64, stableMicros: UInt64)
    /// The candidate answered 5xx or not at all.
    case candidateFailed
    /// The caller's answer was no 2xx: nothing to compare with.
    case stableFailed
}

/// The first output of two answers to the same request, compared value by value.
public struct OutputComparison: Sendable, Hashable {
    /// Whether both had the same number of values (else nothing is compared).
    public var sameShape: Bool
    /// Whether the pair counts in the MAE: every value was a number on both sides, and
    /// every difference finite (a NaN on one side only is a disagreement outside the MAE).
    public var numeric: Bool
    /// The largest absolute difference (0 for equal categories, infinity for different
    /// ones or another shape).
    public var largestDifference: Double
    /// The sum of absolute differences of numeric values, and how many were compared.
    public var absoluteErrorSum: Double
    public var values: Int

    public init(sameShape: Bool, numeric: Bool, largestDifference: Double, absoluteErrorSum: Double, values: Int) {
        self.sameShape = sameShape
        self.numeric = numeric
        self.largestDifference = largestDifference
        self.absoluteErrorSum = absoluteErrorSum
        self.values = values
    }

    /// Answers that could not be compared (another shape, no outputs, a candidate 4xx).
    public static let incomparable = OutputComparison(sameShape: false, numeric: false, largestDifference: .infinity, absoluteErrorSum: 0, values: 0)

    /// Compares `candidate` with `stable` element by element.
    public static func compare(stable: [FeatureValue], candidate: [FeatureValue]) -> OutputComparison {
        guard stable.count == candidate.count, !stable.isEmpty else { return .incomparable }
        var numeric = true
        var finite = true
        var largest = 0.0
        var sum = 0.0
        for (left, right) in zip(stable, candidate) {
            switch (left, right) {
            case (.number(let a), .number(let b)):
                // The same value, NaN and infinities included, is no difference.
                guard a != b, !(a.isNaN && b.isNaN) else { continue }
                let difference = abs(a - b)
                if difference.isFinite {
                    largest = max(largest, difference)
                    sum += difference
                } else {
                    // NaN against a number, or an infinity against another value: a difference
                    // nobody can call equal, and one no mean can hold.
                    finite = false
                    largest = .infinity
                }
            case (.category(let a), .category(let b)):
                numeric = false
                if a != b { largest = .infinity }
            default:
                numeric = false
                largest = .infinity
            }
        }
        let counted = numeric && finite
        return OutputComparison(sameShape: true, numeric: counted, largestDifference: largest, absoluteErrorSum: counted ? sum : 0,
                                values: counted ? stable.count : 0)
    }

    /// Whether the answers count as equal within `tolerance`.
    public func isEqual(within tolerance: Double) -> Bool { sameShape && largestDifference <= tolerance }
}

/// Latencies in logarithmic buckets, eight per doubling (each about 9% wide): small,
/// mergeable across windows and replicas, and good to ±5% at any quantile.
public struct LatencyHistogram: Codable, Sendable, Hashable {
    /// Counts by bucket index, sorted by index, empty buckets left out.
    public var buckets: [Bucket]

    /// One bucket: latencies in (2^((index−1)/8), 2^(index/8)] microseconds.
    public struct Bucket: Codable, Sendable, Hashable {
        public var index: Int
        public var count: Int

        public init(index: Int, count: Int) {
            self.index = index
            self.count = count
        }
    }

    /// Buckets per doubling.
    public static let bucketsPerDoubling = 8.0
    /// The largest index: 2^(240/8) µs is about 18 minutes, beyond any upstream timeout.
    public static let maximumIndex = 240

    public init(buckets: [Bucket] = []) {
        self.buckets = buckets
    }

    /// The number of latencies recorded.
    public var count: Int { buckets.reduce(0) { $0 + $1.count } }

    /// The bucket index of `micros`.
    public static func index(micros: UInt64) -> Int {
        guard micros > 1 else { return 0 }
        return min(maximumIndex, Int((log2(Double(micros)) * bucketsPerDoubling).rounded(.up)))
    }

    /// Counts one latency.
    public mutating func record(micros: UInt64) {
        add(index: Self.index(micros: micros), count: 1)
    }

    /// Adds `other`'s counts.
    public mutating func merge(_ other: LatencyHistogram) {
        for bucket in other.buckets { add(index: bucket.index, count: bucket.count) }
    }

    private mutating func add(index: Int, count: Int) {
        var low = 0, high = buckets.count
        while low < high {
            let middle = (low + high) / 2
            if buckets[middle].index < index { low = middle + 1 } else { high = middle }
        }
        if low < buckets.count, buckets[low].index == index {
            buckets[low].count += count
        } else {
            buckets.insert(Bucket(index: index, count: count), at: low)
        }
    }

    /// The latency at `quantile` (0–1) in microseconds: the geometric middle of the
    /// bucket holding it; nil when empty.
    public func quantileMicros(_ quantile: Double) -> Double? {
        let total = count
        guard total > 0 else { return nil }
        let rank = max(1, Int((quantile * Double(total)).rounded(.up)))
        var seen = 0
        for bucket in buckets {
            seen += bucket.count
            if seen >= rank { return Self.middle(of: bucket.index) }
        }
        return buckets.last.map { Self.middle(of: $0.index) }
    }

    private static func middle(of index: Int) -> Double {
        index == 0 ? 1 : pow(2, (Double(index) - 0.5) / bucketsPerDoubling)
    }
}
