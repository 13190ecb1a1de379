import AsyncHTTPClient
import NIOConcurrencyHelpers

/// Owns ``HTTPSSource``'s dedicated client. ``shutdown()`` ends it (once; later calls do
/// nothing); a source released without it still shuts the client down, without waiting,
/// rather than leaking its connections (or stopping a debug build, as AsyncHTTPClient does).
final class HTTPSClientOwner: Sendable {
    let client: HTTPClient
    private let isShutDown = NIOLockedValueBox(false)

    init(_ client: HTTPClient) {
        self.client = client
    }

    func shutdown() async throws {
        let first = isShutDown.withLockedValue { value in
            defer { value = true }
            return !value
        }
        if first { try await client.shutdown() }
    }

    deinit {
        if !isShutDown.withLockedValue({ $0 }) {
            _ = client.shutdown()  // the future keeps the client until it is down
        }
    }
}
