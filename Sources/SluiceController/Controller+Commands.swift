import Foundation
import SluiceCore
import SluiceStore

extension Controller {
    /// What a person's command did.
    public enum CommandOutcome: Sendable {
        case done(String)
        case refused(String)
        case unknownModel
    }

    /// `sluice promote MODEL [--full]`: passes the current pause or approval, or skips to the end.
    public func promote(_ model: String, full: Bool, actor: String) async -> CommandOutcome {
        await acquireState()
        defer { releaseState() }
        guard let state = states[model] else { return .unknownModel }
        guard let deployment = desired?.models[model]?.deployment,
              let (next, events) = RolloutEngine.promote(state, full: full, deployment: deployment, now: Date().timeIntervalSince1970) else {
            return .refused("\(model) has no rollout waiting at a pause or an approval (\(state.reason))")
        }
        return await record(next, events: events, actor: actor, message: full ? "promoting \(model) to the end" : "passed the current step of \(model)")
    }

    /// `sluice abort MODEL`: 100% back to stable now; the candidate is remembered as failed.
    public func abort(_ model: String, actor: String) async -> CommandOutcome {
        await acquireState()
        defer { releaseState() }
        guard let state = states[model] else { return .unknownModel }
        guard let decision = RolloutEngine.abortByUser(state, now: Date().timeIntervalSince1970) else {
            return .refused("\(model) has no rollout in progress")
        }
        var reverts: [ControllerStore.PendingRevert] = []
        if desired?.models[model]?.deployment.rollout?.onAbort == .revert, let failed = state.candidate?.target.revision {
            reverts.append(.init(model: model, revision: failed))
        }
        return await record(
            decision.state, events: decision.events, reverts: reverts, actor: actor, message: "aborted the rollout of \(model)")
    }

    /// `sluice retry MODEL`: tries a failed spec again.
    public func retry(_ model: String, actor: String) async -> CommandOutcome {
        await acquireState()
        defer { releaseState() }
        guard let state = states[model] else { return .unknownModel }
        guard let (next, event) = RolloutEngine.retry(state) else {
            return .refused("\(model)'s desired spec has not failed; nothing to retry")
        }
        return await record(next, events: [event], actor: actor, message: "\(model) will be tried again")
    }

    private func record(
        _ state: RolloutState, events: [RolloutEvent], reverts: [ControllerStore.PendingRevert] = [], actor: String, message: String
    ) async -> CommandOutcome {
        do {
            try store.save(
                states: [state], events: events.map { .init(model: state.name, event: $0, actor: actor) }, reverts: reverts,
                at: Date().timeIntervalSince1970)
        } catch {
            return .refused("could not save: \(error)")
        }
        states[state.name] = state
        trigger("command")
        return .done(message)
    }
}
