/// What a named token of the controller's API may do. Each role includes the ones below it:
/// an operator can do everything a viewer can, an admin everything an operator can.
/// The routes each role reaches are listed in `docs/controller.md` (*Roles*).
public enum APIRole: String, Sendable, Hashable, Codable, CaseIterable, Comparable, CustomStringConvertible {
    /// Reads: status, models, history, the dashboard.
    case viewer
    /// Also acts on rollouts: promote, abort, retry, approve.
    case `operator`
    /// Everything, including routes that change configuration or write commits.
    case admin

    /// Whether a caller with this role may use a route that needs `required`.
    public func allows(_ required: APIRole) -> Bool { self >= required }

    public static func < (lhs: APIRole, rhs: APIRole) -> Bool { lhs.rank < rhs.rank }

    private var rank: Int {
        switch self {
        case .viewer: 0
        case .operator: 1
        case .admin: 2
        }
    }

    public var description: String { rawValue }
}

/// Who called the controller's API: the name of the token they presented (the actor the
/// history and notifications record) and its role. Set by the server from the token only.
public struct APICaller: Sendable, Hashable {
    /// The token's name, as configured.
    public var name: String
    /// What the token may do.
    public var role: APIRole

    public init(name: String, role: APIRole) {
        self.name = name
        self.role = role
    }
}
