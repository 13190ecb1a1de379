import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import SluiceCore
import Testing
@testable import SluiceController

/// Ground truth for calls the KServe logger reported, joined by `ce-id` exactly as the
/// gateway joins by `x-request-id`; the batch the controller collects carries the accuracy.
@Suite("KServe log collector: feedback", .timeLimit(.minutes(10)))
struct KServeFeedbackTests {
    typealias Harness = KServeCollectorHarness

    static func feedback(_ client: some TestClientProtocol, _ body: String, token: String? = Harness.feedbackToken, model: String = "fraud") async throws -> TestResponse {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let token { headers[.authorization] = "Bearer \(token)" }
        return try await client.execute(uri: "/v1/feedback/\(model)", method: .post, headers: headers, body: ByteBuffer(string: body))
    }

    @Test("labels joined by ce-id give the accuracy in the batch, which decodes as MonitoringBatch and judges as the monitor pass judges")
    func accuracy() async throws {
        let harness = Harness()
        try await harness.app.test(.live) { client throws in
            #expect(try await Harness.request(client).status == .accepted)
            #expect(try await Harness.response(client).status == .ok)
            // The model predicted [0, 1]; the truth is [0, 0].
            let answer = try await Self.feedback(client, "{\"feedback\":[{\"request_id\":\"\(KServeLoggerFixture.id)\",\"labels\":[0,0]},{\"request_id\":\"never-seen\",\"label\":1}]}")
            #expect(answer.status == .ok)
            #expect(Harness.text(answer) == "{\"accepted\":1,\"unknown\":[\"never-seen\"],\"duplicates\":[],\"mismatched\":[]}")
            let again = try await Self.feedback(client, "{\"request_id\":\"\(KServeLoggerFixture.id)\",\"labels\":[0,0]}")
            #expect(Harness.text(again) == "{\"accepted\":0,\"unknown\":[],\"duplicates\":[\"\(KServeLoggerFixture.id)\"],\"mismatched\":[]}")
        }
        harness.clock.advance(by: 10)
        let batch = harness.collector.monitoring(after: nil)
        // The wire form the controller reads from a data plane's GET /v1/monitoring.
        let decoded = try JSONDecoder().decode(MonitoringBatch.self, from: JSONEncoder().encode(batch))
        #expect(decoded == batch)
        #expect(decoded.bucketSeconds == 10)
        var windows = MonitorWindows()
        for bucket in decoded.buckets { windows.add(bucket, lengths: [10]) }
        let window = try #require(windows.close(collectedUntil: decoded.collectedUntil).first)
        #expect(window.labels.labeled == 2)
        let question = MonitorEvaluator.Question(name: "accuracy", metric: .accuracy, thresholds: Thresholds(min: 0.9), minSamples: 2)
        let reading = MonitorEvaluator.evaluate(question, window: window, reference: .none)
        #expect(reading.value == 0.5)
        #expect(reading.samples == 2)
        #expect(reading.detail.contains("2 labels for 2 predictions"), "\(reading.detail)")
    }

    @Test("feedback needs its own bearer token (401 without, with a wrong one, or when none is configured), not the controller's")
    func token() async throws {
        let body = "{\"request_id\":\"x\",\"label\":1}"
        for (configured, sent) in [(Harness.feedbackToken, nil), (Harness.feedbackToken, "wrong"), (Harness.feedbackToken, Harness.controllerToken), (nil, "")] as [(String?, String?)] {
            let harness = Harness(feedbackToken: configured)
            try await harness.app.test(.live) { client throws in
                let refused = try await Self.feedback(client, body, token: sent)
                #expect(refused.status == .unauthorized)
                #expect(refused.headers[HTTPField.Name("www-authenticate")!] == "Bearer realm=\"sluice-feedback\"")
            }
        }
        let harness = Harness()
        try await harness.app.test(.live) { client throws in
            #expect(try await Self.feedback(client, body).status == .ok)
            // The exemption is for the collector's own paths only.
            #expect(try await client.execute(uri: "/v1/status", method: .get).status == .unauthorized)
        }
    }

    @Test("bad feedback bodies and unknown models are refused with the field named")
    func badBodies() async throws {
        let harness = Harness()
        try await harness.app.test(.live) { client throws in
            let missing = try await Self.feedback(client, "{\"request_id\":\"x\"}")
            #expect(missing.status == .badRequest)
            #expect(Harness.text(missing).contains("feedback body: label: missing"), "\(Harness.text(missing))")
            let notJSON = try await Self.feedback(client, "{request_id")
            #expect(notJSON.status == .badRequest)
            #expect(Harness.text(notJSON).contains("feedback body is not JSON"))
            let unknown = try await Self.feedback(client, "{\"request_id\":\"x\",\"label\":1}", model: "churn")
            #expect(unknown.status == .notFound)
        }
    }
}
