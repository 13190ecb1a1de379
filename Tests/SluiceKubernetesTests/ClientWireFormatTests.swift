import Foundation
import NIOCore
import NIOHTTP1
import SluiceCore
@testable import SluiceKubernetes
import Testing

@Suite("Client wire format: Status errors, watch lines and query strings read as the API server writes them", .timeLimit(.minutes(10)))
struct ClientWireFormatTests {
    /// A 403 `Status` as kube-apiserver writes it (k8s.io/apimachinery errors.NewForbidden).
    static let forbidden = """
        {"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",\
        "message":"deployments.apps \\"iris-v1\\" is forbidden: User \\"system:serviceaccount:models:sluice\\" cannot patch resource \\"deployments\\" in API group \\"apps\\" in the namespace \\"models\\"",\
        "reason":"Forbidden","details":{"name":"iris-v1","group":"apps","kind":"deployments"},"code":403}
        """

    @Test("a 403 Status becomes .forbidden naming the method, path and message, with the RBAC hint")
    func forbiddenStatus() {
        let error = KubernetesClient.error(
            status: .forbidden, body: ByteBuffer(string: Self.forbidden), method: .PATCH, path: "/apis/apps/v1/namespaces/models/deployments/iris-v1")
        #expect(error.kind == .forbidden)
        #expect(error.detail.hasPrefix("PATCH /apis/apps/v1/namespaces/models/deployments/iris-v1: deployments.apps \"iris-v1\" is forbidden"))
        #expect(error.detail.contains("(Forbidden)"))
        #expect(error.description.contains("RBAC"))
        #expect(error.description.contains("deploy/kubernetes/role.yaml"))
    }

