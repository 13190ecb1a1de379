/// Renders a ``Plan`` as text for a terminal, JSON for tools, or Markdown for a pull-request
/// comment. Every format says, per model, the action first and then the differences behind
/// it, and shows diagnostics as `path:line:col` with the revision they belong to.
public struct PlanRenderer: Sendable {
    /// The format.
    public var format: PlanFormat
    /// Whether text and Markdown list unchanged models too; they are always counted, and JSON
    /// always lists them (with their digests).
    public var includeUnchanged: Bool

    /// Creates a renderer.
    public init(format: PlanFormat, includeUnchanged: Bool = false) {
        self.format = format
        self.includeUnchanged = includeUnchanged
    }

    /// The whole plan, ending with a newline.
    public func render(_ plan: Plan) -> String {
        switch format {
        case .text: return renderText(plan)
        case .json: return renderJSON(plan).serialized(indent: 2) + "\n"
        case .markdown: return renderMarkdown(plan)
        }
    }

    /// The models to list in text and Markdown.
    func listed(_ plan: Plan) -> [ModelChange] {
        includeUnchanged ? plan.changes : plan.visibleChanges
    }

    // MARK: - Text

    func renderText(_ plan: Plan) -> String {
        var output = "Sluice plan: \(Self.header(plan))\n"
        for note in plan.notes { output += "note: \(note)\n" }
        if !plan.commits.isEmpty {
            output += "\nCommits:\n"
            for commit in plan.commits { output += "  \(commit.commit.prefix(7))  \(commit.signatureText)  \(commit.summary)\n" }
        }
        var shown = Set<Diagnostic>()
        for change in listed(plan) {
            output += "\n\(change.kind.symbol) \(change.name)"
            if let path = change.path { output += "  (\(path)\(change.previousPath.map { ", moved from \($0)" } ?? ""))" }
            output += "\n"
            for line in Self.actionLines(change) { output += "    \(line)\n" }
            for difference in change.differences { output += "    \(difference.operation.symbol) \(difference.summary)\n" }
            for note in change.notes { output += "    note: \(note)\n" }
            for diagnostic in change.diagnostics {
                output += "    \(Self.textLine(diagnostic))\n"
                shown.insert(diagnostic)
            }
        }
        let sections = Self.diagnosticSections(plan, excluding: shown)
        for section in sections where !section.diagnostics.isEmpty {
            output += "\nDiagnostics at \(section.revision)\(section.isBase ? " (base)" : ""):\n"
            for diagnostic in section.diagnostics { output += "  \(Self.textLine(diagnostic))\n" }
        }
        if let refusal = plan.refusal { output += "\nPruning refused: \(refusal)\n" }
        output += "\n\(plan.summary)\n"
        return output
    }

    static func textLine(_ diagnostic: Diagnostic) -> String {
        "\(location(diagnostic)): \(diagnostic.severity.rawValue): \(diagnostic.message) [\(diagnostic.code)]"
    }

    // MARK: - Shared wording

    /// `abc123 → def456`, or `nothing deployed → def456`.
    static func revisionRange(_ plan: Plan) -> String {
        "\(plan.fromRevision ?? "nothing deployed") → \(plan.toRevision)"
    }

    /// What the plan compares: its subject in words when known (`commit def5678 (HEAD) against
    /// its first parent abc1234`), else the revision range.
    static func header(_ plan: Plan) -> String {
        plan.subject?.describe(from: plan.fromRevision, to: plan.toRevision) ?? revisionRange(plan)
    }

    /// `path:line:col`.
    static func location(_ diagnostic: Diagnostic) -> String {
        "\(diagnostic.file):\(diagnostic.location.line):\(diagnostic.location.column)"
    }

    /// Diagnostics by revision: the target's first, then the base's; those already shown
    /// under a model are left out.
    static func diagnosticSections(_ plan: Plan, excluding shown: Set<Diagnostic>) -> [(revision: String, isBase: Bool, diagnostics: [Diagnostic])] {
        var sections = [(revision: plan.toRevision, isBase: false, diagnostics: plan.toDiagnostics.filter { !shown.contains($0) })]
        if let base = plan.fromRevision { sections.append((base, true, plan.fromDiagnostics)) }
        return sections
    }

    /// The action in one short line, for tables: `canary v2.2 in 4 steps`.
    static func headline(_ change: ModelChange) -> String {
        switch change.action {
        case .deploy: return "deploy at once"
        case .canary(let canary):
            return "canary \(canary.candidate) in \(canary.stepCount) step\(canary.stepCount == 1 ? "" : "s")"
        case .switchTraffic: return "switch at once"
        case .fastRollback(let rollback): return "fast rollback to \(rollback.version)"
        case .promote(let promotion): return "promote \(promotion.version) to \(promotion.toWeight)%"
        case .update: return "update: \(sections(change).joined(separator: ", "))"
        case .prune: return "prune"
        case .noChange: return "none"
        case .blocked: return "blocked: keeps its last good state"
        case .kept: return "not pruned"
        }
    }

