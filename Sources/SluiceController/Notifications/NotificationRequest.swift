import Foundation
import SluiceConfig
import SluiceCore
import SluiceStore

/// The HTTP request a queued notification becomes for one target: where it goes, with which
/// headers, and its JSON body. Built fresh at each attempt from the outbox row (secrets are
/// read then, never stored).
struct NotificationRequest: Sendable {
    var url: String
    var headers: [(String, String)]
    var body: JSONValue

    /// What a target is sent for `notification`; nil when the target has nothing to say
    /// about it (a git host is told only of events that change a commit's status).
    /// - Parameters:
    ///   - url: the webhook URL (`slack`, `generic`); unused by git hosts.
    ///   - token: the git host token.
    ///   - failedChecks: the measurements that failed an aborted rollout.
    static func make(
        for notification: ControllerStore.OutboxNotification, target: NotificationTarget, url: String?, token: String?,
        failedChecks: [CheckMeasurement]
    ) -> NotificationRequest? {
        let event = NotificationEvent(kind: notification.kind)
        switch target.kind {
        case .generic:
            guard let url else { return nil }
            return NotificationRequest(url: url, headers: [], body: genericBody(notification, event: event, target: target, failedChecks: failedChecks))
        case .slack:
            guard let url else { return nil }
            return NotificationRequest(url: url, headers: [], body: slackBody(notification, event: event, target: target, failedChecks: failedChecks))
        case .github, .gitlab:
            guard let event, let state = CommitState(event), let sha = notification.revision, isCommitHash(sha),
                  let repository = target.repository, let api = target.api ?? target.defaultAPI, let token else { return nil }
            var members: [(String, JSONValue)] = []
            let context = "sluice/\(notification.model)"
            let description = String(statusDescription(notification, failedChecks: failedChecks).prefix(140))
            let url: String
            var headers = [("authorization", "Bearer \(token)")]
            if target.kind == .github {
                url = "\(api)/repos/\(repository)/statuses/\(sha)"
                headers = githubHeaders(token: token)
                members = [("state", .string(state.github)), ("context", .string(context)), ("description", .string(description))]
            } else {
                let project = repository.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? repository
                url = "\(api)/projects/\(project)/statuses/\(sha)"
                members = [("state", .string(state.gitlab)), ("name", .string(context)), ("description", .string(description))]
            }
            if let link = target.dashboardURL { members.append(("target_url", .string(link))) }
            return NotificationRequest(url: url, headers: headers, body: .object(members))
        }
    }

    /// What every GitHub REST request carries.
    static func githubHeaders(token: String) -> [(String, String)] {
        [("authorization", "Bearer \(token)"), ("accept", "application/vnd.github+json"), ("x-github-api-version", "2022-11-28")]
    }

    /// A commit status: pending while a rollout runs, then its end.
    enum CommitState {
        case pending, success, failure

        init?(_ event: NotificationEvent) {
            switch event {
            case .rolloutStarted, .stepPassed, .awaitingApproval, .paused: self = .pending
            case .promoted: self = .success
            case .aborted: self = .failure
            case .fastRollback, .monitorRollback, .monitorFiring, .monitorResolved, .revertCommitted, .revertFailed, .reconcileError,
                 .reconcileRecovered: return nil
            }
        }

        var github: String {
            switch self {
            case .pending: "pending"
            case .success: "success"
            case .failure: "failure"
            }
        }

        var gitlab: String {
            switch self {
            case .pending: "running"
            case .success: "success"
            case .failure: "failed"
            }
        }
    }

    /// A full commit hash; anything else never reaches a URL path.
    static func isCommitHash(_ text: String) -> Bool {
        (text.count == 40 || text.count == 64) && text.allSatisfy(\.isHexDigit)
    }

    static func statusDescription(_ notification: ControllerStore.OutboxNotification, failedChecks: [CheckMeasurement]) -> String {
        guard let check = failedChecks.first else { return notification.message }
        return "aborted: \(check.line)"
    }

