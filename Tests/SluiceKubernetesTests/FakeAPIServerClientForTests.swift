import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import SluiceCore
import SluiceKubernetes
import SluiceTestSupport

/// A bare HTTPS client for the fake API server's own tests: AsyncHTTPClient with the fake's CA,
/// no Sluice client code (helper kapi writes that), so these tests pin the fake alone.
struct FakeAPIServerClientForTests {
    let server: FakeKubernetesAPIServer
    let http: HTTPClient

    init(_ server: FakeKubernetesAPIServer, clientCertificate: Bool = false) throws {
        self.server = server
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(server.caPEM))
        if clientCertificate {
            tls.certificateChain = try NIOSSLCertificate.fromPEMBytes(server.clientCertificatePEM).map { .certificate($0) }
            tls.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: server.clientKeyPEM, format: .pem))
        }
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
        configuration.timeout.connect = .seconds(10)
        http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    /// An answer: status code and JSON document.
    struct Answer {
        var status: Int
        var json: JSONValue
        var headers: HTTPHeaders
        /// `Status.message`.
        var message: String { json["message"]?.stringValue ?? "" }
        /// `Status.reason`.
        var reason: String { json["reason"]?.stringValue ?? "" }
    }

    func send(
        _ method: HTTPMethod, _ path: String, body: JSONValue? = nil, contentType: String = "application/json",
        token: String?? = .none, rawBody: [UInt8]? = nil
    ) async throws -> Answer {
        var request = HTTPClientRequest(url: server.url + path)
        request.method = method
        let bearer: String? = token ?? server.token
        if let bearer { request.headers.add(name: "Authorization", value: "Bearer \(bearer)") }
        if let bytes = rawBody ?? body.map({ Array($0.serialized().utf8) }) {
            request.headers.add(name: "Content-Type", value: contentType)
            request.body = .bytes(ByteBuffer(bytes: bytes))
        }
        let response = try await http.execute(request, timeout: .seconds(30))
        let bytes = try await response.body.collect(upTo: 16 * 1024 * 1024)
        let json = (try? JSONParser.parse(Array(bytes.readableBytesView))) ?? .null
        return Answer(status: Int(response.status.code), json: json, headers: response.headers)
    }

    /// Server-side apply of `object` (PATCH, apply-patch+yaml, a JSON body).
    func apply(_ object: JSONValue, manager: String? = "sluice", force: Bool = true, dryRun: Bool = false) async throws -> Answer {
        let kubernetesObject = KubernetesObject(object)
        guard let kind = ResourceKind.of(kubernetesObject), let namespace = kubernetesObject.namespace else {
            throw FakeAPIServerTestFailure("not an object of a known kind with a namespace")
        }
        var query: [String] = []
        if let manager { query.append("fieldManager=\(manager)") }
        if force { query.append("force=true") }
        if dryRun { query.append("dryRun=All") }
        let path = kind.objectPath(namespace: namespace, name: kubernetesObject.name) + (query.isEmpty ? "" : "?" + query.joined(separator: "&"))
        return try await send(.PATCH, path, body: object, contentType: "application/apply-patch+yaml")
    }

    /// Opens a watch; events arrive as parsed JSON lines.
    func watch(_ pathAndQuery: String) async throws -> FakeAPIServerWatchForTests {
        var request = HTTPClientRequest(url: server.url + pathAndQuery)
        request.headers.add(name: "Authorization", value: "Bearer \(server.token)")
        let response = try await http.execute(request, timeout: .seconds(120))
        let (stream, continuation) = AsyncThrowingStream<JSONValue, any Error>.makeStream()
        let reader = Task {
            var pending: [UInt8] = []
            do {
                for try await chunk in response.body {
                    pending += chunk.readableBytesView
                    while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                        let line = Array(pending[..<newline])
                        pending.removeSubrange(...newline)
                        continuation.yield(try JSONParser.parse(line))
                    }
                }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        return FakeAPIServerWatchForTests(status: Int(response.status.code), iterator: stream.makeAsyncIterator(), reader: reader)
    }

    func shutdown() async {
        try? await http.shutdown()
    }
}

/// One open watch of a test.
struct FakeAPIServerWatchForTests {
    var status: Int
    var iterator: AsyncThrowingStream<JSONValue, any Error>.AsyncIterator
    let reader: Task<Void, Never>

    /// The next event; nil when the stream ended. A safety net of 20 s ends a hung test (not a timing assertion).
    mutating func next() async throws -> JSONValue? {
        var iterator = self.iterator
        defer { self.iterator = iterator }
        let reader = self.reader
        let guardTask = Task {
            try await Task.sleep(for: .seconds(20))
            reader.cancel()
        }
        defer { guardTask.cancel() }
        return try await iterator.next()
    }

    /// The next event that is not a BOOKMARK.
    mutating func nextChange() async throws -> JSONValue? {
        while let event = try await next() {
            if event["type"]?.stringValue != "BOOKMARK" { return event }
        }
        return nil
    }

    func cancel() { reader.cancel() }
}

extension FakeKubernetesAPIServer {
    /// A fake whose status controllers are off, so resourceVersions and watch events move only
    /// with the test's own writes; bookmarks only on demand unless an interval is given.
    static func startQuiet(bookmarks: Swift.Duration? = nil) async throws -> FakeKubernetesAPIServer {
        let server = try await FakeKubernetesAPIServer.start(options: .init(bookmarkInterval: bookmarks))
        server.automaticStatus = false
        return server
    }
}

struct FakeAPIServerTestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Objects for the tests.
enum FakeAPIServerObjects {
    static func deployment(_ name: String, namespace: String = "models", replicas: Int = 2, image: String = "mlserver:1", labels: [(String, JSONValue)] = []) -> JSONValue {
        .object([
            ("apiVersion", .string("apps/v1")), ("kind", .string("Deployment")),
            ("metadata", .object([
                ("name", .string(name)), ("namespace", .string(namespace)),
                ("labels", .object([(KubernetesLabels.managedBy, .string("sluice")), (KubernetesLabels.model, .string("iris"))] + labels)),
            ])),
            ("spec", .object([
                ("replicas", .int(replicas)),
                ("selector", .object([("matchLabels", .object([("app", .string(name))]))])),
                ("template", .object([
                    ("metadata", .object([("labels", .object([("app", .string(name))]))])),
                    ("spec", .object([("containers", .array([.object([("name", .string("model")), ("image", .string(image))])]))])),
                ])),
            ])),
        ])
    }

    static func service(_ name: String, namespace: String = "models") -> JSONValue {
        .object([
            ("apiVersion", .string("v1")), ("kind", .string("Service")),
            ("metadata", .object([("name", .string(name)), ("namespace", .string(namespace)), ("labels", .object([(KubernetesLabels.managedBy, .string("sluice"))]))])),
            ("spec", .object([("selector", .object([("app", .string(name))])), ("ports", .array([.object([("port", .int(8080))])]))])),
        ])
    }
}
