/// The plan for one model: how git changed it, what the controller will do, and the
/// differences behind that.
public struct ModelChange: Sendable, Hashable {
    /// How the model's manifest changed between the two revisions.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// Declared at the target revision only.
        case added
        /// Declared at the base revision only.
        case removed
        /// Declared at both, differently.
        case changed
        /// Declared at both, the same.
        case unchanged
        /// Invalid (or unreadable) at the target revision: it keeps its last good state.
        case invalid

        /// The mark in front of the model in text output.
        public var symbol: String {
            switch self {
            case .added: return "+"
            case .removed: return "-"
            case .changed: return "~"
            case .unchanged: return " "
            case .invalid: return "!"
            }
        }
    }

    /// The model's name.
    public var name: String
    /// How the manifest changed.
    public var kind: Kind
    /// What the controller will do.
    public var action: PlanAction
    /// The file declaring it at the target revision, or at the base revision when it is gone.
    public var path: String?
    /// The file at the base revision, when it differs from ``path``.
    public var previousPath: String?
    /// The spec digest at the base revision.
    public var fromDigest: String?
    /// The spec digest at the target revision.
    public var toDigest: String?
    /// The differences, in spec order: runtime, versions, traffic, routing, rollout, monitors, labels.
    public var differences: [FieldChange]
    /// For a model invalid at the target revision: the errors.
    public var diagnostics: [Diagnostic]
    /// Further facts a reviewer should know (a skipped rollout, a version replaced in place).
    public var notes: [String]

    /// Creates a model change.
    public init(
        name: String, kind: Kind, action: PlanAction, path: String? = nil, previousPath: String? = nil,
        fromDigest: String? = nil, toDigest: String? = nil, differences: [FieldChange] = [],
        diagnostics: [Diagnostic] = [], notes: [String] = []
    ) {
        self.name = name
        self.kind = kind
        self.action = action
        self.path = path
        self.previousPath = previousPath
        self.fromDigest = fromDigest
        self.toDigest = toDigest
        self.differences = differences
        self.diagnostics = diagnostics
        self.notes = notes
    }
}
