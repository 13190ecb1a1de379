extension RolloutEngine {
    /// `sluice promote --override-window` while `closure` holds the model: the desired spec
    /// (the rollout in progress, or the one waiting to start) goes through until the window
    /// closes, and the history says who let it. Nil when nothing waits for a window.
    public static func overrideWindow(
        _ input: RolloutState, closure: WindowGate.Closure, actor: String, now: Double
    ) -> (RolloutState, RolloutEvent)? {
        guard let digest = input.candidate?.target.digest ?? input.desiredDigest, digest != input.stable?.digest || input.candidate != nil
        else { return nil }
        var state = input
        state.windowOverride = RolloutState.WindowOverride(digest: digest, until: closure.until, actor: actor, at: now)
        state.wait = nil
        let revision = input.candidate?.target.revision ?? input.desiredRevision
        let until = closure.until.map { " until \(Timestamp.iso8601($0))" } ?? ""
        let event = RolloutEvent(.windowOverridden, "\(actor) overrode the change window\(until): \(closure.message)", revision: revision)
        return (state, event)
    }
}
