import AsyncHTTPClient
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import SluiceCore

/// The requests ``MLflowSource`` makes: the bearer token read fresh for each, a timeout on
/// the answer's head and on every pause in its body, and failures mapped to
/// ``ArtifactFetchError`` kinds. `what` (`models:/iris/1`) names the artifact in messages;
/// neither the token nor the server's raw text beyond ``ArtifactFetchError/printable(_:)``
/// ever reaches one.
struct MLflowHTTP: Sendable {
    let client: HTTPClient
    let endpoint: MLflowEndpoint
    let token: MLflowToken?
    /// How long a request may go without progress.
    let timeout: SluiceCore.Duration

    /// The largest JSON answer read (a listing of a model directory is a few KiB).
    static let maxJSONBytes = 8 << 20

    /// An MLflow REST error body: `{"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "…"}`.
    struct RESTError: Decodable {
        var error_code: ErrorCode?
        var message: String?
    }

    /// The `error_code`s the source decides on; any other is `.other`.
    enum ErrorCode: Hashable, Decodable {
        /// No such model, version or artifact.
        case resourceDoesNotExist
        /// A malformed request; the alias endpoint also answers it for an unknown alias.
        case invalidParameterValue
        case other

        init(from decoder: any Decoder) throws {
            switch try decoder.singleValueContainer().decode(String.self) {
            case "RESOURCE_DOES_NOT_EXIST": self = .resourceDoesNotExist
            case "INVALID_PARAMETER_VALUE": self = .invalidParameterValue
            default: self = .other
            }
        }
    }

    /// GETs `url` and decodes a 200 answer as `T`; any other answer throws, its kind from the
    /// status and MLflow's `error_code` (`missing`: the codes that mean nothing is there).
    func getJSON<T: Decodable>(
        _ url: String, as type: T.Type, what: String, missing: Set<ErrorCode> = [.resourceDoesNotExist], notFound: @autoclosure () -> String
    ) async throws -> T {
        let response = try await send(url, what: what)
        let body: ByteBuffer
        do {
            body = try await response.body.collect(upTo: Self.maxJSONBytes)
        } catch is NIOTooManyBytesError {
            throw ArtifactFetchError(.badResponse, "\(what): the MLflow server's answer is larger than \(Self.maxJSONBytes) bytes")
        } catch {
            throw classify(error, what: what)
        }
        let data = Data(body.readableBytesView)
        guard response.status == .ok else {
            throw failure(response.status, body: data, what: what, missing: missing, notFound: notFound())
        }
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch {
            throw ArtifactFetchError(.badResponse, "\(what): the MLflow server answered \(url.split(separator: "?").first.map(String.init) ?? "") with JSON that is not what its REST API documents")
        }
    }

    /// Sends a GET for `url` with the token (and `headers`) and returns once the head arrived.
    func send(_ url: String, headers: [(String, String)] = [], what: String) async throws -> HTTPClientResponse {
        var request = HTTPClientRequest(url: url)
        request.method = .GET
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(try token.read())") }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        do {
            return try await client.executeRetryingClosedConnection(request, deadline: .now() + TimeAmount.milliseconds(timeout.milliseconds))
        } catch {
            throw classify(error, what: what)
        }
    }

    /// Reads `response`'s body, handing each chunk to `each`, and throws `.timeout` when no
    /// byte arrives for `timeout` (the head's deadline does not cover the body).
    func stream(_ response: HTTPClientResponse, what: String, each: @escaping @Sendable (ByteBuffer) async throws -> Void) async throws {
        let progress = NIOLockedValueBox(ContinuousClock.now)
        let idle = Swift.Duration.milliseconds(timeout.milliseconds)
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for try await chunk in response.body {
                        progress.withLockedValue { $0 = .now }
                        try await each(chunk)
                        progress.withLockedValue { $0 = .now }
                    }
                }
                group.addTask {
                    while true {
                        let wake = progress.withLockedValue { $0 } + idle
                        if ContinuousClock.now >= wake {
                            throw ArtifactFetchError(.timeout, "\(what): the MLflow server sent nothing for \(timeout) in the middle of a download")
                        }
                        try await Task.sleep(until: wake, clock: .continuous)
                    }
                }
                _ = try await group.next()
                group.cancelAll()
            }
        } catch {
            throw classify(error, what: what)
        }
    }

    /// The error for a non-200 answer: 404 or an `error_code` in `missing` is `.notFound` with
    /// `notFound` as the message; 401/403 `.unauthorized`; 5xx and 429 `.unavailable`.
    func failure(
        _ status: HTTPResponseStatus, body: Data, what: String, missing: Set<ErrorCode> = [.resourceDoesNotExist], notFound: String
    ) -> ArtifactFetchError {
        let rest = try? JSONDecoder().decode(RESTError.self, from: body)
        let detail = rest?.message.map { ": \(ArtifactFetchError.printable($0))" } ?? ""
        switch status.code {
        case 404:
            return ArtifactFetchError(.notFound, notFound + detail)
        case 400..<500 where rest?.error_code.map(missing.contains) == true:
            return ArtifactFetchError(.notFound, notFound + detail)
        case 401, 403:
            let how = token == nil ? "no token is configured (controller.artifacts.mlflow.tokenFile)" : "the token in controller.artifacts.mlflow.tokenFile was refused"
            return ArtifactFetchError(.unauthorized, "\(what): the MLflow server answered \(status.code); \(how)")
        case 429, 500...599:
            return ArtifactFetchError(.unavailable, "\(what): the MLflow server answered \(status.code)\(detail)")
        default:
            return ArtifactFetchError(.badResponse, "\(what): the MLflow server answered \(status.code)\(detail)")
        }
    }

    /// `error` as an ``ArtifactFetchError``: timeouts, broken connections; cancellation and
    /// our own errors pass through.
    func classify(_ error: any Error, what: String) -> any Error {
        if error is ArtifactFetchError || error is CancellationError { return error }
        if let error = error as? HTTPClientError {
            if [.deadlineExceeded, .readTimeout, .connectTimeout, .writeTimeout].contains(error) {
                return ArtifactFetchError(.timeout, "\(what): the MLflow server did not answer within \(timeout)")
            }
            if error == .cancelled { return CancellationError() }
            return ArtifactFetchError(.connection, "\(what): the connection to the MLflow server failed (\(error.shortDescription))")
        }
        return ArtifactFetchError(.connection, "\(what): the connection to the MLflow server failed (\(ArtifactFetchError.printable(String(describing: error))))")
    }
}
