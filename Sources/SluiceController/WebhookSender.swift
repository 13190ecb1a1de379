import NIOCore
import NIOHTTP1
import SluiceConfig
import SluiceCore
import SluiceServe

/// POSTs JSON to outgoing webhooks (monitor alerts, retraining requests). A receiver that
/// is down or slow costs at most `timeout`; the caller records the outcome as an event.
struct WebhookSender: Sendable {
    let client: UpstreamClient
    let eventLoop: any EventLoop
    /// Reads the bearer token to send, if one is configured.
    let readToken: @Sendable () throws -> String?
    var timeout: TimeAmount = .seconds(5)

    /// Sends `payload`; returns nil on a 2xx answer, else what went wrong (never the token).
    func post(_ payload: JSONValue, to target: WebhookTarget) async -> String? {
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: "application/json")
        headers.add(name: "user-agent", value: "sluice-controller")
        do {
            if let token = try readToken() { headers.add(name: "authorization", value: "Bearer \(token)") }
        } catch {
            return "the webhook token cannot be read: \(error)"
        }
        let request = UpstreamRequest(method: .POST, uri: target.path, headers: headers, body: ByteBuffer(string: payload.serialized()))
        do {
            let response = try await client.send(request, to: target.address, on: eventLoop, timeout: timeout).get()
            guard (200..<300).contains(response.status.code) else { return "\(target) answered \(response.status.code)" }
            return nil
        } catch {
            return "\(target) did not answer: \(error)"
        }
    }
}
