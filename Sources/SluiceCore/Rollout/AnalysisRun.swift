/// One analysis run: every check at one moment, and the overall verdict (the worst).
///
/// Checks that do not apply to the run's phase are left out of it and named in
/// ``notJudged``: pairwise checks outside shadow steps, drift/accuracy/MAE checks (which
/// judge served traffic) during them. A run whose every check was left out is Successful:
/// nothing it could judge was wrong, and the phase it belongs to still has to pass on its
/// own terms (a weight step's next run, a shadow step's duration).
public struct AnalysisRun: Sendable, Hashable, Codable {
    public var at: Double
    public var candidateWeight: Int
    public var checks: [CheckMeasurement]
    public var verdict: Verdict
    /// At a weight step's traffic or during a shadow step; nil in a run stored before
    /// shadow steps existed (a weight step at ``candidateWeight``).
    public var phase: AnalysisPhase?
    /// During a shadow step: what the paired copies showed (nil otherwise, or when the data
    /// plane reported none).
    public var shadow: ShadowSummary?
    /// The commit of the candidate the run judged (nil in a run stored before it was kept).
    public var revision: String?
    /// The checks left out because they do not apply to the phase (metric names); nil or
    /// empty when every check was judged.
    public var notJudged: [String]?

    public init(
        at: Double, candidateWeight: Int, checks: [CheckMeasurement], phase: AnalysisPhase? = nil, shadow: ShadowSummary? = nil,
        revision: String? = nil, notJudged: [String] = []
    ) {
        self.at = at
        self.candidateWeight = candidateWeight
        self.checks = checks
        self.phase = phase
        self.shadow = shadow
        self.revision = revision
        self.notJudged = notJudged.isEmpty ? nil : notJudged
        let judged = checks.map(\.verdict).filter { $0 != .skipped }
        verdict = judged.max() ?? (checks.isEmpty ? .successful : .inconclusive)
    }

    /// The phase the run was taken in (a run stored before phases were kept: its weight).
    public var effectivePhase: AnalysisPhase { phase ?? .weight(candidateWeight) }

    /// A one-line summary of what was not Successful, each check's value against its
    /// threshold (`error_rate: 0.31 > max 0.01; agreement 0.14 < min 0.9 (603 pairs)`), and
    /// the checks the phase left out.
    public var summary: String {
        var parts = checks.filter { $0.verdict != .successful }.map(\.line)
        if let notJudged, !notJudged.isEmpty {
            let phase = effectivePhase.kind == .shadow ? "during a shadow step" : "outside shadow steps"
            parts.append("not judged \(phase): \(notJudged.joined(separator: ", "))")
        }
        return parts.joined(separator: "; ")
    }

    /// What history says of the run: `Failed at 50%: error_rate: 0.3 > max 0.1`, or
    /// during a shadow step `Failed at shadow 100%: agreement 0.14 < min 0.9 (603 pairs); 12
    /// copies shed` (a run with nothing to report gives the pairs and agreement).
    public var headline: String {
        var parts: [String] = []
        if !summary.isEmpty { parts.append(summary) }
        if effectivePhase.kind == .shadow, let shadow {
            if parts.isEmpty { parts.append(shadow.description) } else if shadow.shed > 0 { parts.append("\(shadow.shed) copies shed") }
        }
        return "\(verdict.rawValue) at \(effectivePhase)" + (parts.isEmpty ? "" : ": " + parts.joined(separator: "; "))
    }
}
