import NIOCore
import NIOHTTP1
import NIOPosix
import SluiceConfig
import SluiceCore
import SluiceServe
import Testing
@testable import SluiceController

/// Outgoing monitor webhooks against real loopback receivers: the bearer token goes in the
/// Authorization header and nowhere else, and a receiver that fails (an error status, a
/// connection closed without an answer, no answer at all) costs one attempt, bounded by the
/// timeout, reported as a message that never holds the token. The controller records that
/// message as an `alertFailed` or `retrainFailed` event (docs/monitors.md); it does not retry.
@Suite("outgoing webhooks", .timeLimit(.minutes(10)))
struct WebhookSenderTests {
    static let token = "hook-token-5f3a"
    static let payload = JSONValue.object([("kind", .string("sluice.monitor")), ("status", .string("firing"))])

    static func sender(token: @escaping @Sendable () throws -> String? = { WebhookSenderTests.token }, timeout: TimeAmount = .seconds(60)) -> WebhookSender {
        var sender = WebhookSender(
            client: UpstreamClient(group: MultiThreadedEventLoopGroup.singleton), eventLoop: MultiThreadedEventLoopGroup.singleton.next(), readToken: token)
        sender.timeout = timeout
        return sender
    }

    @Test("the configured token is sent as `Authorization: Bearer TOKEN` with the JSON payload; without one, no Authorization header")
    func bearerToken() async throws {
        let receiver = try await WebhookCatcher()
        let target = try #require(WebhookTarget(url: receiver.url("/alerts")))
        #expect(await Self.sender().post(Self.payload, to: target) == nil)
        let received = try #require(receiver.requests.first)
        #expect(received.authorization == "Bearer \(Self.token)")
        #expect(received.contentType == "application/json")
        #expect(received.path == "/alerts")
        #expect(received.json["kind"] as? String == "sluice.monitor")
        #expect(await Self.sender(token: { nil }).post(Self.payload, to: target) == nil)
        #expect(receiver.requests.count == 2)
        #expect(receiver.requests.last?.authorization == nil)
    }

    @Test("a token that cannot be read: nothing is sent, and the failure says so")
    func unreadableToken() async throws {
        let receiver = try await WebhookCatcher()
        struct Unreadable: Error, CustomStringConvertible { var description: String { "/etc/sluice/hook-token: permission denied" } }
        let target = try #require(WebhookTarget(url: receiver.url("/alerts")))
        let failure = await Self.sender(token: { throw Unreadable() }).post(Self.payload, to: target)
        #expect(failure == "the webhook token cannot be read: /etc/sluice/hook-token: permission denied")
        #expect(receiver.requests.isEmpty)
    }

    @Test("a receiver answering 500 is a failure naming the receiver and the status, after one attempt; the token is not in the message")
    func errorStatus() async throws {
        let receiver = try await WebhookCatcher(status: .internalServerError)
        let target = try #require(WebhookTarget(url: receiver.url("/alerts")))
        let failure = try #require(await Self.sender().post(Self.payload, to: target))
        #expect(failure == "\(target) answered 500")
        #expect(!failure.contains(Self.token))
        #expect(receiver.requests.count == 1, "not retried")
        #expect(receiver.requests.first?.authorization == "Bearer \(Self.token)")
    }

    @Test("a receiver that closes the connection without answering is a failure after one attempt")
    func closedConnection() async throws {
        let receiver = try await WebhookCatcher(behaviour: .close)
        let target = try #require(WebhookTarget(url: receiver.url("/alerts")))
        let failure = try #require(await Self.sender().post(Self.payload, to: target))
        #expect(failure.hasPrefix("\(target) did not answer: connection closed before any answer"), "\(failure)")
        #expect(!failure.contains(Self.token))
        #expect(receiver.requests.count == 1, "not retried")
    }

    @Test("a receiver that never answers costs the timeout, then is a failure; the sender goes on working")
    func slowReceiver() async throws {
        let receiver = try await WebhookCatcher(behaviour: .hold)
        let target = try #require(WebhookTarget(url: receiver.url("/alerts")))
        let sender = Self.sender(timeout: .seconds(1))
        let failure = try #require(await sender.post(Self.payload, to: target))
        #expect(failure == "\(target) did not answer: no response within the timeout")
        #expect(receiver.requests.count == 1)
        let healthy = try await WebhookCatcher()
        let next = try #require(WebhookTarget(url: healthy.url("/alerts")))
        #expect(await sender.post(Self.payload, to: next) == nil, "the sender still works")
    }
}
