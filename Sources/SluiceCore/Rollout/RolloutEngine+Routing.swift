extension RolloutEngine {
    /// What the data plane routes for `state` besides weights: the mirror, sticky header and
    /// pins of ``route(for:)`` as the runtime spec carries them (nil when nothing runs yet).
    public static func routing(for state: RolloutState) -> RoutingSummary? {
        route(for: state).map { RoutingSummary(ModelRuntime(name: state.name, route: $0).route) }
    }

    /// The events after which the route follows another serving set (a step only moves weights).
    static let routeMovingKinds: Set<RolloutEvent.Kind> = [
        .deployed, .updated, .fastRollback, .rolloutStarted, .superseded, .aborted, .promoted, .monitorRollback,
    ]
}

extension RolloutEngine.Decision {
    /// The decision with the event that moved the route (the last deployment, rollout start,
    /// abort, promotion or rollback among its events) saying how the routing changed since
    /// `previous`, e.g. `…; routing: mirror 10%→v2 on`. Unchanged when the routing is the same.
    func mentioningRouting(from previous: RolloutState?) -> Self {
        let before = previous.flatMap(RolloutEngine.routing(for:)) ?? RoutingSummary()
        let after = RolloutEngine.routing(for: state) ?? RoutingSummary()
        let changes = after.changes(from: before)
        guard !changes.isEmpty,
              let index = events.lastIndex(where: { RolloutEngine.routeMovingKinds.contains($0.kind) }) ?? events.indices.last
        else { return self }
        var decision = self
        decision.events[index].message += RoutingChange.eventSuffix(changes)
        return decision
    }
}
