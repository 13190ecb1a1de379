import Foundation
import SluiceCore
import SluiceStore

extension Controller {
    /// What a person's command did.
    public enum CommandOutcome: Sendable, Equatable {
        case done(String)
        case refused(String)
        case unknownModel
        /// This replica may not act now (it is not the leader); another one does.
        case unavailable(String)
    }

    /// A person's command: handled by the loop between passes, never during one.
    public enum Command: Sendable, Equatable {
        /// `sluice promote MODEL [--full] [--override-window]`.
        case promote(model: String, full: Bool, actor: String, overrideWindow: Bool = false)
        /// `sluice abort MODEL`.
        case abort(model: String, actor: String)
        /// `sluice retry MODEL`.
        case retry(model: String, actor: String)
        /// `sluice approve MODEL --monitor NAME`.
        case approve(model: String, monitor: String, actor: String)
    }

    /// `sluice promote MODEL [--full] [--override-window]`: passes the current pause or
    /// approval, or skips to the end; inside a closed change window only with `overrideWindow`.
    public func promote(_ model: String, full: Bool, actor: String, overrideWindow: Bool = false) async -> CommandOutcome {
        await submit(.promote(model: model, full: full, actor: actor, overrideWindow: overrideWindow))
    }

    /// `sluice abort MODEL`: 100% back to stable now; the candidate is remembered as failed.
    public func abort(_ model: String, actor: String) async -> CommandOutcome {
        await submit(.abort(model: model, actor: actor))
    }

    /// `sluice retry MODEL`: tries a failed spec again.
    public func retry(_ model: String, actor: String) async -> CommandOutcome {
        await submit(.retry(model: model, actor: actor))
    }

    /// `sluice approve MODEL --monitor NAME`: records the approval and, when the monitor is
    /// already firing with a retrain action, sends the request at once.
    public func approve(model: String, monitor: String, by actor: String) async -> CommandOutcome {
        await submit(.approve(model: model, monitor: monitor, actor: actor))
    }

    /// Hands the command to the running loop and waits for its outcome; without a loop
    /// (a test driving passes by hand) it runs at once.
    func submit(_ command: Command) async -> CommandOutcome {
        guard let inbox else { return await execute(command) }
        return await withCheckedContinuation { reply in
            inbox.yield(.command(command, reply: reply))
        }
    }

    /// Carries out a command on the current state.
    func execute(_ command: Command) async -> CommandOutcome {
        // A command that arrives before the first pass (a restart, a takeover) is judged
        // against git, not refused for want of a desired state.
        if desired == nil { _ = await readGit(.command) }
        let now = clock.now()
        switch command {
        case .promote(let model, let full, let actor, let overrideWindow):
            guard let state = states[model] else { return .unknownModel }
            if let outcome = promoteThroughWindow(state, full: full, actor: actor, overrideWindow: overrideWindow, at: now) { return outcome }
            guard let deployment = desired?.models[model]?.deployment,
                  let (next, events) = RolloutEngine.promote(state, full: full, deployment: deployment, now: now) else {
                return .refused("\(model) has no rollout waiting at a pause or an approval (\(state.reason))")
            }
            return record(next, events: events, actor: actor, at: now, message: full ? "promoting \(model) to the end" : "passed the current step of \(model)")
        case .abort(let model, let actor):
            guard let state = states[model] else { return .unknownModel }
            guard var decision = RolloutEngine.abortByUser(state, now: now) else {
                return .refused("\(model) has no rollout in progress")
            }
            var reverts: [ControllerStore.PendingRevert] = []
            if let failed = decision.state.revertIntent(after: decision.events, onAbort: desired?.models[model]?.deployment.rollout?.onAbort) {
                reverts.append(.init(model: model, revision: failed))
            }
            return record(decision.state, events: decision.events, reverts: reverts, actor: actor, at: now, message: "aborted the rollout of \(model)")
        case .retry(let model, let actor):
            guard let state = states[model] else { return .unknownModel }
            guard let (next, event) = RolloutEngine.retry(state) else {
                return .refused("\(model)'s desired spec has not failed; nothing to retry")
            }
            return record(next, events: [event], actor: actor, at: now, message: "\(model) will be tried again")
        case .approve(let model, let monitor, let actor):
            return await approveRetraining(model: model, monitor: monitor, by: actor, at: now)
        }
    }

    func record(
        _ state: RolloutState, events: [RolloutEvent], reverts: [ControllerStore.PendingRevert] = [], actor: String, at now: Double,
        message: String
    ) -> CommandOutcome {
        do {
            try store.save(
                states: [state], events: events.map { .init(model: state.name, event: $0, actor: actor) }, reverts: reverts, at: now)
        } catch {
            return .refused("could not save: \(error)")
        }
        states[state.name] = state
        trigger(.command)
        return .done(message)
    }
}