    /// The action in full: the first line says what happens, the next ones what it costs.
    static func actionLines(_ change: ModelChange) -> [String] {
        switch change.action {
        case .deploy:
            return ["deploy at once to \(split(change)); no steps, no analysis"]
        case .canary(let canary):
            var lines = [
                "canary \(canary.candidate)\(canary.stable.map { " against stable \($0)" } ?? "") in \(canary.stepCount) step\(canary.stepCount == 1 ? "" : "s"): \(canary.stepSummary)"
            ]
            lines.append(promotionLine(canary))
            lines.append(abortLine(canary))
            return lines + judgedLines(canary)
        case .switchTraffic:
            return ["switch at once to \(split(change)): the model has no rollout"]
        case .fastRollback(let rollback):
            let ago = rollback.specsAgo == 1 ? "the previous spec" : "the spec of \(rollback.specsAgo) changes ago"
            return [
                "fast rollback to \(rollback.version) at once: returns to \(ago) (within the rollback window of \(rollback.window)); no steps, no analysis"
            ]
        case .promote(let promotion):
            return [
                "promote \(promotion.version) \(promotion.fromWeight)% → \(promotion.toWeight)% at once: it already serves live traffic with this artifact; no steps, no analysis"
            ]
        case .update:
            return ["update at once: \(sections(change).joined(separator: ", ")); no traffic moves"]
        case .prune:
            return ["prune: removed from git; its versions stop and /v2/models/\(change.name) goes away"]
        case .noChange:
            return ["no changes"]
        case .blocked(let reason):
            return ["blocked: \(reason)"]
        case .kept(let reason):
            return ["not pruned: \(reason)"]
        }
    }

    static func promotionLine(_ canary: PlanAction.Canary) -> String {
        let approvals = "\(canary.approvals) approval\(canary.approvals == 1 ? "" : "s")"
        let timed: String
        switch (canary.pauseCount > 0, canary.shadowStepCount > 0) {
        case (true, true): timed = "pauses and shadow steps"
        case (false, true): timed = "shadow steps"
        default: timed = "pauses"
        }
        switch (canary.minimumTimeToPromote.milliseconds > 0, canary.approvals > 0) {
        case (true, true): return "promotes after at least \(canary.minimumTimeToPromote) of \(timed) and \(approvals)"
        case (true, false): return "promotes after at least \(canary.minimumTimeToPromote) of \(timed)"
        case (false, true): return "promotes after \(approvals); no pauses"
        case (false, false): return "promotes as soon as the steps apply; no pauses"
        }
    }

    static func abortLine(_ canary: PlanAction.Canary) -> String {
        guard let abort = canary.worstCaseTimeToAbort, let interval = canary.analysisInterval, let limit = canary.failureLimit else {
            return "no analysis: nothing aborts automatically; on abort: \(canary.onAbort.rawValue)"
        }
        let checks = "\(canary.analysisChecks) check\(canary.analysisChecks == 1 ? "" : "s")"
        return "analysis: \(checks) every \(interval); a failing candidate is aborted within \(abort) (\(interval) × \(limit + 1)); on abort: \(canary.onAbort.rawValue)"
    }

    /// With shadow steps, which checks judge them and which judge the other steps:
    /// `shadow steps judge: agreement min 0.9 tolerance 0, error_rate max 0.01 on copies`.
    /// Without shadow steps every check judges every step, as the analysis line says.
    static func judgedLines(_ canary: PlanAction.Canary) -> [String] {
        guard canary.shadowStepCount > 0 else { return [] }
        let shadow = canary.shadowChecks.map { judgedSummary($0, duringShadowSteps: true) }
        let weight = canary.weightChecks.map { judgedSummary($0, duringShadowSteps: false) }
        var lines = [
            shadow.isEmpty
                ? "shadow steps judge nothing: each passes when its duration is up, whatever the candidate answered"
                : "shadow steps judge: " + shadow.joined(separator: ", ")
        ]
        guard !canary.checks.isEmpty else { return lines }
        if canary.shadowStepCount == canary.stepCount {
            // Only shadow steps: the target applies after them, so served-traffic checks never run.
            let unjudged = canary.checks.filter { !$0.metric.isJudgedDuringShadowSteps }.map { judgedSummary($0, duringShadowSteps: false) }
            if !unjudged.isEmpty {
                lines.append("no other step: the target applies after the shadow steps, so \(unjudged.joined(separator: ", ")) \(unjudged.count == 1 ? "is" : "are") never judged")
            }
        } else {
            lines.append(weight.isEmpty ? "weight steps judge nothing: every check is pairwise" : "weight steps judge: " + weight.joined(separator: ", "))
        }
        return lines
    }

    /// A check as it is judged, defaults spelled out: `agreement min 0.9 tolerance 0`,
    /// `latency_ratio_paired max 1.5 quantile 0.99`, `error_rate max 0.01 on copies`.
    static func judgedSummary(_ check: AnalysisCheck, duringShadowSteps: Bool) -> String {
        var text = SpecDiff.summary(check)
        if check.metric == .prometheus, let name = check.name { text = name + " (prometheus)" + text.dropFirst(check.metric.rawValue.count) }
        if check.metric == .agreement, (check.tolerance ?? 0) == 0 { text += " tolerance 0" }
        if check.metric == .latencyRatioPaired, (check.quantile ?? AnalysisCheck.defaultQuantile) == AnalysisCheck.defaultQuantile {
            text += " quantile \(SpecDiff.number(AnalysisCheck.defaultQuantile))"
        }
        if duringShadowSteps, check.metric.isMeasuredOnCopiesDuringShadowSteps { text += " on copies" }
        return text
    }

    /// The target split from the differences: `v2.1 0%, v2.2 100%`.
    static func split(_ change: ModelChange) -> String {
        let weights = change.differences.filter { $0.section == "traffic" && $0.operation != .removed }
            .map { "\($0.field.dropFirst("traffic.".count)) \($0.new ?? "0")%" }
        return weights.isEmpty ? "the target split" : weights.joined(separator: ", ")
    }

    /// The parts of the spec that differ, in spec order and once each.
    static func sections(_ change: ModelChange) -> [String] {
        var seen: [String] = []
        for difference in change.differences {
            var section = difference.section
            if section == "rollout", difference.field.hasPrefix("rollout.analysis") { section = "analysis" }
            if !seen.contains(section) { seen.append(section) }
        }
        return seen
    }
}
