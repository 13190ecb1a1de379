import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import SluiceConfig
import SluiceCore

/// Fetches `https://` artifacts: one file, or a `.tar.gz`/`.zip` archive that the cache
/// unpacks into a directory (``ArchiveUnpacker``).
///
/// - Only https, with the system's roots plus `controller.artifacts.https.caFile`.
/// - Redirects are followed here, not by AsyncHTTPClient: at most 5, https only, and the
///   Authorization made from a URL's user info goes to the URL's own host only.
/// - Downloads resume with `Range` guarded by `If-Range` and a strong ETag; without one a
///   retried download starts over (mixing two versions of a file is never an option).
/// - Every URL shown goes through ``ArtifactRedaction/display(_:)`` (presigned queries).
///
/// It runs its own `HTTPClient` on the given client's event loops, always: TLS trust and
/// redirect handling are per client, and the shared client may follow redirects itself
/// (AsyncHTTPClient's default, which cannot be read back). Call ``shutdown()`` when done.
public final class HTTPSSource: ArtifactSource {
    /// Redirects followed before giving up.
    public static let maximumRedirects = 5

    private let owner: HTTPSClientOwner
    var client: HTTPClient { owner.client }
    /// How long a request may go without progress (the head, then between body chunks).
    let timeout: TimeAmount

    /// A source trusting the system's roots and `config.caFile` (PEM; read now). Throws
    /// ``ArtifactFetchError`` (`.io`) for an unreadable or empty CA file.
    public init(config: ArtifactsConfig.HTTPS, timeout: SluiceCore.Duration, client: HTTPClient) throws {
        var tls = TLSConfiguration.makeClientConfiguration()
        if let caFile = config.caFile {
            let certificates: [NIOSSLCertificate]
            do {
                certificates = try NIOSSLCertificate.fromPEMFile(caFile)
            } catch {
                throw ArtifactFetchError(.io, "controller.artifacts.https.caFile: cannot read PEM certificates from \(caFile): \(error)")
            }
            guard !certificates.isEmpty else {
                throw ArtifactFetchError(.io, "controller.artifacts.https.caFile: \(caFile) holds no PEM certificate")
            }
            tls.additionalTrustRoots = [.certificates(certificates)]
        }
        self.timeout = .milliseconds(max(1, timeout.milliseconds))
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
        configuration.redirectConfiguration = .disallow  // followed in `exchange`, by our rules
        configuration.timeout.connect = self.timeout
        configuration.timeout.read = self.timeout  // idle: between chunks of a body too
        // A refused connection or a rejected certificate fails at once, with its reason,
        // rather than being retried silently until the deadline (the fetcher retries).
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.decompression = .disabled  // the bytes as served: they are hashed
        owner = HTTPSClientOwner(HTTPClient(eventLoopGroup: client.eventLoopGroup, configuration: configuration))
    }

    /// Ends this source's connections, after the last download (later calls do nothing).
    /// A source released without it shuts its client down in the background.
    public func shutdown() async throws {
        try await owner.shutdown()
    }

    public func resolve(_ reference: ArtifactReference) async throws -> ResolvedArtifact {
        guard case .https(let url) = reference else {
            throw ArtifactFetchError(.unsupported, "the https source fetches only https:// artifacts")
        }
        let target = try HTTPSTarget(url)
        var response = try await exchange(.HEAD, target)
        if [403, 405, 501].contains(response.status.code) {
            // Servers that refuse HEAD (or presigned URLs signed for GET only): the first byte.
            response = try await exchange(.GET, target, headers: [("Range", "bytes=0-0")])
        }
        try check(response.status, target)
        let head = response.headers
        let size: Int64?
        if response.status == .partialContent {
            size = try ContentRange(head.first(name: "content-range"), target: target)?.total
        } else {
            size = head.first(name: "content-length").flatMap { Int64($0) }.flatMap { $0 >= 0 ? $0 : nil }
        }
        let etag = Self.strongETag(head.first(name: "etag"))
        let file = ResolvedArtifact.File(path: "", location: url, size: size, etag: etag)
        return ResolvedArtifact(reference: reference, files: [file], archive: ArchiveFormat(url: url), fingerprint: etag.map { "etag \($0)" })
    }

