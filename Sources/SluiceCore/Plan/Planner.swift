/// Compares the desired state at two revisions and decides, per model, what the controller
/// will do (DESIGN §3; Argo Rollouts and Flagger for the traffic actions, Argo CD and Flux
/// for pruning).
///
/// ```swift
/// let plan = Planner(history: ["fraud-detector": digests]).plan(from: base, to: head)
/// print(PlanRenderer(format: .text).render(plan))
/// ```
///
/// How an action is chosen for a model declared at both revisions:
/// 1. Same spec digest: nothing, or `update` when only labels changed.
/// 2. No version gains traffic (no weight rises, no serving version gets a new artifact or
///    runtime): `update`.
/// 3. The new digest is one of the model's recent earlier specs (`history`, limited by
///    `rollout.rollbackWindow`, default 5): `fastRollback`, with no steps and no analysis.
/// 4. Every version that gains traffic already serves it with the same artifact: `promote`,
///    at once; those versions have already been judged on live traffic.
/// 5. Otherwise a new or changed version takes traffic: `canary` when the target declares a
///    rollout, `switch` (at once) when it does not.
public struct Planner: Sendable {
    /// The rollback window of a model without a rollout, as Argo Rollouts' default.
    public static let defaultRollbackWindow = 5

    /// Model name → spec digests of that model at earlier revisions, newest first, as the git
    /// layer finds them. Repeats are fine: the window counts distinct specs.
    public var history: [String: [String]]
    /// Whether a target revision that declares no model at all may prune every model.
    public var allowEmpty: Bool

    /// Creates a planner.
    public init(history: [String: [String]] = [:], allowEmpty: Bool = false) {
        self.history = history
        self.allowEmpty = allowEmpty
    }

    /// The plan to go from `from` (nil: nothing deployed yet) to `to`.
    public func plan(from: DesiredState?, to: DesiredState) -> Plan {
        var names = Set(to.models.keys).union(to.invalidModels.keys)
        if let from { names.formUnion(from.models.keys); names.formUnion(from.invalidModels.keys) }
        let fromDeclaresModels = from.map { !$0.models.isEmpty || !$0.invalidModels.isEmpty } ?? false
        let refusal: String? =
            !allowEmpty && to.declaresNothing && fromDeclaresModels
            ? "\(to.revision) declares no models at all; pruning every model is refused, as Argo CD's allowEmpty guard does. "
                + "If removing them all is intended, plan again allowing an empty desired state."
            : nil

        let changes = names.sorted(by: ModelDeployment.utf8Less).map { name in
            change(for: name, from: from, to: to, refusal: refusal)
        }
        return Plan(
            fromRevision: from?.revision, toRevision: to.revision, changes: changes, refusal: refusal,
            fromDiagnostics: from?.diagnostics ?? [], toDiagnostics: to.diagnostics, unchangedElsewhere: to.unchangedElsewhere)
    }

    // MARK: - Per model

