import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import NIOHTTP1
import SluiceConfig
import SluiceCore

/// Artifacts in S3 or an S3-compatible store (MinIO, Ceph, R2, moto): `s3://bucket/key` is
/// one object (HEAD), `s3://bucket/prefix/` every object under the prefix (ListObjectsV2).
/// Requests are signed with ``SigV4Signer``; credentials come from ``AWSCredentials/resolve(environment:profile:)``.
/// Downloads stream chunk by chunk into the sink, resume with `Range` guarded by `If-Match`,
/// and fail after `timeout` without progress.
public struct S3Source: ArtifactSource {
    /// `max-keys` of each listing page; nil lets the server choose (1000 on AWS).
    public var listPageSize: Int?
    /// Most objects a prefix may hold; a larger listing fails with `.tooLarge`.
    public var maxListedKeys = 100_000

    private let endpoint: Result<S3Endpoint, ArtifactFetchError>
    private let credentials: Result<AWSCredentials, ArtifactFetchError>
    private let region: String
    private let timeout: TimeAmount
    private let owner: HTTPSClientOwner
    private var client: HTTPClient { owner.client }

    /// Reads the region, endpoint and credentials now. Throws only for a bad
    /// `config.endpoint`; missing credentials or a bad endpoint from the environment fail
    /// the first S3 fetch instead, so a controller without S3 artifacts is unaffected.
    public init(config: ArtifactsConfig.S3, timeout: SluiceCore.Duration, environment: [String: String], client: HTTPClient) throws {
        let region = config.region ?? [environment["AWS_REGION"], environment["AWS_DEFAULT_REGION"]].compactMap({ $0 }).first(where: { !$0.isEmpty })
            ?? AWSCredentials.profileRegion(environment: environment, profile: config.profile) ?? "us-east-1"
        self.region = region
        self.timeout = .milliseconds(max(1, timeout.milliseconds))
        // Its own client on the given one's event loops: a refused connection fails at once
        // as a connection error, rather than being retried until the deadline and reported as
        // a timeout or as the refusal depending on a race (the fetcher retries with backoff).
        var configuration = HTTPClient.Configuration()
        configuration.timeout.connect = self.timeout
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.decompression = .disabled  // the bytes as stored: they are hashed
        owner = HTTPSClientOwner(HTTPClient(eventLoopGroup: client.eventLoopGroup, configuration: configuration))
        do {
            endpoint = .success(try S3Endpoint(config: config, region: region, environment: environment))
        } catch let error as ArtifactFetchError {
            if config.endpoint != nil { throw error }
            endpoint = .failure(error)
        }
        do {
            credentials = .success(try AWSCredentials.resolve(environment: environment, profile: config.profile))
        } catch let error as ArtifactFetchError {
            credentials = .failure(error)
        }
    }

    // MARK: - Resolve

    /// Ends this source's connections, after the last download (later calls do nothing).
    /// A source released without it shuts its client down in the background.
    public func shutdown() async throws {
        try await owner.shutdown()
    }

    public func resolve(_ reference: ArtifactReference) async throws -> ResolvedArtifact {
        guard case .s3(let bucket, let key) = reference else {
            throw ArtifactFetchError(.unsupported, "the S3 source fetches only s3:// artifacts")
        }
        if key.isEmpty || key.hasSuffix("/") {
            return try await list(reference, bucket: bucket, prefix: key)
        }
        let display = Self.display(bucket, key)
        let expecting = "the object's size and ETag"
        let response: HTTPClientResponse
        do {
            response = try await perform(.HEAD, bucket: bucket, key: key, display: display, expecting: expecting) { head, _ in head }
        } catch let error as ArtifactFetchError where error.kind == .unauthorized || error.kind == .badResponse {
            // A HEAD answer has no body to say why: a one-byte GET brings S3's error code.
            try await perform(.GET, bucket: bucket, key: key, headers: [("Range", "bytes=0-0")], display: display, expecting: expecting) { _, body in
                for try await _ in body.body {}
            }
            throw error
        }
        guard let sizeText = response.headers.first(name: "content-length"), let size = Int64(sizeText), size >= 0 else {
            throw ArtifactFetchError(.badResponse, "S3 answered HEAD for \(display) without a valid Content-Length; expected the object's size")
        }
        let etag = response.headers.first(name: "etag")
        let file = ResolvedArtifact.File(path: "", location: "s3://\(bucket)/\(key)", size: size, etag: etag)
        return ResolvedArtifact(reference: reference, files: [file], fingerprint: Self.fingerprint(bucket: bucket, [(key, etag, size)]))
    }

