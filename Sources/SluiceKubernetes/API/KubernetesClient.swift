import AsyncHTTPClient
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOSSL

/// Talks to one Kubernetes API server over HTTPS: server-side apply, get, list, watch,
/// create, replace and delete of namespaced objects, and API discovery.
///
/// TLS trusts the credentials' CA (or the system roots), presents the client certificate when
/// the credentials hold one, and skips verification only when the kubeconfig says
/// `insecure-skip-tls-verify`. A bearer token is read through its closure at every request, so
/// a rotated service-account token is picked up; it never appears in a log or an error.
///
/// Safe to call concurrently. Call ``shutdown()`` once when done: AsyncHTTPClient stops a
/// debug build whose client is released while still running.
public final class KubernetesClient: Sendable {
    /// The largest answer read (32 MiB); lists are paged well below it.
    static let maximumBodyBytes = 32 << 20
    /// Items asked for per list page.
    static let pageSize = 500

    /// The API server's base URL, without a trailing slash.
    public let server: String
    /// How long one request may take, end to end (a watch stream excepted).
    let timeout: TimeAmount
    let logger: Logger
    let token: (@Sendable () throws -> String)?
    let httpClient: HTTPClient
    private let requests = NIOLockedValueBox(0)

    /// A client of the server the credentials name.
    ///
    /// - Throws: ``KubernetesError`` (`.unreachable`) for a server address that is not an
    ///   http(s) URL or for CA, certificate or key data that is not PEM.
    public init(credentials: KubernetesCredentials, logger: Logger, timeout: TimeAmount = .seconds(15)) throws(KubernetesError) {
        server = try Self.baseURL(credentials.server)
        self.timeout = timeout
        self.logger = logger
        if case .bearerToken(let read) = credentials.authentication { token = read } else { token = nil }
        let tls = try Self.tlsConfiguration(credentials, logger: logger)
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
        configuration.redirectConfiguration = .disallow  // the token goes to the server only
        configuration.timeout.connect = timeout
        configuration.httpVersion = .http1Only
        // A refused connection or a failed TLS handshake fails the call at once with its reason
        // (the controller retries on its next pass) rather than being retried until the timeout.
        configuration.connectionPool.retryConnectionEstablishment = false
        // Each watch holds a connection; leave room for requests beside them.
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 32
        httpClient = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    /// HTTP requests sent so far, retries included ("requests per pass").
    public var requestCount: Int { requests.withLockedValue { $0 } }

    /// Ends the client's connections and open watches.
    public func shutdown() async {
        do {
            try await httpClient.shutdown()
        } catch {
            logger.debug("Kubernetes client shutdown: \(error)")
        }
    }

    func countRequest() { requests.withLockedValue { $0 += 1 } }

    /// `server` without trailing slashes, when it is an http(s) URL with a host and no query.
    static func baseURL(_ server: String) throws(KubernetesError) -> String {
        var trimmed = server
        while trimmed.hasSuffix("/") { trimmed.removeLast() }
        let lower = trimmed.lowercased()
        let rest: Substring
        if lower.hasPrefix("https://") {
            rest = trimmed.dropFirst(8)
        } else if lower.hasPrefix("http://") {
            rest = trimmed.dropFirst(7)
        } else {
            throw KubernetesError(.unreachable, "expected the API server address as an https:// URL, found '\(Self.quoted(server))'")
        }
        guard !rest.isEmpty, !rest.hasPrefix("/"), !rest.contains(where: { "?#@ ".contains($0) || $0.isNewline }) else {
            throw KubernetesError(.unreachable, "expected the API server address as an https:// URL with a host (no query, user or spaces), found '\(Self.quoted(server))'")
        }
        return trimmed
    }

    /// The TLS settings the credentials call for.
    static func tlsConfiguration(_ credentials: KubernetesCredentials, logger: Logger) throws(KubernetesError) -> TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        if let pem = credentials.certificateAuthorityPEM {
            let roots = try certificates(pem, what: "certificate-authority data")
            tls.trustRoots = .certificates(roots)
        }
        if case .clientCertificate(let certificatePEM, let keyPEM) = credentials.authentication {
            tls.certificateChain = try certificates(certificatePEM, what: "client-certificate data").map { .certificate($0) }
            do {
                tls.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: keyPEM, format: .pem))
            } catch {
                // The key's bytes never go into the message.
                throw KubernetesError(.unreachable, "the client-key data is not a PEM private key")
            }
        }
        if credentials.insecureSkipTLSVerify {
            logger.warning("TLS verification of \(credentials.server) is off (insecure-skip-tls-verify): anyone on the path can impersonate the API server")
            tls.certificateVerification = .none
        }
        return tls
    }

    private static func certificates(_ pem: [UInt8], what: String) throws(KubernetesError) -> [NIOSSLCertificate] {
        let parsed: [NIOSSLCertificate]
        do {
            parsed = try NIOSSLCertificate.fromPEMBytes(pem)
        } catch {
            throw KubernetesError(.unreachable, "the \(what) is not PEM certificates")
        }
        guard !parsed.isEmpty else { throw KubernetesError(.unreachable, "the \(what) holds no PEM certificate") }
        return parsed
    }
}
