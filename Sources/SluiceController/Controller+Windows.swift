import SluiceConfig
import SluiceCore

extension Controller {
    /// The change-window gate of `model` at `now`: the operator's windows and the model's own.
    func windowGate(of model: String, at now: Double) -> WindowGate {
        let own = desired?.models[model]?.deployment.windows ?? []
        return WindowGate.evaluate(LabeledWindow.combining(operator: config.windows, model: own), at: now)
    }

    /// `sluice promote` while a change window holds the model: refused, saying until when,
    /// unless `overrideWindow`; then the override is recorded with the actor and the promotion
    /// goes on. Nil when no window holds the model (or an override already covers it): the
    /// promotion is judged as usual.
    func promoteThroughWindow(_ state: RolloutState, full: Bool, actor: String, overrideWindow: Bool, at now: Double) -> CommandOutcome? {
        // With nothing waiting (no rollout, git's spec is what runs) the usual refusal says so.
        let waiting = state.candidate != nil || (state.desiredDigest != nil && state.desiredDigest != state.stable?.digest)
        guard waiting, case .closed(let closure) = windowGate(of: state.name, at: now) else { return nil }
        let digest = state.candidate?.target.digest ?? state.desiredDigest ?? ""
        if state.windowOverride?.covers(digest, at: now) == true { return nil }
        guard overrideWindow else {
            return .refused("\(state.name): \(closure.message); run `sluice promote \(state.name) --override-window` to promote anyway")
        }
        guard let (overridden, override) = RolloutEngine.overrideWindow(state, closure: closure, actor: actor, now: now) else {
            return .refused("\(state.name) has no change waiting for a window (\(state.reason))")
        }
        var next = overridden
        var events = [override]
        var message = "\(state.name) goes through the change window"
            + (closure.until.map { " until \(Timestamp.iso8601($0))" } ?? "")
        // A rollout at a pause or an approval passes it too; one held between steps goes on.
        if let deployment = desired?.models[state.name]?.deployment,
           let (promoted, promotion) = RolloutEngine.promote(next, full: full, deployment: deployment, now: now) {
            next = promoted
            events += promotion
            message += full ? "; promoting to the end" : "; passed the current step"
        }
        return record(next, events: events, actor: actor, at: now, message: message)
    }
}
