/// How p-values of many features are adjusted before their verdicts.
public enum DriftCorrection: String, Sendable, Hashable, Codable, CaseIterable {
    /// Each feature's p-value as it is.
    case none
    /// Bonferroni: each p-value times the number of p-value tests (family-wise error).
    case bonferroni
    /// Benjamini–Hochberg (false discovery rate).
    case benjaminiHochberg = "bh"
}

/// Many features' scores judged together: after multiple-testing correction, is there drift?
public struct DriftSummary: Sendable, Hashable {
    /// The scores in input order, with verdicts after correction.
    public var scores: [DriftScore]
    /// Each score's adjusted p-value, nil when it was not judged by p-value.
    public var adjustedPValues: [Double?]
    /// The features whose verdict is drift after correction, in input order.
    public var driftedFeatures: [String]
    /// Features with a verdict other than insufficient data.
    public var judgedCount: Int
    /// driftedFeatures.count / judgedCount (0 when nothing was judged).
    public var share: Double
    /// The correction applied.
    public var correction: DriftCorrection
    /// The share of drifted features that means drift; nil means any one feature.
    public var shareThreshold: Double?
    /// The overall conclusion: drift when the rule is met; else insufficient data when no
    /// feature was judged, or when the features with too little data could have met the
    /// rule had they drifted; else no drift.
    public var verdict: DriftVerdict

    /// Whether the rule (any feature, or the share) found drift.
    public var drifted: Bool { verdict == .drift }

    /// `{"verdict", "drifted", "correction", "shareThreshold", "share", "driftedFeatures",
    /// "judged", "features": [score + "adjustedPValue"]}`.
    public func jsonValue() -> JSONValue {
        var features: [JSONValue] = []
        for (score, adjusted) in zip(scores, adjustedPValues) {
            guard case .object(var members) = score.jsonValue() else { continue }
            let index = members.firstIndex { $0.0 == "pValue" }.map { $0 + 1 } ?? members.count
            members.insert(("adjustedPValue", DriftScore.number(adjusted)), at: index)
            features.append(.object(members))
        }
        return .object([
            ("verdict", .string(verdict.rawValue)),
            ("drifted", .bool(drifted)),
            ("correction", .string(correction.rawValue)),
            ("shareThreshold", DriftScore.number(shareThreshold)),
            ("share", .number(share)),
            ("driftedFeatures", .array(driftedFeatures.map(JSONValue.string))),
            ("judged", .int(judgedCount)),
            ("features", .array(features)),
        ])
    }
}

extension DriftComparator {
    /// Judges many features together. p-values of the scores judged by p-value (not
    /// insufficient) are adjusted by `correction` and compared again with each score's α;
    /// scores judged by distance keep their verdict. Drift when any feature drifted, or,
    /// with `shareThreshold`, when the share of drifted features among those judged
    /// reaches it.
    public static func summarize(_ scores: [DriftScore], correction: DriftCorrection, shareThreshold: Double? = nil) -> DriftSummary {
        var adjusted = [Double?](repeating: nil, count: scores.count)
        let tested = scores.indices.filter { scores[$0].verdict != .insufficientData && scores[$0].isJudgedByPValue }
        let raw = tested.map { scores[$0].pValue ?? 1 }
        let corrected: [Double]
        switch correction {
        case .none: corrected = raw
        case .bonferroni: corrected = DriftStatistics.bonferroni(raw)
        case .benjaminiHochberg: corrected = DriftStatistics.benjaminiHochberg(raw)
        }
        var judged = scores
        for (index, p) in zip(tested, corrected) {
            adjusted[index] = p
            judged[index].verdict = p <= judged[index].threshold ? .drift : .noDrift
        }
        let drifted = judged.filter { $0.verdict == .drift }.map(\.feature)
        let judgedCount = judged.filter { $0.verdict != .insufficientData }.count
        let share = judgedCount > 0 ? Double(drifted.count) / Double(judgedCount) : 0
        // Undecided features matter only when, had they all drifted, the rule would be met.
        let undecided = judged.count - judgedCount
        let reached = { (drifting: Int, total: Int) -> Bool in
            guard let shareThreshold else { return drifting > 0 }
            return total > 0 && Double(drifting) / Double(total) >= shareThreshold
        }
        let verdict: DriftVerdict
        if reached(drifted.count, judgedCount) {
            verdict = .drift
        } else if judgedCount == 0 || (undecided > 0 && reached(drifted.count + undecided, judged.count)) {
            verdict = .insufficientData
        } else {
            verdict = .noDrift
        }
        return DriftSummary(
            scores: judged, adjustedPValues: adjusted, driftedFeatures: drifted, judgedCount: judgedCount,
            share: share, correction: correction, shareThreshold: shareThreshold, verdict: verdict)
    }
}
