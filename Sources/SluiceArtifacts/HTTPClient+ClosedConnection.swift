import AsyncHTTPClient
import NIOCore
import NIOHTTP1

extension HTTPClient {
    /// `execute`, sent once more on a new connection when the first try's connection closed
    /// before any answer came, for a request that may be sent twice (GET, HEAD).
    ///
    /// A kept-alive connection the server closed (MLflow's gunicorn after 2 idle seconds,
    /// S3's front ends after a few) can be taken from the pool in the moment before the
    /// close is seen: the request then fails with `remoteConnectionClosed` although the
    /// server never read it. AsyncHTTPClient does not retry that
    /// (swift-server/async-http-client#715); Go's and Python's clients retry it once for an
    /// idempotent request, and so does this. The second try gets a connection of its own,
    /// since the closed one has left the pool. Once its head is in, an answer is not sent
    /// again: a failure after that is the caller's to handle.
    func executeRetryingClosedConnection(_ request: HTTPClientRequest, deadline: NIODeadline) async throws -> HTTPClientResponse {
        do {
            return try await execute(request, deadline: deadline)
        } catch let error as HTTPClientError where error == .remoteConnectionClosed && (request.method == .GET || request.method == .HEAD) {
            return try await execute(request, deadline: deadline)
        }
    }
}
