import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import SluiceCore
import SluiceServe
import SluiceTestSupport
@testable import SluiceController

/// A KServe log collector behind a live loopback listener with the controller API's
/// middleware as the lead wires it (errors, the controller token on `/v1/` except the
/// collector's and feedback's paths, body limits), and a manual clock.
struct KServeCollectorHarness {
    static let controllerToken = "controller-token-for-tests"
    static let feedbackToken = "feedback-token-for-tests"

    let clock: ManualClock
    let collector: KServeLogCollector
    let app: Application<RouterResponder<BasicRequestContext>>

    /// - Parameter limits: changes to the collector's default bounds.
    init(feedbackToken: String? = Self.feedbackToken, limits change: (inout KServeLogCollector.Limits) -> Void = { _ in }) {
        var limits = KServeLogCollector.Limits()
        change(&limits)
        let clock = ManualClock()
        self.clock = clock
        collector = KServeLogCollector(
            bucketSeconds: 10, retentionSeconds: 600, sketchInputs: { $0 == "fraud" ? ["amount", "country"] : nil },
            clock: clock, feedbackToken: { feedbackToken }, limits: limits)
        collector.setKnownVersions(["fraud": ["v1", "v2"]])
        let router = Router()
        router.add(middleware: APIErrorMiddleware())
        router.add(middleware: BearerMiddleware(
            token: BearerToken(Self.controllerToken), realm: "sluice-controller", prefix: "/v1/",
            exempt: [KServeLogCollector.collectorPrefix, KServeLogCollector.feedbackPrefix]))
        router.add(middleware: BodyLimitMiddleware { path in path.hasPrefix(KServeLogCollector.collectorPrefix) ? Int.max : 1 << 20 })
        router.get("/v1/status") { _, _ in "ok" }
        collector.addRoutes(to: router)
        app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
    }

    /// Posts one wire message (see ``KServeLoggerFixture``).
    static func post(_ message: KServeLoggerFixture.Message, _ client: some TestClientProtocol) async throws -> TestResponse {
        try await client.execute(uri: message.path, method: .post, headers: message.headers, body: message.body)
    }

    /// Posts the pinned request event with `id`, to `path` when given.
    static func request(_ client: some TestClientProtocol, id: String = KServeLoggerFixture.id, path: String? = nil) async throws -> TestResponse {
        try await post(KServeLoggerFixture.message(KServeLoggerFixture.requestEvent, id: id, path: path), client)
    }

    /// Posts the pinned response event with `id`, to `path` when given.
    static func response(_ client: some TestClientProtocol, id: String = KServeLoggerFixture.id, path: String? = nil) async throws -> TestResponse {
        try await post(KServeLoggerFixture.message(KServeLoggerFixture.responseEvent, id: id, path: path), client)
    }

    /// A response body as text.
    static func text(_ response: TestResponse) -> String {
        String(buffer: response.body)
    }

    /// The buckets of `version` that ended after moving the clock past the current bucket.
    func closedBuckets(version: String = "v1") -> [MonitoringBucket] {
        clock.advance(by: 10)
        return collector.monitoring(after: nil).buckets.filter { $0.version == version }
    }
}
