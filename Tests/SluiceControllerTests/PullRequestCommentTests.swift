import Foundation
import NIOConcurrencyHelpers
import SluiceConfig
@testable import SluiceController
import SluiceCore
import SluiceStore
import SluiceTestSupport
import Testing

/// GitHub pull-request comments (`pullRequestComment: true`) against the loopback HTTPS
/// server: it answers the commit's pull-request list with the shape of GitHub's REST docs
/// example (`GET /repos/{owner}/{repo}/commits/{commit_sha}/pulls`, trimmed to the fields
/// Sluice reads and a few beside them) and records the comments posted.
@Suite("GitHub pull-request comments", .timeLimit(.minutes(10)))
struct PullRequestCommentTests {
    typealias Fixture = NotificationDeliveryTests.Fixture
    static let sha = NotificationDeliveryTests.sha

    /// Two pull requests hold the commit: an open one and a merged one (GitHub's example
    /// list, trimmed).
    static let pulls = """
        [
          {"url": "https://api.github.com/repos/octocat/Hello-World/pulls/1347", "id": 1, "node_id": "MDExOlB1bGxSZXF1ZXN0MQ==",
           "html_url": "https://github.com/octocat/Hello-World/pull/1347", "number": 1347, "state": "open", "locked": true,
           "title": "Amazing new feature", "user": {"login": "octocat", "id": 1}, "body": "Please pull these awesome changes in!",
           "merged_at": null, "head": {"label": "octocat:new-topic", "ref": "new-topic", "sha": "6dcb09b5b57875f334f61aebed695e2e4193db5e"}},
          {"url": "https://api.github.com/repos/octocat/Hello-World/pulls/1351", "id": 2, "node_id": "MDExOlB1bGxSZXF1ZXN0Mg==",
           "html_url": "https://github.com/octocat/Hello-World/pull/1351", "number": 1351, "state": "closed", "locked": false,
           "title": "Model v2", "user": {"login": "octocat", "id": 1}, "body": null, "merged_at": "2011-01-26T19:01:12Z",
           "head": {"label": "octocat:model-v2", "ref": "model-v2", "sha": "6dcb09b5b57875f334f61aebed695e2e4193db5e"}}
        ]
        """

    static func target(_ fixture: Fixture, comment: Bool) -> [NotificationTarget] {
        var target = NotificationTarget(
            name: "statuses", kind: .github, api: fixture.server.url("/api"), token: .file(fixture.tokenFile), repository: "acme/models",
            caFile: fixture.server.caFile, dashboardURL: "https://sluice.example/ui", events: [.rolloutStarted, .promoted, .aborted])
        target.pullRequestComment = comment
        return [target]
    }

    static func servePulls(_ fixture: Fixture) throws {
        let directory = fixture.server.files.appendingPathComponent("api/repos/acme/models/commits/\(sha)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try Data(pulls.utf8).write(to: directory.appendingPathComponent("pulls"))
    }

    @Test("a promoted rollout's commit status is followed by a comment on each pull request holding the commit, once")
    func commentsOnPromotion() async throws {
        let fixture = try await Fixture()
        defer { fixture.cleanUp() }
        try Self.servePulls(fixture)
        let targets = Self.target(fixture, comment: true)
        let store = try fixture.store(targets)
        let log = NIOLockedValueBox<[String]>([])
        let deliverer = try fixture.deliverer(store, targets, log: log)
        defer { Task { await deliverer.shutdown() } }
        try store.save(
            states: [], events: [NotificationDeliveryTests.event(.rolloutStarted, "rollout of v2 started"), NotificationDeliveryTests.event(.promoted, "v2 is stable")],
            at: 5)
        try await NotificationDeliveryTests.drain(deliverer, store)
        let requests = fixture.server.requests()
        #expect(requests.map { "\($0.method) \($0.path)" } == [
            "POST /api/repos/acme/models/statuses/\(Self.sha)",
            "POST /api/repos/acme/models/statuses/\(Self.sha)",
            "GET /api/repos/acme/models/commits/\(Self.sha)/pulls",
            "POST /api/repos/acme/models/issues/1347/comments",
            "POST /api/repos/acme/models/issues/1351/comments",
        ])
        for request in requests {
            #expect(request.authorization == "Bearer \(NotificationDeliveryTests.token)")
            #expect(request.accept == "application/vnd.github+json")
            #expect(request.githubAPIVersion == "2022-11-28")
        }
        let comment = try NotificationDeliveryTests.json(requests[3].body)
        #expect(comment.keys.sorted() == ["body"])
        #expect(comment["body"] as? String == "**Sluice**: `fraud` promoted\n\nv2 is stable\n\nCommit 0123456789ab · [dashboard](https://sluice.example/ui)")
        #expect(requests[4].body == requests[3].body)
        // Delivered once: more rounds send nothing.
        #expect(await deliverer.deliverDue() == 0)
        #expect(fixture.server.requests().count == 5)
        #expect(log.withLockedValue { $0 }.allSatisfy { !$0.contains(NotificationDeliveryTests.token) })
    }

    @Test("a failing comment is retried alone (the status is not sent again); without pullRequestComment nothing is listed or posted")
    func retriedAloneAndOff() async throws {
        let fixture = try await Fixture()
        defer { fixture.cleanUp() }
        try Self.servePulls(fixture)
        let targets = Self.target(fixture, comment: true)
        let store = try fixture.store(targets)
        let log = NIOLockedValueBox<[String]>([])
        let deliverer = try fixture.deliverer(store, targets, log: log)
        defer { Task { await deliverer.shutdown() } }
        try fixture.server.setRoutes(["/api/repos/acme/models/issues/1347/comments": .status(502)])
        try store.save(states: [], events: [NotificationDeliveryTests.event(.aborted, "analysis failed: error_rate")], at: 5)
        await deliverer.deliverDue()
        await deliverer.deliverDue()
        #expect(try store.pendingNotificationCounts() == ["statuses": 1])
        #expect(log.withLockedValue { $0 }.contains { $0.contains("commenting on pull request #1347: the receiver answered 502") })
        try fixture.server.setRoutes([:])
        try await NotificationDeliveryTests.drain(deliverer, store)
        let paths = fixture.server.requests().map { "\($0.method) \($0.path)" }
        #expect(paths.filter { $0.contains("/statuses/") }.count == 1)
        #expect(paths.filter { $0.hasSuffix("/issues/1347/comments") }.count == 2)
        #expect(paths.filter { $0.hasSuffix("/issues/1351/comments") }.count == 1)

        // The same events for a target without the option: statuses only.
        let off = try await Fixture()
        defer { off.cleanUp() }
        try Self.servePulls(off)
        let plain = Self.target(off, comment: false)
        let offStore = try off.store(plain)
        let offDeliverer = try off.deliverer(offStore, plain, log: log)
        defer { Task { await offDeliverer.shutdown() } }
        try offStore.save(states: [], events: [NotificationDeliveryTests.event(.promoted, "v2 is stable")], at: 5)
        try await NotificationDeliveryTests.drain(offDeliverer, offStore)
        await offDeliverer.deliverDue()
        #expect(off.server.requests().map { "\($0.method) \($0.path)" } == ["POST /api/repos/acme/models/statuses/\(Self.sha)"])
    }
}
