import Logging
import SluiceConfig
import SluiceCore
import SluiceGit

extension Controller {
    /// What the dashboard shows of the head commit's plan: `sluice plan`'s text for one model.
    public struct HeadPlan: Sendable, Hashable {
        /// The head commit planned.
        public var revision: String
        /// ``PlanRenderer``'s text of the model's change (empty when the commit did not touch it).
        public var text: String
        /// Whether the head commit changed the model.
        public var changed: Bool
    }

    /// The plan of the desired head commit against its first parent, computed as `sluice
    /// plan` does (``ManifestReader``'s change set, ``DesiredState``, ``RollbackHistory``,
    /// ``Planner``); kept per head commit.
    /// nil before the first commit is read, or when git fails (logged).
    public func headPlan(of model: String) async -> HeadPlan? {
        guard let head = desiredCommit else { return nil }
        let plan: Plan
        if let cached = headPlanCache, cached.commit == head {
            plan = cached.plan
        } else {
            do {
                // A reader of its own: planning must not evict the pass reader's cache.
                let reader = ManifestReader(source: source, directory: config.path)
                var from: DesiredState?
                var to: DesiredState
                let base = try await source.firstParent(of: head)
                if let base {
                    let changed = try await reader.changedManifests(from: base, to: head)
                    from = DesiredState(revision: base.short, files: changed.before)
                    from?.unchangedElsewhere = changed.unchangedBefore
                    to = DesiredState(revision: head.short, files: changed.after)
                    to.unchangedElsewhere = changed.unchangedAfter
                } else {
                    to = DesiredState(revision: head.short, files: try await reader.read(at: head).files)
                }
                let history = try await RollbackHistory.digests(for: to, comparedWith: from, base: base, reader: reader)
                plan = Planner(history: history, allowEmpty: config.allowEmpty).plan(from: from, to: to)
                headPlanCache = (head, plan)
            } catch {
                logger.warning("the dashboard's plan of \(head.short) failed: \(error)")
                return nil
            }
        }
        guard let change = plan.change(named: model) else {
            return HeadPlan(revision: head.hex, text: "", changed: false)
        }
        var single = plan
        single.changes = [change]
        single.unchangedElsewhere = 0
        single.fromDiagnostics = plan.fromDiagnostics.filter { $0.file == change.previousPath ?? change.path }
        single.toDiagnostics = plan.toDiagnostics.filter { $0.file == change.path }
        return HeadPlan(revision: head.hex, text: PlanRenderer(format: .text, includeUnchanged: true).render(single), changed: change.kind != .unchanged)
    }
}
