import Foundation
import SluiceConfig
import SluiceCore
import SluiceStore

/// A GitHub target's pull-request comment (`pullRequestComment: true`): when a rollout ends
/// (promoted or aborted) and its commit status was accepted, a follow-up is queued that lists
/// the pull requests associated with the commit (`GET /repos/OWNER/REPO/commits/SHA/pulls`)
/// and comments on each (`POST /repos/OWNER/REPO/issues/NUMBER/comments`).
enum PullRequestComment {
    /// The events that end a rollout.
    static let kinds: Set<RolloutEvent.Kind> = [.promoted, .aborted]
    /// Pull requests commented on at most per event (a commit in many is unusual).
    static let maximumPullRequests = 20

    /// The follow-up to queue once `notification` was delivered to `target`; nil when none.
    static func followUp(after notification: ControllerStore.OutboxNotification, target: NotificationTarget) -> ControllerStore.OutboxNotification? {
        guard target.kind == .github, target.pullRequestComment, notification.step == nil, kinds.contains(notification.kind),
              let sha = notification.revision, NotificationRequest.isCommitHash(sha) else { return nil }
        var followUp = notification
        followUp.eventId = "\(notification.eventId)/pull-request-comment"
        followUp.step = .pullRequestComment
        return followUp
    }

    /// The list of pull requests associated with the commit.
    static func pullsURL(api: String, repository: String, sha: String) -> String {
        "\(api)/repos/\(repository)/commits/\(sha)/pulls"
    }

    /// Where a comment on pull request `number` is posted.
    static func commentsURL(api: String, repository: String, number: Int) -> String {
        "\(api)/repos/\(repository)/issues/\(number)/comments"
    }

    /// The pull requests' numbers in GitHub's answer (an array of pull-request objects); nil
    /// when it is not one.
    static func numbers(inPulls data: Data) -> [Int]? {
        guard let pulls = try? JSONSerialization.jsonObject(with: data) as? [Any] else { return nil }
        let numbers = pulls.compactMap { ($0 as? [String: Any])?["number"] as? Int }.filter { $0 > 0 }
        return Array(numbers.prefix(maximumPullRequests))
    }

    /// The comment's JSON: `{"body": MARKDOWN}`.
    static func body(_ notification: ControllerStore.OutboxNotification, target: NotificationTarget, failedChecks: [CheckMeasurement]) -> JSONValue {
        let event = NotificationEvent(kind: notification.kind).map(NotificationRequest.title) ?? notification.kind.rawValue
        var lines = ["**Sluice**: `\(notification.model)` \(event)", "", notification.message]
        if !failedChecks.isEmpty {
            lines += ["", "Failed checks:"]
            lines += failedChecks.map { "- `\($0.metric)`: \($0.value.map { String($0) } ?? "no value") against \($0.threshold) (\($0.verdict.rawValue))" }
        }
        var footer = "Commit \(notification.revision.map { String($0.prefix(12)) } ?? "unknown")"
        if let link = target.dashboardURL { footer += " · [dashboard](\(link))" }
        lines += ["", footer]
        return .object([("body", .string(lines.joined(separator: "\n")))])
    }
}
