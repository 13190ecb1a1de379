import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import SluiceCore

/// An https URL split into what is sent and what is shown: user info becomes a Basic
/// Authorization for the URL's own host, and only the redacted form reaches a message.
struct HTTPSTarget {
    /// The URL requested: without user info or fragment.
    var url: URL
    /// The URL as it may be shown (``ArtifactRedaction/display(_:)``).
    var display: String
    /// `Basic …` from the URL's user info, or nil.
    var authorization: String?
    /// Where `authorization` may go.
    var origin: Origin

    /// Scheme, host and port: a redirect to another origin never carries the Authorization.
    struct Origin: Hashable {
        var host: String
        var port: Int

        init?(_ url: URL) {
            guard url.scheme?.lowercased() == "https", let host = url.host?.lowercased(), !host.isEmpty else { return nil }
            self.host = host
            port = url.port ?? 443
        }
    }

    init(_ text: String) throws {
        display = ArtifactRedaction.display(text)
        guard var components = URLComponents(string: text), components.scheme?.lowercased() == "https",
              let host = components.host, !host.isEmpty
        else {
            throw ArtifactFetchError(.unsupported, "\(display) is not an https:// URL with a host")
        }
        if let user = components.user {
            let secret = "\(user):\(components.password ?? "")"
            authorization = "Basic " + Data(secret.utf8).base64EncodedString()
        }
        components.user = nil
        components.password = nil
        components.fragment = nil
        guard let url = components.url, let origin = Origin(url) else {
            throw ArtifactFetchError(.unsupported, "\(display) is not an https:// URL with a host")
        }
        self.url = url
        self.origin = origin
    }
}

extension HTTPSSource {
    /// Sends `method` to `target`, following at most ``maximumRedirects`` redirects: https
    /// only, no loops, and the Authorization only to the target's own origin. Returns the
    /// first answer that is not a redirect, its body unread.
    func exchange(_ method: HTTPMethod, _ target: HTTPSTarget, headers: [(String, String)] = []) async throws -> HTTPClientResponse {
        var current = target.url
        var visited: Set<String> = [current.absoluteString]
        for hop in 0...Self.maximumRedirects {
            var request = HTTPClientRequest(url: current.absoluteString)
            request.method = method
            for (name, value) in headers { request.headers.add(name: name, value: value) }
            if let authorization = target.authorization, HTTPSTarget.Origin(current) == target.origin {
                request.headers.add(name: "Authorization", value: authorization)
            }
            let response: HTTPClientResponse
            do {
                response = try await client.executeRetryingClosedConnection(request, deadline: .now() + timeout)
            } catch {
                throw transportError(error, target, during: "waiting for the answer")
            }
            guard [301, 302, 303, 307, 308].contains(response.status.code) else { return response }
            guard hop < Self.maximumRedirects else {
                throw ArtifactFetchError(.badResponse, "\(target.display) redirects more than \(Self.maximumRedirects) times; refused")
            }
            guard let location = response.headers.first(name: "location"),
                  var next = URLComponents(string: location).flatMap({ $0.url(relativeTo: current)?.absoluteURL }).flatMap({ URLComponents(url: $0, resolvingAgainstBaseURL: true) })
            else {
                throw ArtifactFetchError(.badResponse, "\(target.display) answered \(response.status.code) without a usable Location")
            }
            let shown = ArtifactRedaction.display(next.string ?? "")
            guard next.scheme?.lowercased() == "https" else {
                throw ArtifactFetchError(.badResponse, "\(target.display) redirects to \(shown), which is not https; refused (plain http lets anything on the path swap the model)")
            }
            // User info in a Location is never used: credentials come from the manifest's URL only.
            next.user = nil
            next.password = nil
            next.fragment = nil
            guard let url = next.url, HTTPSTarget.Origin(url) != nil else {
                throw ArtifactFetchError(.badResponse, "\(target.display) redirects to \(shown), which names no host")
            }
            guard visited.insert(url.absoluteString).inserted else {
                throw ArtifactFetchError(.badResponse, "\(target.display) redirects in a loop (back to \(shown)); refused")
            }
            current = url
        }
        throw ArtifactFetchError(.badResponse, "\(target.display) redirects more than \(Self.maximumRedirects) times; refused")
    }

    /// What a failure without a usable answer means; never quotes the URL unredacted.
    func transportError(_ error: any Error, _ target: HTTPSTarget, during step: String) -> ArtifactFetchError {
        let seconds = Double(timeout.nanoseconds) / 1e9
        switch error {
        case let error as ArtifactFetchError:
            return error
        case let error as HTTPClientError:
            switch error {
            case .deadlineExceeded, .readTimeout, .writeTimeout, .connectTimeout, .getConnectionFromPoolTimeout, .tlsHandshakeTimeout:
                return ArtifactFetchError(.timeout, "\(target.display): no progress for \(seconds)s while \(step)")
            case .cancelled:
                return ArtifactFetchError(.timeout, "\(target.display): cancelled while \(step)")
            case .remoteConnectionClosed, .bodyLengthMismatch:
                return ArtifactFetchError(.connection, "\(target.display) closed the connection while \(step)")
            default:
                return ArtifactFetchError(.badResponse, "\(target.display): \(ArtifactFetchError.printable(String(describing: error))) while \(step)")
            }
        case let error as NIOSSLError:
            switch error {
            case .handshakeFailed(let reason):
                return tlsError(Self.reasons(reason), target)
            case .uncleanShutdown:
                // No close_notify: the body may have been cut (by the server or on the path).
                return ArtifactFetchError(.connection, "\(target.display) closed the connection without ending TLS cleanly while \(step)")
            default:
                return ArtifactFetchError(.connection, "TLS with \(target.display) failed (\(ArtifactFetchError.printable(String(describing: error)))) while \(step)")
            }
        case let error as BoringSSLError:
            return tlsError(Self.reasons(error), target)
        case is CancellationError:
            return ArtifactFetchError(.timeout, "\(target.display): cancelled while \(step)")
        default:
            // Refused, reset, a name that does not resolve, a broken HTTP stream.
            return ArtifactFetchError(.connection, "the connection to \(target.display) failed (\(ArtifactFetchError.printable(String(describing: error)))) while \(step)")
        }
    }

    private func tlsError(_ text: String, _ target: HTTPSTarget) -> ArtifactFetchError {
        ArtifactFetchError(
            .connection,
            "TLS with \(target.display) failed (\(ArtifactFetchError.printable(text))); is the server's certificate signed by a CA in the system's roots or in controller.artifacts.https.caFile?")
    }

    /// BoringSSL's reasons, short: `CERTIFICATE_VERIFY_FAILED` rather than a code, a library
    /// name and a source path.
    static func reasons(_ error: BoringSSLError) -> String {
        guard case .sslError(let stack) = error, !stack.isEmpty else { return String(describing: error) }
        return stack.map { entry in
            let text = String(describing: entry)
            let head = text.range(of: " at ").map { text[..<$0.lowerBound] } ?? Substring(text)
            return head.split(separator: ":").last.map(String.init) ?? String(head)
        }.joined(separator: ", ")
    }
}