    static func checkJSON(_ check: CheckMeasurement) -> JSONValue {
        .object([
            ("metric", .string(check.metric)), ("value", check.value.map { .number($0) } ?? .null),
            ("stableValue", check.stableValue.map { .number($0) } ?? .null), ("threshold", .string(check.threshold)),
            ("verdict", .string(check.verdict.rawValue)), ("detail", .string(check.detail)),
        ])
    }

    /// The `generic` JSON (docs/notifications.md).
    static func genericBody(
        _ notification: ControllerStore.OutboxNotification, event: NotificationEvent?, target: NotificationTarget, failedChecks: [CheckMeasurement]
    ) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("kind", .string("sluice.notification")),
            ("id", .string(notification.eventId)),
            ("event", event.map { .string($0.rawValue) } ?? .null),
            ("eventKind", .string(notification.kind.rawValue)),
            ("model", .string(notification.model)),
            ("revision", notification.revision.map { .string($0) } ?? .null),
            ("message", .string(notification.message)),
            ("actor", .string(notification.actor)),
            ("at", .number(notification.at)),
        ]
        if !failedChecks.isEmpty { members.append(("failedChecks", .array(failedChecks.map(checkJSON)))) }
        if let link = target.dashboardURL { members.append(("dashboardURL", .string(link))) }
        return .object(members)
    }

    /// A Slack incoming-webhook message: Block Kit `blocks` with a plain `text` fallback
    /// (shown in notifications and by clients that do not render blocks).
    static func slackBody(
        _ notification: ControllerStore.OutboxNotification, event: NotificationEvent?, target: NotificationTarget, failedChecks: [CheckMeasurement]
    ) -> JSONValue {
        let heading = "\(notification.model): \(event.map(title) ?? notification.kind.rawValue)"
        var fields: [JSONValue] = [mrkdwn("*Model*\n\(escape(notification.model))")]
        if let revision = notification.revision { fields.append(mrkdwn("*Revision*\n`\(escape(String(revision.prefix(12))))`")) }
        fields.append(mrkdwn("*By*\n\(escape(notification.actor))"))
        var blocks: [JSONValue] = [
            .object([("type", .string("header")), ("text", .object([("type", .string("plain_text")), ("text", .string(String(heading.prefix(150))))]))]),
            .object([("type", .string("section")), ("text", mrkdwn(escape(notification.message))), ("fields", .array(fields))]),
        ]
        if !failedChecks.isEmpty {
            let lines = failedChecks.map { "• `\(escape($0.metric))` \($0.value.map { String($0) } ?? "no value") vs threshold \(escape($0.threshold)): \($0.verdict.rawValue)" }
            blocks.append(.object([("type", .string("section")), ("text", mrkdwn("*Failed checks*\n" + lines.joined(separator: "\n")))]))
        }
        if let link = target.dashboardURL {
            blocks.append(.object([("type", .string("context")), ("elements", .array([mrkdwn("<\(escape(link))|Open the dashboard>")]))]))
        }
        return .object([("text", .string("\(heading): \(notification.message)")), ("blocks", .array(blocks))])
    }

    static func title(_ event: NotificationEvent) -> String {
        switch event {
        case .rolloutStarted: "rollout started"
        case .stepPassed: "step passed"
        case .awaitingApproval: "waiting for approval"
        case .paused: "rollout paused"
        case .promoted: "promoted"
        case .aborted: "rollout aborted"
        case .fastRollback: "fast rollback"
        case .monitorRollback: "rolled back by a monitor"
        case .monitorFiring: "monitor firing"
        case .monitorResolved: "monitor resolved"
        case .revertCommitted: "revert committed"
        case .revertFailed: "revert failed"
        case .reconcileError: "reconcile failing"
        case .reconcileRecovered: "reconcile recovered"
        }
    }

    static func mrkdwn(_ text: String) -> JSONValue {
        .object([("type", .string("mrkdwn")), ("text", .string(text))])
    }

    /// Slack's three control characters in text.
    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}