    public func download(_ file: ResolvedArtifact.File, from offset: Int64, into sink: any ArtifactSink) async throws {
        let target = try HTTPSTarget(file.location)
        var headers: [(String, String)] = []
        var start: Int64 = 0
        if offset > 0, let size = file.size, offset >= size {
            // Every byte arrived (under one ETag) before the interruption: nothing to ask for.
            // Past the size, the sink holds something else: start over.
            if offset == size, file.etag != nil { return }
            try await sink.restart()
        } else if offset > 0, let etag = file.etag {
            headers = [("Range", "bytes=\(offset)-"), ("If-Range", etag)]
            start = offset
        } else if offset > 0 {
            try await sink.restart()  // no strong validator: never splice two versions
        }
        let response = try await exchange(.GET, target, headers: headers)
        try check(response.status, target)
        if response.status == .partialContent {
            guard start > 0, let range = try ContentRange(response.headers.first(name: "content-range"), target: target), range.first == start else {
                throw ArtifactFetchError(.badResponse, "\(target.display) answered 206 with a Content-Range that is not bytes \(start)-…")
            }
        } else if start > 0 {
            try await sink.restart()  // 200: the server sends the whole (possibly new) file
            start = 0
        }
        var expected: Int64? = response.headers.first(name: "content-length").flatMap { Int64($0) }
        if expected == nil, let size = file.size { expected = size - start }
        var received: Int64 = 0
        do {
            for try await chunk in response.body {
                received += Int64(chunk.readableBytes)
                if let expected, received > expected {
                    throw ArtifactFetchError(.badResponse, "\(target.display) sent more than the \(expected) bytes it announced")
                }
                try await sink.write(chunk)
            }
        } catch let error as ArtifactFetchError {
            throw error
        } catch {
            throw transportError(error, target, during: "reading the body after \(start + received) bytes")
        }
        if let expected, received < expected {
            throw ArtifactFetchError(.connection, "\(target.display) ended the body after \(start + received) of \(start + expected) bytes; resuming")
        }
    }

    /// The ETag when it is strong (`"…"`, not `W/"…"`): only those may guard a resumed range.
    static func strongETag(_ value: String?) -> String? {
        guard let value, value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2, value.utf8.count <= 256,
              !value.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F })
        else { return nil }
        return value
    }

    /// Throws the error a non-success status means.
    func check(_ status: HTTPResponseStatus, _ target: HTTPSTarget) throws {
        switch status.code {
        case 200, 206:
            return
        case 404, 410:
            throw ArtifactFetchError(.notFound, "\(target.display) answered \(status.code) \(status.reasonPhrase): nothing there")
        case 401, 403:
            throw ArtifactFetchError(.unauthorized, "\(target.display) answered \(status.code) \(status.reasonPhrase): credentials missing, expired or refused")
        case 429, 500..<600:
            throw ArtifactFetchError(.unavailable, "\(target.display) answered \(status.code) \(status.reasonPhrase); retrying later")
        default:
            throw ArtifactFetchError(.badResponse, "\(target.display) answered \(status.code) \(status.reasonPhrase), expected 200 or 206")
        }
    }
}

/// `Content-Range: bytes FIRST-LAST/TOTAL` of a 206 answer.
struct ContentRange {
    var first: Int64
    var last: Int64
    var total: Int64?

    /// Nil when `value` is nil; throws `.badResponse` when it is malformed.
    init?(_ value: String?, target: HTTPSTarget) throws {
        guard let value else { return nil }
        let bad = ArtifactFetchError(.badResponse, "\(target.display) answered a malformed Content-Range '\(ArtifactFetchError.printable(value))'")
        guard value.hasPrefix("bytes ") else { throw bad }
        let parts = value.dropFirst(6).split(separator: "/", maxSplits: 1)
        let bounds = parts.first?.split(separator: "-", maxSplits: 1) ?? []
        guard parts.count == 2, bounds.count == 2, let first = Int64(bounds[0]), let last = Int64(bounds[1]), first >= 0, last >= first else { throw bad }
        self.first = first
        self.last = last
        if parts[1] == "*" {
            total = nil
        } else {
            guard let total = Int64(parts[1]), total > last else { throw bad }
            self.total = total
        }
    }
}