    private func list(_ reference: ArtifactReference, bucket: String, prefix: String) async throws -> ResolvedArtifact {
        let display = Self.display(bucket, prefix)
        var files: [ResolvedArtifact.File] = []
        var entries: [(String, String?, Int64)] = []
        var token: String?
        var directories = Set<String>()
        repeat {
            var query = [("list-type", "2"), ("prefix", prefix)]
            if let listPageSize { query.append(("max-keys", String(listPageSize))) }
            if let token { query.append(("continuation-token", token)) }
            let body = try await perform(.GET, bucket: bucket, key: "", query: query, display: display, expecting: "a ListBucketResult") { _, body in
                try await Self.collect(body.body, upTo: 16 << 20, display: display)
            }
            guard let page = S3XML.listPage(body) else {
                throw ArtifactFetchError(.badResponse, "S3 answered the listing of \(display) with something that is not a ListBucketResult")
            }
            for object in page.objects {
                guard object.key.hasPrefix(prefix) else {
                    throw ArtifactFetchError(
                        .badResponse, "S3 listed '\(ArtifactFetchError.printable(object.key))' for \(display), which is not under the prefix")
                }
                entries.append((object.key, object.etag, object.size))
                // A key ending in "/" is a console-made "folder" marker, not a file.
                if object.key.hasSuffix("/") { continue }
                let path = try ResolvedArtifact.File.checkedPath(String(object.key.dropFirst(prefix.count)))
                files.append(.init(path: path, location: "s3://\(bucket)/\(object.key)", size: object.size, etag: object.etag))
                var parent = Substring(path)
                while let slash = parent.lastIndex(of: "/") {
                    parent = parent[..<slash]
                    directories.insert(String(parent))
                }
                guard entries.count <= maxListedKeys else {
                    throw ArtifactFetchError(.tooLarge, "\(display) holds more than \(maxListedKeys) objects; expected a prefix of at most \(maxListedKeys)")
                }
            }
            guard !page.isTruncated || page.nextContinuationToken != nil else {
                throw ArtifactFetchError(.badResponse, "S3 said the listing of \(display) is truncated but gave no continuation token")
            }
            token = page.isTruncated ? page.nextContinuationToken : nil
        } while token != nil
        guard !files.isEmpty else {
            throw ArtifactFetchError(.notFound, "no objects under \(display); expected at least one file under the prefix")
        }
        if let clash = files.first(where: { directories.contains($0.path) }) {
            throw ArtifactFetchError(
                .unsafePath, "\(display) lists '\(ArtifactFetchError.printable(clash.path))' both as a file and as a directory; nothing was written")
        }
        return ResolvedArtifact(reference: reference, files: files, fingerprint: Self.fingerprint(bucket: bucket, entries))
    }

    // MARK: - Download

