import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import SluiceCore

/// Answers PromQL instant queries through Prometheus' HTTP API (`POST /api/v1/query`), or
/// anything that speaks it (Thanos, Mimir, VictoriaMetrics).
///
/// Queries go as a form body, so a long query never meets a URL length limit. The bearer
/// token is read through a closure at each request, so a rotated token file takes effect
/// without a restart; it is sent only to ``baseURL`` and never appears in an error. An
/// answer larger than ``maximumBodyBytes`` is refused without being read whole.
///
/// Safe to call concurrently. Call ``shutdown()`` once when done: AsyncHTTPClient stops a
/// debug build whose client is released while still running.
public final class PrometheusClient: MetricQuerying {
    /// The largest answer read (8 MiB): a hostile or runaway answer must not exhaust memory.
    public static let defaultMaximumBodyBytes = 8 << 20

    /// Called after each query with its duration and, for a failure, its kind (metrics).
    public typealias Observer = @Sendable (Swift.Duration, MetricQueryError.Kind?) -> Void

    /// The server's address as configured, without a trailing slash (a path prefix kept).
    public let baseURL: String
    /// How long one query may take, end to end.
    public let timeout: Swift.Duration
    /// The largest answer body read.
    public let maximumBodyBytes: Int

    let endpoint: String
    let token: (@Sendable () throws -> String)?
    let tlsConfiguration: TLSConfiguration?
    let observer: Observer?
    private let httpClient: HTTPClient
    private let ownsClient: Bool

    /// A client of the server at `baseURL` (`http` or `https`, a path prefix allowed).
    ///
    /// - Parameters:
    ///   - token: reads the bearer token, at each request; nil sends none.
    ///   - caFile: a PEM file of CA certificates trusted in addition to the system's.
    ///   - maximumConnections: connections kept to the server (queries beyond wait for one).
    ///   - httpClient: a client to share (its owner shuts it down); nil creates one on the
    ///     shared event loop group, which ``shutdown()`` ends.
    ///   - observer: told of every query's duration and failure kind.
    /// - Throws: ``ConfigurationError`` for an unusable URL or CA file.
    public init(
        baseURL: String, timeout: Swift.Duration = .seconds(10), token: (@Sendable () throws -> String)? = nil,
        caFile: String? = nil, maximumConnections: Int = 16, maximumBodyBytes: Int = defaultMaximumBodyBytes,
        httpClient: HTTPClient? = nil, observer: Observer? = nil
    ) throws(ConfigurationError) {
        var trimmed = baseURL
        while trimmed.hasSuffix("/") { trimmed.removeLast() }
        guard let components = URLComponents(string: trimmed), let scheme = components.scheme?.lowercased(),
              scheme == "http" || scheme == "https", let host = components.host, !host.isEmpty,
              components.query == nil, components.fragment == nil, components.user == nil, components.password == nil
        else {
            throw ConfigurationError("expected an http:// or https:// URL with a host (and an optional path, no query), found '\(baseURL)'")
        }
        self.baseURL = trimmed
        self.endpoint = trimmed + "/api/v1/query"
        self.timeout = timeout
        self.token = token
        self.maximumBodyBytes = maximumBodyBytes
        self.observer = observer
        if let caFile {
            let certificates: [NIOSSLCertificate]
            do {
                certificates = try NIOSSLCertificate.fromPEMFile(caFile)
            } catch {
                throw ConfigurationError("cannot read PEM certificates from \(caFile): \(error)")
            }
            guard !certificates.isEmpty else { throw ConfigurationError("\(caFile) holds no PEM certificate") }
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.additionalTrustRoots = [.certificates(certificates)]
            tlsConfiguration = tls
        } else {
            tlsConfiguration = nil
        }
        if let httpClient {
            self.httpClient = httpClient
            ownsClient = false
        } else {
            var configuration = HTTPClient.Configuration()
            configuration.redirectConfiguration = .disallow  // the token goes to baseURL only
            configuration.timeout.connect = .nanoseconds(Self.nanoseconds(timeout))
            configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = max(1, maximumConnections)
            // A refused connection fails the query at once (an Error verdict, retried next pass)
            // rather than being retried with backoff until the deadline.
            configuration.connectionPool.retryConnectionEstablishment = false
            configuration.httpVersion = .http1Only
            self.httpClient = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
            ownsClient = true
        }
    }

    /// Ends the client's connections; a shared client given to `init` is left to its owner.
    public func shutdown() async throws {
        if ownsClient { try await httpClient.shutdown() }
    }

    /// Evaluates `query` at `time` (seconds since the epoch; nil: the server's now).
    public func query(_ query: String, at time: Double?) async throws(MetricQueryError) -> QueryResult {
        let clock = ContinuousClock()
        let start = clock.now
        do {
            let result = try await perform(query, at: time)
            observer?(clock.now - start, nil)
            return result
        } catch {
            observer?(clock.now - start, error.kind)
            throw error
        }
    }

    private func perform(_ query: String, at time: Double?) async throws(MetricQueryError) -> QueryResult {
        let secret = try readToken()
        let request = makeRequest(query, at: time, token: secret)
        let answer: (status: HTTPResponseStatus, body: ByteBuffer)
        do {
            answer = try await exchange(request)
        } catch {
            throw transportError(error, token: secret)
        }
        return try decode(status: answer.status, body: answer.body, token: secret)
    }

    /// Sends `request` and reads the answer within ``timeout``: AsyncHTTPClient's deadline
    /// covers only the response head, so the body is raced against a timer too.
    private func exchange(_ request: HTTPClientRequest) async throws -> (status: HTTPResponseStatus, body: ByteBuffer) {
        let nanoseconds = Self.nanoseconds(timeout)
        let limit = maximumBodyBytes
        let client = httpClient
        return try await withThrowingTaskGroup(of: (status: HTTPResponseStatus, body: ByteBuffer)?.self) { group in
            group.addTask {
                let response = try await client.execute(request, deadline: .now() + .nanoseconds(nanoseconds))
                if let length = response.headers.first(name: "content-length").flatMap(Int.init), length > limit {
                    throw NIOTooManyBytesError(maxBytes: limit)
                }
                return (response.status, try await response.body.collect(upTo: limit))
            }
            group.addTask {
                try await Task.sleep(for: .nanoseconds(nanoseconds))
                return nil
            }
            defer { group.cancelAll() }
            guard let answer = try await group.next() ?? nil else { throw HTTPClientError.deadlineExceeded }
            return answer
        }
    }

    private func readToken() throws(MetricQueryError) -> String? {
        guard let token else { return nil }
        let secret: String
        do {
            secret = try token()
        } catch {
            // The reader's errors name the config field, never the value.
            throw MetricQueryError(.unauthorized, "cannot read the Prometheus bearer token: \(error)")
        }
        guard !secret.isEmpty, !secret.unicodeScalars.contains(where: { $0.value < 0x21 || $0.value == 0x7F }) else {
            throw MetricQueryError(.unauthorized, "the Prometheus bearer token is empty or holds spaces or control characters")
        }
        return secret
    }

    static func nanoseconds(_ duration: Swift.Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? .max : scaled.addingReportingOverflow(attoseconds / 1_000_000_000).partialValue
    }

    /// A client that cannot be set up: the reason, naming the value (never a token).
    public struct ConfigurationError: Error, Sendable, CustomStringConvertible {
        /// What is wrong and what is expected.
        public var description: String

        init(_ description: String) { self.description = description }
    }
}
