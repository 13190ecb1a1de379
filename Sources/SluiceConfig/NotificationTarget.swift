import SluiceCore

/// Where rollout results are reported (`controller.notifications[]`): a chat webhook, a
/// generic JSON receiver, or a git host's commit statuses.
public struct NotificationTarget: Sendable, Hashable {
    /// What a target speaks.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// A Slack incoming webhook (Block Kit `blocks` with a `text` fallback).
        case slack
        /// The JSON of the monitors' alert webhook, for any receiver.
        case generic
        /// GitHub commit statuses (`POST /repos/OWNER/REPO/statuses/SHA`).
        case github
        /// GitLab commit statuses (`POST /projects/ID/statuses/SHA`).
        case gitlab
    }

    /// The name the outbox keys its deliveries by; unique in the list.
    public var name: String
    public var kind: Kind
    /// The webhook URL (a secret: from a file or the environment) for `slack` and `generic`.
    public var url: ServeConfig.TokenSource?
    /// The git host's API base for `github` and `gitlab` (not a secret).
    public var api: String?
    /// The bearer token for `github` and `gitlab`.
    public var token: ServeConfig.TokenSource?
    /// `OWNER/REPO` (github) or the project's id or `group/project` path (gitlab).
    public var repository: String?
    /// A PEM file of CA certificates trusted in addition to the system's.
    public var caFile: String?
    /// A link sent with statuses and messages (the dashboard); sent as written.
    public var dashboardURL: String?
    /// The events the target wants.
    public var events: Set<NotificationEvent>
    /// Pacing, retries and when to give up (``DeliveryPolicy/defaults`` unless configured).
    public var delivery: DeliveryPolicy = .defaults
    /// `github`: also comment on the pull requests associated with a rollout's commit when
    /// the rollout ends (promoted or aborted).
    public var pullRequestComment = false

    /// Creates a target.
    public init(
        name: String, kind: Kind, url: ServeConfig.TokenSource? = nil, api: String? = nil, token: ServeConfig.TokenSource? = nil,
        repository: String? = nil, caFile: String? = nil, dashboardURL: String? = nil, events: Set<NotificationEvent> = Set(NotificationEvent.allCases)
    ) {
        self.name = name
        self.kind = kind
        self.url = url
        self.api = api
        self.token = token
        self.repository = repository
        self.caFile = caFile
        self.dashboardURL = dashboardURL
        self.events = events
    }

    /// The API base when none is configured.
    public var defaultAPI: String? {
        switch kind {
        case .github: "https://api.github.com"
        case .gitlab: "https://gitlab.com/api/v4"
        case .slack, .generic: nil
        }
    }
}

/// An event a notification target can ask for; each stands for the audit-trail kinds it
/// reports.
public enum NotificationEvent: String, Sendable, Hashable, CaseIterable, Codable {
    case rolloutStarted
    case stepPassed
    case awaitingApproval
    case paused
    case promoted
    case aborted
    case fastRollback
    case monitorRollback
    case monitorFiring
    case monitorResolved
    case revertCommitted
    case revertFailed
    case reconcileError
    case reconcileRecovered

    /// The audit-trail kinds this event reports.
    public var kinds: Set<RolloutEvent.Kind> {
        switch self {
        case .rolloutStarted: [.rolloutStarted]
        case .stepPassed: [.step]
        case .awaitingApproval: [.awaitingApproval]
        case .paused: [.paused]
        case .promoted: [.promoted]
        case .aborted: [.aborted]
        case .fastRollback: [.fastRollback]
        case .monitorRollback: [.monitorRollback]
        case .monitorFiring: [.monitorFiring]
        case .monitorResolved: [.monitorResolved]
        case .revertCommitted: [.reverted]
        case .revertFailed: [.revertFailed]
        case .reconcileError: [.reconcileError]
        case .reconcileRecovered: [.reconcileRecovered]
        }
    }

    /// The event reporting an audit-trail kind, if any does.
    public init?(kind: RolloutEvent.Kind) {
        guard let event = Self.allCases.first(where: { $0.kinds.contains(kind) }) else { return nil }
        self = event
    }
}
