import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import NIOHTTP1
import SluiceArtifacts
import SluiceConfig
import SluiceCore
import SluiceTestSupport

/// Two moto_servers per test process. `signed`: an IAM user allowed s3:* and authentication
/// on, so every request is signature-checked by moto. `open`: no authentication, for
/// listings under a prefix: moto 5.2 recomputes signatures over the *decoded* path and
/// query (werkzeug's uri_to_iri), so a correctly signed `prefix=a%2F` or a key with a space
/// or `+` is refused with SignatureDoesNotMatch — botocore's own requests (`aws s3api
/// list-objects-v2 --prefix a/`) are refused the same way.
actor S3Fixture {
    static let shared = S3Fixture()

    struct Ready: Sendable {
        var moto: MotoServer
        var credentials: AWSCredentials
    }

    private var signedServer: Task<Ready, any Error>?
    private var openServer: Task<Ready, any Error>?

    /// The signature-checking server, started on first use.
    func signed() async throws -> Ready {
        if let signedServer { return try await signedServer.value }
        let task = Task { try await Self.startSigned() }
        signedServer = task
        return try await task.value
    }

    /// The server without authentication, started on first use.
    func open() async throws -> Ready {
        if let openServer { return try await openServer.value }
        let task = Task { Ready(moto: try await MotoServer(), credentials: AWSCredentials(accessKeyId: "AKIAOPEN", secretAccessKey: "open-secret")) }
        openServer = task
        return try await task.value
    }

    private static func startSigned() async throws -> Ready {
        let moto = try await MotoServer()
        // Before authentication is on, moto accepts any key: create the real one.
        let bootstrap = AWSCredentials(accessKeyId: "AKIDBOOTSTRAP", secretAccessKey: "bootstrap")
        _ = try await iam(moto, bootstrap, ["Action": "CreateUser", "UserName": "sluice"])
        let created = try await iam(moto, bootstrap, ["Action": "CreateAccessKey", "UserName": "sluice"])
        guard let id = element("AccessKeyId", in: created), let secret = element("SecretAccessKey", in: created) else {
            throw FixtureError(message: "moto CreateAccessKey answered \(created)")
        }
        let policy = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#
        _ = try await iam(moto, bootstrap, ["Action": "PutUserPolicy", "UserName": "sluice", "PolicyName": "all", "PolicyDocument": policy])
        try await moto.enableAuthentication()
        return Ready(moto: moto, credentials: AWSCredentials(accessKeyId: id, secretAccessKey: secret))
    }

    /// One IAM query-API call (signed; moto routes it to IAM by the credential scope).
    private static func iam(_ moto: MotoServer, _ credentials: AWSCredentials, _ parameters: [String: String]) async throws -> String {
        let body = (parameters.merging(["Version": "2010-05-08"]) { a, _ in a })
            .map { "\(SigV4Signer.uriEncode($0.key, keepSlash: false))=\(SigV4Signer.uriEncode($0.value, keepSlash: false))" }
            .joined(separator: "&")
        let (status, text) = try await send(
            moto, credentials, service: "iam", method: .POST, path: "/", headers: [("Content-Type", "application/x-www-form-urlencoded")],
            body: Data(body.utf8), signPayload: true)
        guard status == 200 else { throw FixtureError(message: "moto IAM \(parameters["Action"] ?? "") answered \(status): \(text)") }
        return text
    }

    private static func element(_ name: String, in text: String) -> String? {
        guard let start = text.range(of: "<\(name)>"), let end = text.range(of: "</\(name)>", range: start.upperBound..<text.endIndex) else { return nil }
        return String(text[start.upperBound..<end.lowerBound])
    }

    /// A signed request to moto; returns the status and body text.
    static func send(
        _ moto: MotoServer, _ credentials: AWSCredentials, service: String = "s3", method: HTTPMethod, path: String,
        query: [(String, String)] = [], headers: [(String, String)] = [], body: Data = Data(), signPayload: Bool = false
    ) async throws -> (UInt, String) {
        let signer = SigV4Signer(credentials: credentials, region: "us-east-1", service: service)
        let host = "127.0.0.1:\(moto.port)"
        let hash = signPayload || service != "s3" ? SHA256.hash(data: body).map { String(format: "%02x", $0) }.joined() : SigV4Signer.unsignedPayload
        let signed = signer.sign(method: method.rawValue, host: host, path: path, query: query, headers: headers, payloadHash: hash, date: Date())
        let queryText = SigV4Signer.canonicalQuery(query)
        var request = HTTPClientRequest(url: "\(moto.baseURL)\(path)\(queryText.isEmpty ? "" : "?" + queryText)")
        request.method = method
        request.headers.add(name: "Host", value: host)
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        for header in signed.headers { request.headers.add(name: header.name, value: header.value) }
        if !body.isEmpty || method == .PUT || method == .POST { request.body = .bytes(ByteBuffer(bytes: body)) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(120))
        let data = try await response.body.collect(upTo: 16 << 20)
        return (response.status.code, String(buffer: data))
    }

    /// Creates `bucket` (idempotent for the tests: a bucket per test name).
    static func createBucket(_ ready: Ready, _ bucket: String) async throws {
        let (status, text) = try await send(ready.moto, ready.credentials, method: .PUT, path: "/\(bucket)")
        guard status == 200 else { throw FixtureError(message: "moto CreateBucket \(bucket) answered \(status): \(text)") }
    }

    /// Uploads `data` as `bucket/key`.
    static func put(_ ready: Ready, _ bucket: String, _ key: String, _ data: Data) async throws {
        let (status, text) = try await send(
            ready.moto, ready.credentials, method: .PUT, path: "/\(bucket)/\(SigV4Signer.uriEncode(key, keepSlash: true))", body: data)
        guard status == 200 else { throw FixtureError(message: "moto PutObject \(bucket)/\(key) answered \(status): \(text)") }
    }

    /// An S3Source pointed at moto with `credentials` (default: the fixture's) in its environment only.
    static func source(_ ready: Ready, credentials: AWSCredentials? = nil, timeout: SluiceCore.Duration = .seconds(120)) throws -> S3Source {
        let use = credentials ?? ready.credentials
        var config = ArtifactsConfig.S3()
        config.endpoint = ready.moto.baseURL
        let environment = ["AWS_ACCESS_KEY_ID": use.accessKeyId, "AWS_SECRET_ACCESS_KEY": use.secretAccessKey, "HOME": "/nonexistent"]
        return try S3Source(config: config, timeout: timeout, environment: environment, client: HTTPClient.shared)
    }
}

/// Collects what a download writes (small test objects only).
actor CollectingSink: ArtifactSink {
    private(set) var data = Data()
    private(set) var restarts = 0
    private(set) var writes = 0

    func write(_ bytes: ByteBuffer) async throws {
        data.append(contentsOf: bytes.readableBytesView)
        writes += 1
    }

    func restart() async throws {
        data = Data()
        restarts += 1
    }
}

/// Deterministic bytes of `count` (so a resumed download can be compared).
func s3TestBytes(_ count: Int, seed: UInt8 = 7) -> Data {
    Data((0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ Int(seed) &+ $0 / 251) })
}
