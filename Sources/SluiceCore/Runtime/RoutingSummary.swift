/// How a model's requests are routed besides its weights: the version a shadow copy goes to
/// (``Route/Mirror``), the header that keeps a caller on one version, and header pins.
///
/// Built from a ``Route`` (what the data plane is given), so `sluice status`, the API and
/// the rollout events say what the data plane does; text is made only by ``description``
/// and ``RoutingChange``.
public struct RoutingSummary: Sendable, Hashable, CustomStringConvertible {
    /// A copy of a share of requests sent to a version; its answer is discarded, or during a
    /// shadow step paired with the caller's (``Route/Mirror/pairing``).
    public var mirror: Route.Mirror?
    /// The header whose value keeps a caller on one version while the weights hold.
    public var stickyHeader: String?
    /// Requests whose header equals a value go to a version, whatever the weights.
    public var pins: [Route.HeaderPin]

    /// Creates a summary.
    public init(mirror: Route.Mirror? = nil, stickyHeader: String? = nil, pins: [Route.HeaderPin] = []) {
        self.mirror = mirror
        self.stickyHeader = stickyHeader
        self.pins = pins
    }

    /// The routing of `route`, without its weights.
    public init(_ route: Route) {
        self.init(mirror: route.mirror, stickyHeader: route.stickyHeader, pins: route.pins)
    }

    /// Nothing besides the weights: no mirror, no sticky header, no pins.
    public var isPlain: Bool { mirror == nil && stickyHeader == nil && pins.isEmpty }

    /// `mirror 10%→v2, sticky x-user-id, pin x-canary=yes→v2`; `-` when plain.
    public var description: String {
        guard !isPlain else { return "-" }
        let parts = (mirror.map { ["mirror " + Self.text($0)] } ?? [])
            + (stickyHeader.map { ["sticky " + $0] } ?? [])
            + pins.map { "pin " + Self.text($0) }
        return parts.joined(separator: ", ")
    }

    /// What differs in `self` from `old`, in the order of ``description``.
    public func changes(from old: RoutingSummary) -> [RoutingChange] {
        var changes: [RoutingChange] = []
        if mirror != old.mirror { changes.append(.mirror(from: old.mirror, to: mirror)) }
        if stickyHeader != old.stickyHeader { changes.append(.stickyHeader(from: old.stickyHeader, to: stickyHeader)) }
        changes += old.pins.filter { !pins.contains($0) }.map(RoutingChange.pinRemoved)
        changes += pins.filter { !old.pins.contains($0) }.map(RoutingChange.pinAdded)
        return changes
    }

    /// `10%→v2` (a fraction of a percent as such: `0.5%→v2`); a shadow step's mirror, whose
    /// answers are paired with the callers', `100%→v2~canary (paired)`.
    static func text(_ mirror: Route.Mirror) -> String {
        "\(JSONValue.number(mirror.percent).serialized())%→\(mirror.version)" + (mirror.pairing == nil ? "" : " (paired)")
    }

    /// `x-canary=yes→v2`.
    static func text(_ pin: Route.HeaderPin) -> String {
        "\(pin.header)=\(pin.value)→\(pin.version)"
    }
}
