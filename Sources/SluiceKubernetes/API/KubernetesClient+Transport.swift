import AsyncHTTPClient
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL

extension KubernetesClient {
    /// One answer: its status, headers and whole body.
    struct Answer: Sendable {
        var status: HTTPResponseStatus
        var headers: HTTPHeaders
        var body: ByteBuffer
    }

    /// How many times a 429 or 503 with `Retry-After` is retried, and the longest wait honoured.
    static let retryAfterAttempts = 2
    static let retryAfterCap: Duration = .seconds(2)

    /// Sends a request and reads the whole answer within ``timeout``; a 429 or 503 that says
    /// `Retry-After` is retried after that wait (capped), since the server did not act on it.
    func send(
        _ method: HTTPMethod, _ path: String, query: [(String, String)] = [], body: [UInt8]? = nil,
        contentType: String = "application/json"
    ) async throws(KubernetesError) -> Answer {
        var attempt = 0
        while true {
            let request = try makeRequest(method, path, query: query, body: body, contentType: contentType)
            let answer: Answer
            do {
                answer = try await exchange(request)
            } catch {
                throw transportError(error, method, path)
            }
            logger.trace("Kubernetes API \(method) \(path): \(answer.status.code)")
            let code = answer.status.code
            if code == 429 || code == 503, attempt < Self.retryAfterAttempts, let wait = Self.retryAfter(answer.headers) {
                attempt += 1
                do { try await Task.sleep(for: wait) } catch { throw KubernetesError(.unreachable, "\(method) \(path): cancelled") }
                continue
            }
            return answer
        }
    }

    /// A request to the server, with the bearer token when there is one; counted.
    func makeRequest(
        _ method: HTTPMethod, _ path: String, query: [(String, String)], body: [UInt8]? = nil,
        contentType: String = "application/json"
    ) throws(KubernetesError) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: server + path + Self.queryString(query))
        request.method = method
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "User-Agent", value: "sluice")
        if let secret = try bearerToken(method, path) { request.headers.add(name: "Authorization", value: "Bearer \(secret)") }
        if let body {
            request.headers.add(name: "Content-Type", value: contentType)
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        countRequest()
        return request
    }

    /// Sends and reads the answer within ``timeout``: AsyncHTTPClient's deadline covers only
    /// the response head, so the body is raced against a timer too.
    private func exchange(_ request: HTTPClientRequest) async throws -> Answer {
        let limit = Self.maximumBodyBytes
        let client = httpClient
        let timeout = timeout
        return try await withThrowingTaskGroup(of: Answer?.self) { group in
            group.addTask {
                let response = try await client.execute(request, deadline: .now() + timeout)
                if let length = response.headers.first(name: "content-length").flatMap(Int.init), length > limit {
                    throw NIOTooManyBytesError(maxBytes: limit)
                }
                return Answer(status: response.status, headers: response.headers, body: try await response.body.collect(upTo: limit))
            }
            group.addTask {
                try await Task.sleep(for: .nanoseconds(timeout.nanoseconds))
                return nil
            }
            defer { group.cancelAll() }
            guard let answer = try await group.next() ?? nil else { throw HTTPClientError.deadlineExceeded }
            return answer
        }
    }

    /// The current bearer token, checked; nil without token authentication.
    func bearerToken(_ method: HTTPMethod, _ path: String) throws(KubernetesError) -> String? {
        guard let token else { return nil }
        let secret: String
        do {
            secret = try token()
        } catch {
            // The reader's errors name the file, never the value.
            throw KubernetesError(.unauthorized, "\(method) \(path): cannot read the bearer token: \(error)")
        }
        guard !secret.isEmpty, !secret.unicodeScalars.contains(where: { $0.value < 0x21 || $0.value == 0x7F }) else {
            throw KubernetesError(.unauthorized, "\(method) \(path): the bearer token is empty or holds spaces or control characters")
        }
        return secret
    }

    /// What a failure without a usable answer means: always `.unreachable`, except an
    /// oversized answer (`.unreadable`).
    func transportError(_ error: any Error, _ method: HTTPMethod, _ path: String) -> KubernetesError {
        let prefix = "\(method) \(path)"
        switch error {
        case let error as KubernetesError:
            return error
        case is NIOTooManyBytesError:
            return KubernetesError(.unreadable, "\(prefix): the answer is larger than \(Self.maximumBodyBytes) bytes; not read")
        case let error as HTTPClientError:
            switch error {
            case .deadlineExceeded, .readTimeout, .writeTimeout, .connectTimeout, .getConnectionFromPoolTimeout, .tlsHandshakeTimeout:
                return KubernetesError(.unreachable, "\(prefix): no answer from \(server) within \(timeout.nanoseconds / 1_000_000)ms")
            case .cancelled:
                return KubernetesError(.unreachable, "\(prefix): cancelled")
            case .remoteConnectionClosed:
                return KubernetesError(.unreachable, "\(prefix): \(server) closed the connection before answering")
            default:
                return KubernetesError(.unreachable, "\(prefix): \(Self.quoted(String(describing: error)))")
            }
        case is NIOSSLError, is BoringSSLError:
            return KubernetesError(.unreachable, "\(prefix): TLS with \(server) failed: \(Self.quoted(String(describing: error)))")
        case is CancellationError:
            return KubernetesError(.unreachable, "\(prefix): cancelled")
        default:
            return KubernetesError(.unreachable, "\(prefix): cannot reach \(server): \(Self.quoted(String(describing: error)))")
        }
    }

    /// The wait a `Retry-After` header asks for (delta-seconds only), capped; nil without one.
    static func retryAfter(_ headers: HTTPHeaders) -> Duration? {
        guard let text = headers.first(name: "retry-after"), let seconds = Int(text.trimmingSpaces), seconds >= 0 else { return nil }
        return min(.seconds(seconds), retryAfterCap)
    }
}

extension String {
    fileprivate var trimmingSpaces: Substring {
        let start = firstIndex { $0 != " " } ?? endIndex
        let end = lastIndex { $0 != " " }.map { index(after: $0) } ?? start
        return self[start..<max(start, end)]
    }
}