    private func change(for name: String, from: DesiredState?, to: DesiredState, refusal: String?) -> ModelChange {
        let old = from?.models[name]
        let oldInvalid = from?.invalidModels[name]
        let lastGood = from.map { old != nil ? " (as at \($0.revision))" : "" } ?? ""

        if let invalid = to.invalidModels[name] {
            let reason: String
            if old != nil {
                reason = "the manifest is invalid at \(to.revision); the model keeps its last good state\(lastGood)"
            } else if oldInvalid != nil, let from {
                reason = "the manifest is invalid at \(to.revision) and was at \(from.revision) too; whatever ran last keeps running"
            } else {
                reason = "the manifest is invalid at \(to.revision); the model is not deployed until it is valid"
            }
            return ModelChange(
                name: name, kind: .invalid, action: .blocked(reason: reason), path: invalid.path,
                previousPath: old?.path != invalid.path ? old?.path : nil, fromDigest: old?.specDigest,
                diagnostics: invalid.diagnostics)
        }

        guard let new = to.models[name] else {
            return removal(of: name, old: old, oldInvalid: oldInvalid, to: to, refusal: refusal, lastGood: lastGood)
        }

        guard let old else {
            var notes: [String] = []
            if new.deployment.rollout != nil {
                notes.append("rollout steps are skipped on a first deployment: there is no stable version to compare with")
            }
            if let oldInvalid, let from {
                notes.append(
                    "the manifest was invalid at \(from.revision) (\(oldInvalid.path)), so what runs now is not known to this plan; "
                        + "it is planned as a first deployment")
            }
            return ModelChange(
                name: name, kind: .added, action: .deploy, path: new.path, toDigest: new.specDigest,
                differences: SpecDiff.describe(new.deployment, as: .added), notes: notes)
        }

        if old.specDigest == new.specDigest, old.path == new.path, old.deployment == new.deployment {
            // The common case in a large repository: nothing to compare field by field.
            return ModelChange(
                name: name, kind: .unchanged, action: .noChange, path: new.path, fromDigest: old.specDigest,
                toDigest: new.specDigest)
        }
        var result = ModelChange(
            name: name, kind: .changed, action: .update, path: new.path,
            previousPath: old.path != new.path ? old.path : nil, fromDigest: old.specDigest, toDigest: new.specDigest,
            differences: SpecDiff.differences(from: old.deployment, to: new.deployment))
        if result.differences.isEmpty {
            result.kind = .unchanged
            result.action = .noChange
            return result
        }
        if old.specDigest == new.specDigest { return result }  // labels only
        (result.action, result.notes) = action(name: name, old: old, new: new)
        return result
    }

    private func removal(
        of name: String, old: DesiredState.Model?, oldInvalid: DesiredState.InvalidManifest?, to: DesiredState,
        refusal: String?, lastGood: String
    ) -> ModelChange {
        let path = old?.path ?? oldInvalid?.path
        let differences = old.map { SpecDiff.describe($0.deployment, as: .removed) } ?? []
        if let path, let unreadable = to.invalidFiles[path] {
            // The file that declared it cannot be read whole: the model may still be in it.
            return ModelChange(
                name: name, kind: .invalid,
                action: .blocked(
                    reason: "\(path) cannot be read at \(to.revision) and may still declare it; the model keeps its last good state\(lastGood)"),
                path: path, fromDigest: old?.specDigest, diagnostics: unreadable.diagnostics)
        }
        var result = ModelChange(
            name: name, kind: .removed, action: .prune, path: path, fromDigest: old?.specDigest, differences: differences)
        if let refusal {
            result.action = .kept(reason: refusal)
        } else if !to.invalidFiles.isEmpty {
            let files = to.invalidFiles.keys.sorted(by: ModelDeployment.utf8Less).joined(separator: ", ")
            result.action = .kept(
                reason: "not pruned: \(files) cannot be read at \(to.revision) and may declare it; prune happens once every file reads")
        } else if old == nil {
            result.notes.append("its manifest was invalid at the base revision; whatever of it runs is removed")
        }
        return result
    }

    // MARK: - Traffic actions

    /// One version as the traffic analysis sees it.
    private struct VersionMove {
        var name: String
        var oldWeight: Int
        var newWeight: Int
        /// Same artifact, digest and runtime as at the base revision.
        var sameServing: Bool
        /// It gains traffic it did not have with this artifact.
        var gains: Bool { newWeight > 0 && (!sameServing || newWeight > oldWeight) }
        /// It served live traffic with this artifact before.
        var servedBefore: Bool { sameServing && oldWeight > 0 }
    }

