/// What a drift test concluded about one feature.
public enum DriftVerdict: String, Sendable, Hashable, Codable {
    /// The test says the distributions differ.
    case drift
    /// The test found no difference it can see.
    case noDrift = "no_drift"
    /// Too few values on one side to judge: never a pass.
    case insufficientData = "insufficient_data"
}

/// One feature scored by one test: the measured values, the rule applied and the verdict.
public struct DriftScore: Sendable, Hashable {
    /// The feature (column, input or output name).
    public var feature: String
    /// The test that was run (never "auto": the resolved test).
    public var test: DriftTest
    /// The score the verdict used: the p-value when judged by p-value, else the distance
    /// or statistic. Nil when nothing could be computed (no values on a side).
    public var value: Double?
    /// KS D, the chi-square statistic, or the distance.
    public var statistic: Double?
    /// The p-value (ks, chi_square), nil for distances and when a sketch's error makes it
    /// meaningless.
    public var pValue: Double?
    /// The threshold `value` was compared with.
    public var threshold: Double
    /// How: `p ≤ α` (drift when the p-value is at most α) or `≥` (drift when the distance
    /// reaches the threshold).
    public var comparator: String
    /// How far an estimate from a sketch may be off, nil when exact: for ks, D ± this; for
    /// chi-square on sketches, each category's proportion ± this; for Wasserstein, the
    /// normalized distance ± this; for binned tests (psi, jensen_shannon, hellinger, and
    /// chi-square on numbers), each bin's proportion ± this.
    public var errorBound: Double?
    /// "p-value" or "distance", and why when it matters (an estimate, a sketch too coarse
    /// for the p-value, too few values).
    public var judgedBy: String
    /// Values on the reference side.
    public var referenceCount: Int
    /// Values on the current side.
    public var currentCount: Int
    /// The conclusion.
    public var verdict: DriftVerdict

    /// Creates a score.
    public init(
        feature: String, test: DriftTest, value: Double?, statistic: Double?, pValue: Double?,
        threshold: Double, comparator: String, errorBound: Double?, judgedBy: String,
        referenceCount: Int, currentCount: Int, verdict: DriftVerdict
    ) {
        self.feature = feature
        self.test = test
        self.value = value
        self.statistic = statistic
        self.pValue = pValue
        self.threshold = threshold
        self.comparator = comparator
        self.errorBound = errorBound
        self.judgedBy = judgedBy
        self.referenceCount = referenceCount
        self.currentCount = currentCount
        self.verdict = verdict
    }

    /// The comparator text for p-value tests.
    public static let pValueComparator = "p ≤ α"
    /// The comparator text for distances.
    public static let distanceComparator = "≥"

    /// Whether the verdict rests on a p-value (and so takes part in multiple-testing correction).
    public var isJudgedByPValue: Bool { comparator == Self.pValueComparator && pValue != nil }

    /// A stable JSON object: `feature`, `test`, `verdict`, `value`, `statistic`, `pValue`,
    /// `threshold`, `comparator`, `errorBound`, `judgedBy`, `referenceCount`, `currentCount`
    /// (missing numbers and non-finite ones are null).
    public func jsonValue() -> JSONValue {
        .object([
            ("feature", .string(feature)),
            ("test", .string(test.rawValue)),
            ("verdict", .string(verdict.rawValue)),
            ("value", Self.number(value)),
            ("statistic", Self.number(statistic)),
            ("pValue", Self.number(pValue)),
            ("threshold", .number(threshold)),
            ("comparator", .string(comparator)),
            ("errorBound", Self.number(errorBound)),
            ("judgedBy", .string(judgedBy)),
            ("referenceCount", .int(referenceCount)),
            ("currentCount", .int(currentCount)),
        ])
    }

    static func number(_ value: Double?) -> JSONValue {
        guard let value, value.isFinite else { return .null }
        return .number(value)
    }
}