    public func download(_ file: ResolvedArtifact.File, from offset: Int64, into sink: any ArtifactSink) async throws {
        guard file.location.hasPrefix("s3://"), let slash = file.location.dropFirst(5).firstIndex(of: "/") else {
            throw ArtifactFetchError(.unsupported, "'\(ArtifactFetchError.printable(file.location))' is not an s3:// object")
        }
        let bucket = String(file.location.dropFirst(5)[..<slash])
        let key = String(file.location[file.location.index(after: slash)...])
        let display = Self.display(bucket, key)
        if offset > 0, let size = file.size, offset >= size {
            guard offset == size else {
                throw ArtifactFetchError(.badResponse, "cannot resume \(display) at byte \(offset): the object has \(size) bytes")
            }
            return
        }
        var headers: [(String, String)] = []
        if offset > 0 { headers.append(("Range", "bytes=\(offset)-")) }
        if let etag = file.etag { headers.append(("If-Match", etag)) }
        try await perform(.GET, bucket: bucket, key: key, headers: headers, display: display, expecting: "the object's bytes") { head, body in
            var expected = head.headers.first(name: "content-length").flatMap { Int64($0) }
            if offset > 0, head.status == .ok {
                // The store ignored the range: take the whole object again.
                try await sink.restart()
            } else if offset > 0 {
                guard head.status == .partialContent, Self.rangeStart(head.headers.first(name: "content-range")) == offset else {
                    throw ArtifactFetchError(.badResponse, "S3 answered a request for \(display) from byte \(offset) with another range; expected bytes \(offset)-")
                }
            }
            if expected == nil, head.status == .ok { expected = file.size }
            var received: Int64 = 0
            for try await chunk in body.body {
                received += Int64(chunk.readableBytes)
                if let expected, received > expected {
                    throw ArtifactFetchError(.badResponse, "S3 sent more than the \(expected) bytes it announced for \(display)")
                }
                try await sink.write(chunk)
                body.activity.touch()
            }
            if let expected, received < expected {
                throw ArtifactFetchError(.connection, "the download of \(display) ended after \(received) of \(expected) bytes")
            }
        }
    }

    // MARK: - Requests

    /// What a handler gets besides the response head: the body and the idle timer it must touch.
    struct Body: Sendable {
        var body: HTTPClientResponse.Body
        var activity: S3Activity
    }

    /// Sends one signed request and runs `handle` on a 2xx answer (within the idle timeout);
    /// any other answer becomes an ``ArtifactFetchError`` from its status and error document.
    private func perform<T: Sendable>(
        _ method: HTTPMethod, bucket: String, key: String, query: [(String, String)] = [], headers extra: [(String, String)] = [],
        display: String, expecting: String, handle: @escaping @Sendable (HTTPClientResponse, Body) async throws -> T
    ) async throws -> T {
        let endpoint = try endpoint.get()
        let signer = SigV4Signer(credentials: try credentials.get(), region: region, service: "s3")
        let host = endpoint.hostHeader(bucket: bucket)
        let path = endpoint.path(bucket: bucket, key: key)
        let canonicalQuery = SigV4Signer.canonicalQuery(query)
        let signed = signer.sign(
            method: method.rawValue, host: host, path: path, query: query, headers: extra, payloadHash: SigV4Signer.emptyPayloadHash, date: Date())
        var request = HTTPClientRequest(url: "\(endpoint.scheme)://\(host)\(path)\(canonicalQuery.isEmpty ? "" : "?" + canonicalQuery)")
        request.method = method
        request.headers.add(name: "Host", value: host)
        for (name, value) in extra { request.headers.add(name: name, value: value) }
        for header in signed.headers { request.headers.add(name: header.name, value: header.value) }
        let client = client
        let request2 = request
        do {
            return try await withIdleTimeout(timeout) { activity in
                // The deadline covers connecting and waiting for the head; the idle timer the body.
                let response = try await client.executeRetryingClosedConnection(request2, deadline: .now() + timeout)
                activity.touch()
                guard (200..<300).contains(response.status.code) else {
                    let text = method == .HEAD ? Data() : (try? await Self.collect(response.body, upTo: 64 << 10, display: display)) ?? Data()
                    throw Self.failure(status: response.status, body: text, display: display, expecting: expecting)
                }
                return try await handle(response, Body(body: response.body, activity: activity))
            }
        } catch let error as ArtifactFetchError {
            throw error
        } catch is S3IdleTimeoutError {
            throw ArtifactFetchError(.timeout, "S3 did not answer for \(display) within \(timeout.nanoseconds / 1_000_000) ms; expected \(expecting)")
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw Self.transportFailure(error, display: display, expecting: expecting)
        }
    }

