/// What `sluice plan` shows: per model, how git changed it and what the controller will do,
/// with the diagnostics of both revisions. Built by ``Planner``; rendered by ``PlanRenderer``.
public struct Plan: Sendable, Hashable {
    /// The base revision; nil when nothing is deployed yet.
    public var fromRevision: String?
    /// The target revision.
    public var toRevision: String
    /// One change per model declared at either revision (unchanged ones included), by name.
    public var changes: [ModelChange]
    /// Why pruning was refused (the target declares no model at all), when it was.
    public var refusal: String?
    /// Diagnostics of the base revision.
    public var fromDiagnostics: [Diagnostic]
    /// Diagnostics of the target revision.
    public var toDiagnostics: [Diagnostic]
    /// Unchanged models not listed in ``changes``: an incremental plan never reads the files
    /// that are the same at both revisions.
    public var unchangedElsewhere: Int
    /// What was compared and how the revisions were chosen, for the header; nil: the header
    /// shows only the revisions.
    public var subject: PlanSubject?
    /// Notes about the plan as a whole, such as uncommitted changes it does not include.
    public var notes: [String] = []
    /// The commits from the base (excluded) to the target, oldest first, with their signatures.
    public var commits: [PlanCommit] = []

    /// Creates a plan.
    public init(
        fromRevision: String?, toRevision: String, changes: [ModelChange], refusal: String? = nil,
        fromDiagnostics: [Diagnostic] = [], toDiagnostics: [Diagnostic] = [], unchangedElsewhere: Int = 0
    ) {
        self.unchangedElsewhere = unchangedElsewhere
        self.fromRevision = fromRevision
        self.toRevision = toRevision
        self.changes = changes
        self.refusal = refusal
        self.fromDiagnostics = fromDiagnostics
        self.toDiagnostics = toDiagnostics
    }

    /// Whether applying the plan changes anything (a blocked or kept model changes nothing).
    public var hasChanges: Bool { changes.contains { $0.action.changesSomething } }

    /// Whether the target revision has errors; CI fails on them even when the plan applies.
    public var toHasErrors: Bool { toDiagnostics.contains { $0.severity == .error } }

    /// The changes worth showing: every model except unchanged ones.
    public var visibleChanges: [ModelChange] { changes.filter { $0.kind != .unchanged } }

    /// The change for one model.
    public func change(named name: String) -> ModelChange? {
        changes.first { $0.name == name }
    }

    /// How many models get an action of this kind.
    public func count(_ kind: PlanAction.Kind) -> Int {
        changes.count { $0.action.kind == kind } + (kind == .noChange ? unchangedElsewhere : 0)
    }

    /// The number of models per action kind, for every kind.
    public var counts: [PlanAction.Kind: Int] {
        Dictionary(uniqueKeysWithValues: PlanAction.Kind.allCases.map { ($0, count($0)) })
    }

    /// One line, as `terraform plan` ends: `Plan: 1 to deploy, 2 to canary, 1 to prune, 1 blocked (3 unchanged).`
    public var summary: String {
        let phrases: [(PlanAction.Kind, String)] = [
            (.deploy, "to deploy"), (.canary, "to canary"), (.switchTraffic, "to switch"), (.fastRollback, "to roll back"),
            (.promote, "to promote"), (.update, "to update"), (.prune, "to prune"), (.blocked, "blocked"),
            (.kept, "not pruned"),
        ]
        let parts = phrases.compactMap { kind, phrase in count(kind) > 0 ? "\(count(kind)) \(phrase)" : nil }
        let unchanged = count(.noChange)
        let rest = unchanged > 0 ? " (\(unchanged) unchanged)" : ""
        return "Plan: " + (parts.isEmpty ? "no changes" : parts.joined(separator: ", ")) + rest + "."
    }
}
