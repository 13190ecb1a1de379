/// What one shadow-step analysis run saw of the paired copies, for `sluice status` and
/// history: how many pairs, their agreement at the first agreement tolerance, the mean
/// absolute difference, the candidate's errors and the copies shed.
public struct ShadowSummary: Sendable, Hashable, Codable, CustomStringConvertible {
    /// Copies sent to the candidate, and those not sent because it was behind.
    public var copies: Int
    public var shed: Int
    /// Copies the candidate answered (errors included), and its errors among them.
    public var answered: Int
    public var candidateErrors: Int
    /// Copies both sides answered.
    public var pairs: Int
    /// The tolerance ``agreement`` was counted at (the first agreement check's; 0 without one).
    public var tolerance: Double
    /// The share of pairs equal within ``tolerance``; nil without pairs.
    public var agreement: Double?
    /// The mean absolute difference of numeric outputs; nil without any.
    public var meanAbsoluteError: Double?
    /// The share of stable's requests the step copied.
    public var percent: Int
    /// The first agreement check's `min` (nil without one).
    public var agreementMin: Double?
    /// The candidate's data-plane name (set by the controller, which knows it).
    public var version: String?
    /// When the run was taken, and its verdict.
    public var at: Double
    public var verdict: Verdict

    /// The summary of `tally` with agreement at `tolerance`.
    public init(_ tally: ShadowTally, tolerance: Double, percent: Int, agreementMin: Double?, at: Double, verdict: Verdict) {
        self.percent = percent
        self.agreementMin = agreementMin
        self.at = at
        self.verdict = verdict
        copies = tally.copies
        shed = tally.shed
        answered = tally.answered
        candidateErrors = tally.candidateErrors
        pairs = tally.pairs
        self.tolerance = tolerance
        agreement = tally.agreement(tolerance: tolerance)
        meanAbsoluteError = tally.meanAbsoluteError
    }

    /// `603 pairs, agreement 0.14, 12 copies shed` (agreement at a tolerance other than 0
    /// says it; errors and shed copies only when there are some).
    public var description: String {
        var parts = ["\(pairs) pairs"]
        if let agreement {
            parts.append("agreement \(AnalysisEvaluator.format(agreement))" + (tolerance == 0 ? "" : " (tolerance \(AnalysisEvaluator.format(tolerance)))"))
        }
        if candidateErrors > 0 { parts.append("\(candidateErrors) candidate errors") }
        if shed > 0 { parts.append("\(shed) copies shed") }
        return parts.joined(separator: ", ")
    }
}
