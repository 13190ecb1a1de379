/// When an analysis run was taken: at a weight step's traffic, or during a shadow step
/// (the candidate answering copies of stable's requests).
public struct AnalysisPhase: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The kind of step.
    public enum Kind: String, Sendable, Hashable, Codable {
        case weight
        case shadow
    }

    public var kind: Kind
    /// The candidate's weight (a weight step), or the share of stable's requests copied to
    /// it (a shadow step).
    public var percent: Int

    public init(kind: Kind, percent: Int) {
        self.kind = kind
        self.percent = percent
    }

    /// At a weight step's traffic.
    public static func weight(_ percent: Int) -> AnalysisPhase { AnalysisPhase(kind: .weight, percent: percent) }
    /// During a shadow step copying `percent` of stable's requests.
    public static func shadow(_ percent: Int) -> AnalysisPhase { AnalysisPhase(kind: .shadow, percent: percent) }

    /// `50%`, `shadow 100%`.
    public var description: String { kind == .shadow ? "shadow \(percent)%" : "\(percent)%" }
}
