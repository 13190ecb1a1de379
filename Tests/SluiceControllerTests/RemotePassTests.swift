import Foundation
import SluiceCore
import SluiceTestSupport
import Testing
@testable import SluiceController

/// A controller following a remote repository: a webhook's pass fetches the followed branch
/// (and only it) and reads what the backend runs while the fetch is under way.
@Suite("controller passes: a remote repository and its webhooks", .timeLimit(.minutes(10)))
struct RemotePassTests {
    @Test("a webhook pass applies a pushed change; a commit on another branch or a tag changes nothing; a backend that fails meanwhile ends the pass as an observe failure")
    func webhookPasses() async throws {
        let fixture = try await ControllerFixture(
            files: ["manifests/fraud.yaml": Manifests.fraud([("v1", "a1"), ("v2", "a2")], traffic: ["v1": 100, "v2": 0])]
                .merging(Manifests.artifacts("a1", "a2")) { $1 })
        let server = try GitFixture(bare: true)
        try fixture.followRemote(server)
        let webhook = Trigger.webhook(forge: "github")
        await fixture.settle(webhook)
        #expect(fixture.backend.weights("fraud") == ["v1": 100, "v2": 0])

        try fixture.repo.commit("all to v2", files: ["manifests/fraud.yaml": Manifests.fraud([("v1", "a1"), ("v2", "a2")], traffic: ["v1": 0, "v2": 100])])
        try fixture.repo.git(["push", "-q", server.path, "HEAD:refs/heads/main"])
        let moved = await fixture.pass(webhook)
        #expect(moved.failure == nil)
        #expect(moved.appliedSpec)
        #expect(fixture.backend.weights("fraud") == ["v1": 0, "v2": 100])

        // Another branch and a tag are not followed: nothing is read from them.
        try fixture.repo.git(["checkout", "-q", "-b", "other"])
        try fixture.repo.commit("elsewhere", files: ["manifests/fraud.yaml": Manifests.fraud([("v1", "a1"), ("v2", "a2")], traffic: ["v1": 50, "v2": 50])])
        try fixture.repo.git(["tag", "elsewhere"])
        try fixture.repo.git(["push", "-q", server.path, "other", "elsewhere"])
        let ignored = await fixture.pass(webhook)
        #expect(ignored.failure == nil)
        #expect(!ignored.appliedSpec)
        #expect(fixture.backend.weights("fraud") == ["v1": 0, "v2": 100])

        // The backend read during the fetch fails: the pass says so and applies nothing.
        try fixture.repo.git(["checkout", "-q", "main"])
        try fixture.repo.commit("back to v1", files: ["manifests/fraud.yaml": Manifests.fraud([("v1", "a1"), ("v2", "a2")], traffic: ["v1": 100, "v2": 0])])
        try fixture.repo.git(["push", "-q", server.path, "HEAD:refs/heads/main"])
        fixture.backend.failNext(.observe)
        let failed = await fixture.pass(webhook)
        #expect(failed.failure?.step == .observe, "\(String(describing: failed.failure))")
        #expect(fixture.backend.weights("fraud") == ["v1": 0, "v2": 100])
        let retried = await fixture.pass(webhook)
        #expect(retried.failure == nil)
        #expect(fixture.backend.weights("fraud") == ["v1": 100, "v2": 0])
    }
}
