import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import SluiceConfig
import SluiceCore
import SluiceTestSupport
import Testing
@testable import SluiceController

/// Commands through the controller API (`POST /v1/models/{model}/{command}`) over an
/// in-process controller (real git and SQLite, the fake data plane, a manual clock): each
/// answer, then what the next pass does with it, as `sluice promote/abort/retry` would see.
@Suite("controller API: commands carried out", .timeLimit(.minutes(10)))
struct ControllerAPICommandTests {
    static let token = "controller-token-for-command-tests"
    /// The operators whose tokens the tests' API knows: the history names them as actors.
    static let operators = ["erin", "carol", "dave", "frank"]

    static func token(of person: String) -> String { "token-of-\(person)-for-command-tests" }

    /// Runs `body` with a client of the fixture's controller API.
    static func withAPI(_ fixture: ControllerFixture, _ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let tokens = [APIToken(name: "controller-token", role: .admin, value: token)]
            + operators.map { APIToken(name: $0, role: .operator, value: Self.token(of: $0)) }
        let api = ControllerAPI(controller: fixture.controller, tokens: tokens, webhookSecret: nil)
        try await Application(router: api.router()).test(.router) { client in try await body(client) }
    }

    /// POSTs a command with `actor`'s token; returns the status and the message or error.
    static func post(_ client: any TestClientProtocol, _ path: String, actor: String) async throws -> (HTTPResponse.Status, String?) {
        let headers: HTTPFields = [.authorization: "Bearer \(token(of: actor))"]
        let response = try await client.execute(uri: path, method: .post, headers: headers)
        let json = try? JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any]
        return (response.status, (json?["message"] ?? json?["error"]) as? String)
    }

    /// The event kinds and actors of a model's history, as `GET …/history` shows them.
    static func history(_ client: any TestClientProtocol, _ model: String = "fraud") async throws -> [[String: Any]] {
        let response = try await client.execute(uri: "/v1/models/\(model)/history", method: .get, headers: [.authorization: "Bearer \(token)"])
        #expect(response.status == .ok)
        let json = try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any]
        return try #require(json?["events"] as? [[String: Any]])
    }

    @Test("promote?full=true: 200, and the next pass puts the candidate at 100% past every remaining step and pause")
    func promoteFull() async throws {
        let (fixture, _) = try await CanaryPassTests.canary(Manifests.rollout(["weight: 10", "pause: 1h", "weight: 50", "approval: {}"]))
        await fixture.settle()
        #expect(fixture.weights() == ["v1": 90, "v2": 10])
        try await Self.withAPI(fixture) { client in
            let (status, message) = try await Self.post(client, "/v1/models/fraud/promote?full=true", actor: "erin")
            #expect(status == .ok)
            #expect(message == "promoting fraud to the end")
        }
        await fixture.pass(.command)
        #expect(fixture.weights() == ["v1": 0, "v2": 100])
        let state = try #require(await fixture.state())
        #expect(state.candidate == nil)
        #expect(state.stable?.primary == "v2")
        let requested = try #require(try fixture.events(kind: "promoteRequested").first)
        #expect(requested.actor == "erin")
        #expect(requested.message == "promoted to the end by a person")
        #expect(try fixture.kinds().last == "promoted")
        let kinds = try fixture.kinds()
        #expect(kinds.filter { $0 == "step" }.count == 1, "no later step ran on the way: \(kinds)")
    }

    @Test("abort, then retry: 200 each; the abort puts 100% back on stable, retry starts the same rollout again; a second retry is 409")
    func abortThenRetry() async throws {
        let (fixture, commit) = try await CanaryPassTests.canary(Manifests.rollout(["weight: 40", "pause: 1h"]))
        await fixture.settle()
        try await Self.withAPI(fixture) { client in
            let (aborted, abortMessage) = try await Self.post(client, "/v1/models/fraud/abort", actor: "carol")
            #expect(aborted == .ok)
            #expect(abortMessage == "aborted the rollout of fraud")
        }
        await fixture.settle(.command)
        #expect(fixture.weights() == ["v1": 100])
        #expect(await fixture.state()?.reason == .candidateFailed)
        try await Self.withAPI(fixture) { client in
            let (retried, retryMessage) = try await Self.post(client, "/v1/models/fraud/retry", actor: "dave")
            #expect(retried == .ok)
            #expect(retryMessage == "fraud will be tried again")
            let (again, againMessage) = try await Self.post(client, "/v1/models/fraud/retry", actor: "dave")
            #expect(again == .conflict)
            #expect(againMessage == "fraud's desired spec has not failed; nothing to retry")
        }
        await fixture.settle(.command)
        #expect(fixture.weights() == ["v1": 60, "v2": 40])
        let state = try #require(await fixture.state())
        #expect(state.candidate?.target.revision == commit)
        #expect(state.reason == .canary)
        try await Self.withAPI(fixture) { client in
            let events = try await Self.history(client)
            let actors = events.map { "\($0["kind"] as? String ?? "?")/\($0["actor"] as? String ?? "?")" }
            #expect(actors.contains("aborted/carol"), "\(actors)")
            #expect(actors.contains("retry/dave"), "\(actors)")
            #expect(actors.filter { $0.hasPrefix("rolloutStarted/") }.count == 2, "\(actors)")
        }
    }

    @Test("abort with onAbort: revert whose revert cannot be written: the abort is 200, traffic goes back, revertFailed names why; git is untouched")
    func revertFailed() async throws {
        let fixture = try await ControllerFixture(files: ["manifests/fraud.yaml": Manifests.fraud()].merging(Manifests.artifacts("a1")) { $1 })
        await fixture.settle(.start)
        // The canary's commit moves fraud into a new file: reverting that file's change would
        // delete the model, which a revert must never do.
        let rollout = Manifests.rollout(["weight: 40", "pause: 1h"], onAbort: "revert")
        let failed = try fixture.repo.commit("fraud v2 in its own file", files: [
            "manifests/fraud-model.yaml": Manifests.fraud(CanaryPassTests.v2Versions, traffic: CanaryPassTests.toV2, extra: rollout),
        ].merging(Manifests.artifacts("a2")) { $1 }, remove: ["manifests/fraud.yaml"])
        await fixture.settle()
        #expect(fixture.weights() == ["v1": 60, "v2": 40])
        try await Self.withAPI(fixture) { client in
            let (status, message) = try await Self.post(client, "/v1/models/fraud/abort", actor: "carol")
            #expect(status == .ok)
            #expect(message == "aborted the rollout of fraud")
        }
        let result = await fixture.pass(.command)
        #expect(result.succeeded)
        #expect(fixture.weights() == ["v1": 100], "traffic is back on stable whatever becomes of the revert")
        #expect(try fixture.repo.git(["rev-parse", "HEAD"]) == failed, "no commit was written")
        try await Self.withAPI(fixture) { client in
            let events = try await Self.history(client)
            let revert = try #require(events.last)
            #expect(revert["kind"] as? String == "revertFailed")
            #expect(revert["revision"] as? String == failed)
            let why = try #require(revert["message"] as? String)
            #expect(why.hasPrefix("onAbort: revert: "), "\(why)")
            #expect(why.contains("created it; reverting it would remove fraud"), "\(why)")
        }
        // Done once: the intent is gone, later passes write nothing and record nothing more.
        #expect(try fixture.store.pendingReverts().isEmpty)
        await fixture.settle(.interval)
        #expect(try fixture.events(kind: "revertFailed").count == 1)
        #expect(try fixture.repo.git(["rev-parse", "HEAD"]) == failed)
    }
}