    /// An answer other than 2xx, by its error code when S3 sent one, else by its status.
    static func failure(status: HTTPResponseStatus, body: Data, display: String, expecting: String) -> ArtifactFetchError {
        let document = S3XML.error(body)
        let code = document?.code.flatMap(S3ErrorCode.init(rawValue:))
        let detail = [document?.code, document?.message].compactMap { $0 }.map(ArtifactFetchError.printable).joined(separator: ": ")
        let said = "S3 answered \(status.code)\(detail.isEmpty ? "" : " (\(detail))") for \(display)"
        let kind: ArtifactFetchError.Kind
        switch code {
        case .noSuchKey, .noSuchBucket: kind = .notFound
        case .accessDenied, .invalidAccessKeyId, .signatureDoesNotMatch, .expiredToken, .invalidToken: kind = .unauthorized
        case .slowDown, .internalError, .serviceUnavailable: kind = .unavailable
        case .preconditionFailed: kind = .badResponse
        case nil:
            switch status.code {
            case 404: kind = .notFound
            case 401, 403: kind = .unauthorized
            case 429, 500...599: kind = .unavailable
            default: kind = .badResponse
            }
        }
        switch kind {
        case .unauthorized:
            return ArtifactFetchError(kind, "\(said): the credentials were refused; expected access to \(expecting)")
        case _ where code == .preconditionFailed || (code == nil && status.code == 412):
            return ArtifactFetchError(kind, "\(said): the object changed since it was listed; expected \(expecting)")
        default:
            return ArtifactFetchError(kind, "\(said); expected \(expecting)")
        }
    }

    /// A failure below HTTP: a timeout, or a refused or broken connection.
    private static func transportFailure(_ error: any Error, display: String, expecting: String) -> ArtifactFetchError {
        if let client = error as? HTTPClientError,
           [.connectTimeout, .deadlineExceeded, .readTimeout, .writeTimeout].contains(client)
        {
            return ArtifactFetchError(.timeout, "the request for \(display) timed out (\(client)); expected \(expecting)")
        }
        return ArtifactFetchError(.connection, "the connection to S3 for \(display) failed: \(ArtifactFetchError.printable(String(describing: error)))")
    }

    private static func collect(_ body: HTTPClientResponse.Body, upTo limit: Int, display: String) async throws -> Data {
        var data = Data()
        for try await chunk in body {
            guard data.count + chunk.readableBytes <= limit else {
                throw ArtifactFetchError(.badResponse, "S3 sent more than \(limit) bytes of XML for \(display)")
            }
            data.append(contentsOf: chunk.readableBytesView)
        }
        return data
    }

    /// START of `bytes START-END/TOTAL`.
    private static func rangeStart(_ header: String?) -> Int64? {
        guard let header, header.hasPrefix("bytes "), let dash = header.firstIndex(of: "-") else { return nil }
        return Int64(header[header.index(header.startIndex, offsetBy: 6)..<dash])
    }

    static func display(_ bucket: String, _ key: String) -> String {
        ArtifactRedaction.display("s3://\(bucket)/\(ArtifactFetchError.printable(key))")
    }

    /// sha256 over the sorted (key, ETag, size) of every listed object: equal when nothing changed.
    static func fingerprint(bucket: String, _ entries: [(String, String?, Int64)]) -> String {
        var hasher = SHA256()
        hasher.update(data: Data("sluice-s3-v1 \(bucket)\n".utf8))
        for (key, etag, size) in entries.sorted(by: { Array($0.0.utf8).lexicographicallyPrecedes(Array($1.0.utf8)) }) {
            hasher.update(data: Data("\(key)\t\(etag ?? "")\t\(size)\n".utf8))
        }
        return "sha256:" + SigV4Signer.hex(hasher.finalize())
    }
}

/// The S3 error codes Sluice tells apart (the `<Code>` of an error document).
enum S3ErrorCode: String {
    case noSuchKey = "NoSuchKey"
    case noSuchBucket = "NoSuchBucket"
    case accessDenied = "AccessDenied"
    case invalidAccessKeyId = "InvalidAccessKeyId"
    case signatureDoesNotMatch = "SignatureDoesNotMatch"
    case expiredToken = "ExpiredToken"
    case invalidToken = "InvalidToken"
    case slowDown = "SlowDown"
    case internalError = "InternalError"
    case serviceUnavailable = "ServiceUnavailable"
    case preconditionFailed = "PreconditionFailed"
}