    @Test("status codes map to the kinds callers act on")
    func statusKinds() {
        let expected: [(Int, KubernetesError.Kind)] = [
            (400, .invalid(status: 400)), (401, .unauthorized), (403, .forbidden), (404, .notFound), (409, .conflict),
            (410, .gone), (422, .invalid(status: 422)), (429, .unavailable(status: 429)), (500, .unavailable(status: 500)),
            (503, .unavailable(status: 503)), (302, .unreadable),
        ]
        for (code, kind) in expected { #expect(KubernetesClient.kind(ofStatus: code) == kind, "\(code)") }
    }

    @Test("a body that is not a Status gives the status line; control characters and length are bounded")
    func unreadableBodies() {
        let plain = KubernetesClient.error(status: .badGateway, body: ByteBuffer(string: "<html>proxy</html>"), method: .GET, path: "/api/v1")
        #expect(plain.detail == "GET /api/v1: 502 Bad Gateway")
        let long = "{\"message\":\"" + String(repeating: "x", count: 5000) + "\\n\\u0007\"}"
        let bounded = KubernetesClient.error(status: .unprocessableEntity, body: ByteBuffer(string: long), method: .PATCH, path: "/p")
        #expect(bounded.kind == .invalid(status: 422))
        #expect(bounded.detail.count < 400)
        #expect(!bounded.detail.contains("\n"))
    }

    @Test("watch lines are split at newlines across chunks; an over-long line is refused")
    func lineSplitting() throws {
        var splitter = WatchLineSplitter(maximumLineBytes: 16)
        #expect(try splitter.append(Array("{\"a\":1}\n{\"b\"".utf8)) == [Array("{\"a\":1}".utf8)])
        #expect(try splitter.append(Array(":2}\n\n".utf8)) == [Array("{\"b\":2}".utf8), []])
        #expect(try splitter.append(Array("{\"c\":3}".utf8)).isEmpty)
        #expect(splitter.finish() == Array("{\"c\":3}".utf8))
        var small = WatchLineSplitter(maximumLineBytes: 8)
        #expect(throws: KubernetesError.self) { _ = try small.append(Array("0123456".utf8)); _ = try small.append(Array("789".utf8)) }
    }

    @Test("watch events: objects get apiVersion and kind, bookmarks carry their resourceVersion, ERROR 410 is .gone")
    func watchEvents() throws {
        let path = "/api/v1/namespaces/m/services"
        let added = try KubernetesClient.watchEvent(
            Array(#"{"type":"ADDED","object":{"metadata":{"name":"iris-v1","resourceVersion":"7"}}}"#.utf8), kind: .service, path: path)
        guard case .added(let object)? = added else { Issue.record("expected ADDED, got \(String(describing: added))"); return }
        #expect(object.kind == "Service" && object.apiVersion == "v1" && object.name == "iris-v1" && object.resourceVersion == "7")
        let bookmark = try KubernetesClient.watchEvent(
            Array(#"{"type":"BOOKMARK","object":{"kind":"Service","apiVersion":"v1","metadata":{"resourceVersion":"12"}}}"#.utf8),
            kind: .service, path: path)
        #expect(bookmark?.resourceVersion == "12")
        // The ERROR event of an expired resourceVersion (apiserver watch cache, "too old resource version").
        let gone = #"{"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"too old resource version: 5 (90)","reason":"Expired","code":410}}"#
        #expect(throws: KubernetesError(.gone, "GET \(path): too old resource version: 5 (90) (Expired)")) {
            _ = try KubernetesClient.watchEvent(Array(gone.utf8), kind: .service, path: path)
        }
        let internalError = #"{"type":"ERROR","object":{"kind":"Status","message":"boom","code":500}}"#
        #expect(throws: KubernetesError(.unavailable(status: 500), "GET \(path): boom")) {
            _ = try KubernetesClient.watchEvent(Array(internalError.utf8), kind: .service, path: path)
        }
        #expect(try KubernetesClient.watchEvent(Array("  \r".utf8), kind: .service, path: path) == nil)
        for hostile in [#"{"type":"ADDED"}"#, #"{"type":"RENAMED","object":{}}"#, "not json", #"{"type":"ADDED","object":{"metadata":{}}}"#] {
            #expect(throws: KubernetesError.self, "\(hostile)") { _ = try KubernetesClient.watchEvent(Array(hostile.utf8), kind: .service, path: path) }
        }
    }

    @Test("label selectors are percent-encoded in the query; names that could leave the path are refused before sending")
    func queryAndNames() {
        #expect(KubernetesClient.queryString([("labelSelector", "app.kubernetes.io/managed-by=sluice,tier!=x")])
            == "?labelSelector=app.kubernetes.io%2Fmanaged-by%3Dsluice%2Ctier%21%3Dx")
        #expect(KubernetesClient.queryString([]) == "")
        for bad in ["", "a/b", "..", "A", "x?watch=1", String(repeating: "a", count: 254)] {
            #expect(throws: KubernetesError.self, "\(bad)") { _ = try KubernetesClient.checkedName(bad, "name") }
        }
        #expect((try? KubernetesClient.checkedName("iris-v1.a", "name")) == "iris-v1.a")
    }

    @Test("Lease times are MicroTime: 2006-01-02T15:04:05.000000Z in UTC")
    func microTime() {
        #expect(LeaderElector.microTime(Date(timeIntervalSince1970: 1_136_214_245)) == "2006-01-02T15:04:05.000000Z")
        #expect(LeaderElector.microTime(Date(timeIntervalSince1970: 951_782_400.123456)) == "2000-02-29T00:00:00.123456Z")
        #expect(LeaderElector.microTime(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00.000000Z")
    }

    @Test("a server address must be an http(s) URL; bad CA data is refused without quoting it")
    func credentials() {
        #expect((try? KubernetesClient.baseURL("https://10.0.0.1:6443/")) == "https://10.0.0.1:6443")
        for bad in ["10.0.0.1:6443", "ftp://x", "https://", "https://a b", "https://x?y=1"] {
            #expect(throws: KubernetesError.self, "\(bad)") { _ = try KubernetesClient.baseURL(bad) }
        }
        let credentials = KubernetesCredentials(server: "https://127.0.0.1:1", certificateAuthorityPEM: Array("not pem".utf8))
        #expect(throws: KubernetesError.self) { _ = try KubernetesClient.tlsConfiguration(credentials, logger: .init(label: "test")) }
    }
}
