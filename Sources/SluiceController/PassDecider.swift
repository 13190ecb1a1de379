import SluiceCore
import SluiceGit
import SluiceStore

/// The decide step of a pass: synchronous and pure. From the desired state at a commit,
/// the states the store remembers and the versions the backend reports ready, it works
/// out each model's next state with the rollout engine, what to prune, and what to record.
enum PassDecider {
    /// Everything one pass decided, before anything is saved or applied.
    struct Decisions: Sendable {
        /// Every model's state after the pass.
        var next: [String: RolloutState]
        /// The states that changed (saved).
        var changed: [String: RolloutState] = [:]
        /// Models pruned from the data plane.
        var removed: [String] = []
        var events: [ControllerStore.EventRecord] = []
        var measurements: [(model: String, revision: String?, run: AnalysisRun)] = []
        /// Revert commits to write (`onAbort: revert`), saved as intents first.
        var reverts: [ControllerStore.PendingRevert] = []
        /// Models whose candidate is due for an analysis run (the measure step's work).
        var analysisDue: [String] = []
        /// What each model's observation was, for the judge step.
        var observations: [String: ModelObservation] = [:]
        /// Each model's change-window gate this pass, for the judge step (absent: open).
        var gates: [String: WindowGate] = [:]

        /// Folds an analysis run into a model's decision: the engine promotes, holds or aborts.
        mutating func judge(_ run: AnalysisRun, model: String, deployment: ModelDeployment, revision: String?, now: Double) {
            guard let state = next[model] else { return }
            measurements.append((model, revision, run))
            let after = RolloutEngine.analyze(
                run, state: state, deployment: deployment, observation: observations[model] ?? ModelObservation(readyVersions: []), now: now,
                gate: gates[model] ?? .open)
            if after.state != state { changed[model] = after.state }
            next[model] = after.state
            record(after.events, model: model, deployment: deployment)
        }

        /// Adds the engine's events, and the revert intent an abort implies (the status says
        /// it is pending until it is written).
        mutating func record(_ new: [RolloutEvent], model: String, deployment: ModelDeployment?) {
            events += new.map { .init(model: model, event: $0, actor: "controller") }
            guard var state = next[model], let failed = state.revertIntent(after: new, onAbort: deployment?.rollout?.onAbort) else { return }
            reverts.append(.init(model: model, revision: failed))
            if state != next[model] {
                next[model] = state
                changed[model] = state
            }
        }
    }

    /// Decides every model known to git or to the store.
    /// - Parameters:
    ///   - modelProblems: models left out of the spec (artifacts not ready, runtime not defined), with why.
    ///   - readyVersions: per model, the versions the backend reports ready.
    ///   - allowEmpty: whether an empty manifest set may prune every model.
    ///   - windows: the operator's change windows (`controller.windows`), for every model.
    static func decide(
        desired: DesiredState, commit: CommitID, modelProblems: [String: ModelProblem], states: [String: RolloutState],
        readyVersions: [String: Set<String>], allowEmpty: Bool, windows: [ChangeWindow] = [], now: Double
    ) -> Decisions {
        var decisions = Decisions(next: states)
        let unreadable = !desired.invalidFiles.isEmpty
        let empty = desired.models.isEmpty && desired.invalidModels.isEmpty && modelProblems.isEmpty
        // The operator's windows alone give every model without its own the same gate: evaluated once.
        let operatorGate = WindowGate.evaluate(LabeledWindow.combining(operator: windows, model: []), at: now)
        let names = Set(desired.models.keys).union(desired.invalidModels.keys).union(modelProblems.keys).union(states.keys)
        for name in names.sorted() {
            let model = desired.models[name]
            let manifestError = desired.invalidModels[name].map(Controller.describe) ?? modelProblems[name]?.message
            if model == nil && manifestError == nil {
                guard var state = decisions.next[name] else { continue }
                // Removals are trusted only from a complete, readable manifest set.
                if unreadable || (empty && !allowEmpty) {
                    let why = unreadable
                        ? "a manifest file cannot be read at \(commit.short), so removals are not trusted"
                        : "the manifest set is empty at \(commit.short); set controller.allowEmpty to prune every model"
                    if state.reason != .kept {
                        state.reason = .kept
                        state.message = why
                        decisions.changed[name] = state
                        decisions.next[name] = state
                        decisions.events.append(.init(model: name, event: RolloutEvent(.kept, why, revision: commit.hex), actor: "controller"))
                    }
                    continue
                }
                decisions.next[name] = nil
                decisions.removed.append(name)
                decisions.events.append(.init(
                    model: name, event: RolloutEvent(.pruned, "\(name) is no longer in git; removed from the data plane", revision: commit.hex),
                    actor: "controller"))
                continue
            }
            let observation = ModelObservation(readyVersions: readyVersions[name] ?? [])
            decisions.observations[name] = observation
            let own = model?.deployment.windows ?? []
            let gate = own.isEmpty ? operatorGate : WindowGate.evaluate(LabeledWindow.combining(operator: windows, model: own), at: now)
            decisions.gates[name] = gate
            let decision = RolloutEngine.reconcile(
                desired: model, revision: commit.hex, manifestError: manifestError, state: decisions.next[name],
                observation: observation, now: now, gate: gate)
            var next = decision.state
            var events = decision.events
            // A model never deployed that cannot be read yet has a state too, under its name.
            if next.name.isEmpty { next.name = name }
            if desired.invalidModels[name] == nil, let problem = modelProblems[name] {
                next.describe(problem)
                // Said once per problem (not on every pass): the status keeps saying it.
                if case .runtimeUndefined = problem.kind, decisions.next[name]?.reason != .runtimeUndefined || decisions.next[name]?.message != problem.message {
                    events.append(RolloutEvent(.runtimeUndefined, problem.message, revision: commit.hex))
                }
            }
            if next != decisions.next[name] { decisions.changed[name] = next }
            decisions.next[name] = next
            decisions.record(events, model: name, deployment: model?.deployment)
            if decision.analysisDue, model?.deployment.rollout?.analysis != nil, decision.state.candidate != nil, decision.state.stable != nil {
                decisions.analysisDue.append(name)
            }
        }
        return decisions
    }
}
