/// One difference between two ``RoutingSummary`` values: what a rollout event mentions when
/// a deployment, rollout, abort or rollback turns mirroring, stickiness or a pin on or off.
public enum RoutingChange: Sendable, Hashable, CustomStringConvertible {
    /// The mirror started (`from` nil), stopped (`to` nil), or changed share or version.
    case mirror(from: Route.Mirror?, to: Route.Mirror?)
    /// The sticky header was set, removed, or renamed.
    case stickyHeader(from: String?, to: String?)
    /// A header pin now routes to its version.
    case pinAdded(Route.HeaderPin)
    /// A header pin no longer applies.
    case pinRemoved(Route.HeaderPin)

    /// `mirror 10%→v2 on`, `mirror 20%→v2 (was 10%→v2)`, `mirror 100%→v2 (paired) on` (a
    /// shadow step), `sticky x-user-id off`,
    /// `pin x-canary=yes→v2 on`.
    public var description: String {
        switch self {
        case .mirror(let old, let new): Self.change("mirror", old.map(RoutingSummary.text), new.map(RoutingSummary.text))
        case .stickyHeader(let old, let new): Self.change("sticky", old, new)
        case .pinAdded(let pin): "pin \(RoutingSummary.text(pin)) on"
        case .pinRemoved(let pin): "pin \(RoutingSummary.text(pin)) off"
        }
    }

    /// The sentence tail a rollout event gets: `; routing: mirror 10%→v2 on, sticky x-user-id on`
    /// (empty when nothing changed).
    public static func eventSuffix(_ changes: [RoutingChange]) -> String {
        changes.isEmpty ? "" : "; routing: " + changes.map(\.description).joined(separator: ", ")
    }

    private static func change(_ what: String, _ old: String?, _ new: String?) -> String {
        switch (old, new) {
        case (nil, let new?): "\(what) \(new) on"
        case (let old?, nil): "\(what) \(old) off"
        case (let old?, let new?): "\(what) \(new) (was \(old))"
        case (nil, nil): "\(what) unchanged"
        }
    }
}
