extension RolloutState {
    /// With `onAbort: revert`, the revision whose change an abort among `events` asks git to
    /// revert, with this state's outcome marked as waiting for that commit; nil otherwise.
    /// One rule for every place that aborts (a pass, `sluice abort`, a monitor).
    public mutating func revertIntent(after events: [RolloutEvent], onAbort: AbortPolicy?) -> String? {
        guard onAbort == .revert, let failed = events.first(where: { $0.kind == .aborted })?.revision else { return nil }
        if lastRollout?.revision == failed { lastRollout?.revert = .pending }
        return failed
    }
}
