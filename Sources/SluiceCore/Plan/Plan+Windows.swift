extension Plan {
    /// Adds a note to each change that a model's own change window (`spec.windows` at the
    /// target) would hold if it were applied at `now`: what holds it and until when. Fast
    /// rollbacks and prunes are never held, so they get none. The operator's
    /// `controller.windows` are not known here; the note says they may hold a change too.
    public mutating func noteWindows(to target: DesiredState, at now: Double) {
        let held: Set<PlanAction.Kind> = [.deploy, .canary, .switchTraffic, .promote, .update]
        for index in changes.indices where held.contains(changes[index].action.kind) {
            guard let windows = target.models[changes[index].name]?.deployment.windows, !windows.isEmpty,
                  case .closed(let closure) = WindowGate.evaluate(LabeledWindow.combining(operator: [], model: windows), at: now)
            else { continue }
            changes[index].notes.append("applied now, this change would wait: \(closure.message)")
        }
    }
}