    private func action(name: String, old: DesiredState.Model, new: DesiredState.Model) -> (PlanAction, [String]) {
        let before = old.deployment, after = new.deployment
        let previous = Dictionary(before.versions.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let runtimeChanged = before.runtime != after.runtime
        let moves = after.versions.map { version in
            let earlier = previous[version.name]
            return VersionMove(
                name: version.name, oldWeight: before.traffic[version.name] ?? 0, newWeight: after.traffic[version.name] ?? 0,
                sameServing: !runtimeChanged && earlier?.artifact == version.artifact && earlier?.digest == version.digest)
        }
        let gaining = moves.filter(\.gains)
        guard !gaining.isEmpty else {
            var notes: [String] = []
            if let back = recentSpec(name: name, old: old, new: new, window: window(of: after)) {
                notes.append("returns to the spec of \(back) change\(back == 1 ? "" : "s") ago; no traffic moves")
            }
            return (.update, notes)
        }

        let window = window(of: after)
        if let back = recentSpec(name: name, old: old, new: new, window: window) {
            let rollback = PlanAction.FastRollback(
                version: primaryVersion(after), digest: new.specDigest, specsAgo: back, window: window)
            return (.fastRollback(rollback), [])
        }

        let fresh = gaining.filter { !$0.servedBefore }
        guard let first = fresh.first else {
            // The version that gains the most; ties go to the first declared.
            let top = gaining.dropFirst().reduce(gaining[0]) { best, move in
                move.newWeight - move.oldWeight > best.newWeight - best.oldWeight ? move : best
            }
            return (.promote(PlanAction.Promotion(version: top.name, fromWeight: top.oldWeight, toWeight: top.newWeight)), [])
        }
        guard let rollout = after.rollout, !rollout.steps.isEmpty else {
            return (.switchTraffic, [])
        }

        // The candidate is the new version that will carry the most traffic; ties go to the
        // first declared.
        let candidate = fresh.dropFirst().reduce(first) { best, move in move.newWeight > best.newWeight ? move : best }
        let stable = primaryVersion(before)
        var notes: [String] = []
        let replacesInPlace = previous[candidate.name] != nil && (before.traffic[candidate.name] ?? 0) > 0
        if replacesInPlace {
            notes.append(
                "\(candidate.name) keeps its name with a new \(runtimeChanged ? "runtime" : "artifact"); "
                    + "the current \(candidate.name) serves as stable until promotion")
        }
        let others = fresh.map(\.name).filter { $0 != candidate.name }
        if !others.isEmpty {
            notes.append(
                "\(others.joined(separator: ", ")) also take\(others.count == 1 ? "s" : "") traffic with a new artifact; the steps name \(candidate.name) only")
        }
        for case .weight(let weight) in rollout.steps where weight > candidate.newWeight {
            notes.append("step weight \(weight)% is above \(candidate.name)'s target of \(candidate.newWeight)%")
        }
        let canary = PlanAction.Canary(
            candidate: candidate.name, stable: stable, replacesInPlace: replacesInPlace, targetWeight: candidate.newWeight,
            otherNewVersions: others, rollout: rollout)
        return (.canary(canary), notes)
    }

    /// The rollback window of the target spec.
    private func window(of deployment: ModelDeployment) -> Int {
        deployment.rollout?.rollbackWindow ?? Self.defaultRollbackWindow
    }

    /// How many distinct specs back the new spec is, when it is within the window. The current
    /// spec is not counted: returning to it is no change.
    private func recentSpec(name: String, old: DesiredState.Model, new: DesiredState.Model, window: Int) -> Int? {
        guard window > 0 else { return nil }
        var distinct: [String] = []
        for digest in history[name] ?? [] where digest != old.specDigest && !distinct.contains(digest) {
            distinct.append(digest)
            if distinct.count == window { break }
        }
        return distinct.firstIndex(of: new.specDigest).map { $0 + 1 }
    }

    /// The version with the most traffic; ties go to the first declared.
    private func primaryVersion(_ deployment: ModelDeployment) -> String {
        var best: (name: String, weight: Int)?
        for version in deployment.versions {
            let weight = deployment.traffic[version.name] ?? 0
            if best == nil || weight > best!.weight { best = (version.name, weight) }
        }
        return best?.name ?? ""
    }
}
