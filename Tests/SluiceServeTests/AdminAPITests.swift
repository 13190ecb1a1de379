import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import SluiceConfig
import SluiceCore
import Testing
@testable import SluiceServe

/// The admin API's routes in-process (Hummingbird's router test client) over a real,
/// never-started data plane whose state directory is a temporary directory: status codes,
/// the token on every route, refused and oversize bodies, unknown paths and wrong methods.
@Suite("admin API routes", .timeLimit(.minutes(10)))
struct AdminAPITests {
    static let token = "admin-token-for-tests"
    static let authorized: HTTPFields = [.authorization: "Bearer \(token)"]

    /// A data plane over a temporary state directory, with one runtime and no models.
    final class Fixture {
        let directory: URL
        let dataPlane: DataPlane
        let app: Application<RouterResponder<BasicRequestContext>>

        init(parse: (String) throws -> ServeConfig) throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-admin-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let config = try parse("""
                serve:
                  stateDirectory: \(directory.path)/state
                  artifactRoot: \(directory.path)/artifacts
                runtimes:
                  python-v2:
                    command: [python3, server.py, --port, "{port}"]
                """)
            // What `DataPlane.run` does first; the listener itself is not started here.
            try PrivateFiles.directory(config.stateDirectory)
            dataPlane = DataPlane(
                config: config, secrets: ServeSecrets(adminToken: AdminAPITests.token, feedbackToken: nil, metricsToken: nil),
                logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
            app = Application(router: AdminAPI(token: AdminAPITests.token, dataPlane: dataPlane).router())
        }

        deinit { try? FileManager.default.removeItem(at: directory) }
    }

    func fixture() throws -> Fixture {
        try Fixture(parse: { try SluiceConfiguration.parse(Array($0.utf8), file: "sluice.yaml", baseDirectory: "/").serve })
    }

    static let emptySpec = #"{"revision":"r7","models":[]}"#

    static func json(_ response: TestResponse) -> [String: Any]? {
        try? JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any]
    }

    @Test("every route answers 401 without the token or with a wrong one, names the realm, and closes the connection; nothing is applied")
    func everyRouteNeedsTheToken() async throws {
        let fixture = try fixture()
        try await fixture.app.test(.router) { client in
            let routes: [(HTTPRequest.Method, String)] = [
                (.put, "/v1/spec"), (.get, "/v1/spec"), (.get, "/v1/state"), (.get, "/v1/stats"), (.get, "/v1/monitoring"), (.get, "/v1/unknown"),
            ]
            for (method, path) in routes {
                for authorization in [nil, "Bearer wrong", "Basic \(Self.token)", "Bearer\(Self.token)", Self.token] {
                    var headers: HTTPFields = [:]
                    if let authorization { headers[.authorization] = authorization }
                    let body = method == .put ? ByteBuffer(string: Self.emptySpec) : nil
                    let response = try await client.execute(uri: path, method: method, headers: headers, body: body)
                    #expect(response.status == .unauthorized, "\(method) \(path) with \(authorization ?? "no token")")
                    #expect(response.headers[.wwwAuthenticate] == "Bearer realm=\"sluice-admin\"")
                    #expect(response.headers[.connection] == "close", "a refused caller's body is never read")
                    #expect(Self.json(response)?["error"] as? String == "missing or wrong bearer token")
                }
            }
            let spec = try await client.execute(uri: "/v1/spec", method: .get, headers: Self.authorized)
            #expect(spec.status == .notFound, "no spec was applied by a refused caller")
        }
    }

    @Test("with the token: PUT /v1/spec answers the observed state, GET /v1/spec the spec, /v1/state, /v1/stats and /v1/monitoring 200; the bearer scheme in any case")
    func routesWithTheToken() async throws {
        let fixture = try fixture()
        try await fixture.app.test(.router) { client in
            let before = try await client.execute(uri: "/v1/spec", method: .get, headers: Self.authorized)
            #expect(before.status == .notFound)
            #expect(Self.json(before)?["error"] as? String == "no runtime spec has been applied")

            let applied = try await client.execute(uri: "/v1/spec", method: .put, headers: Self.authorized, body: ByteBuffer(string: Self.emptySpec))
            #expect(applied.status == .ok)
            #expect(applied.headers[.contentType] == "application/json")
            let observed = try WireJSON.decode(ObservedState.self, from: applied.body.readableBytesView)
            #expect(observed.revision == "r7")

            let spec = try await client.execute(uri: "/v1/spec", method: .get, headers: [.authorization: "bEaReR \(Self.token)"])
            #expect(spec.status == .ok)
            #expect(try WireJSON.decode(RuntimeSpec.self, from: spec.body.readableBytesView).revision == "r7")

            let state = try await client.execute(uri: "/v1/state", method: .get, headers: Self.authorized)
            #expect(state.status == .ok)
            #expect(try WireJSON.decode(ObservedState.self, from: state.body.readableBytesView).models.isEmpty)

            for uri in ["/v1/stats", "/v1/stats?window=60", "/v1/stats?window=soon"] {
                let stats = try await client.execute(uri: uri, method: .get, headers: Self.authorized)
                #expect(stats.status == .ok, "\(uri)")
                #expect((try? WireJSON.decode(StatsSnapshot.self, from: stats.body.readableBytesView)) != nil, "\(uri)")
            }
            for uri in ["/v1/monitoring", "/v1/monitoring?after=1700000000"] {
                let monitoring = try await client.execute(uri: uri, method: .get, headers: Self.authorized)
                #expect(monitoring.status == .ok, "\(uri)")
                #expect(try WireJSON.decode(MonitoringBatch.self, from: monitoring.body.readableBytesView).buckets.isEmpty)
            }
        }
    }

    @Test("a refused spec is 400 with one issue per field, and the previous spec stays in force")
    func refusedSpecs() async throws {
        let fixture = try fixture()
        try await fixture.app.test(.router) { client in
            let first = try await client.execute(uri: "/v1/spec", method: .put, headers: Self.authorized, body: ByteBuffer(string: Self.emptySpec))
            #expect(first.status == .ok)
            let cases: [(body: String, field: String, message: String)] = [
                ("{\"models\": [", "", "not JSON"),
                ("[1, 2]", "", "expected an object, found an array"),
                (#"{"models": "fraud"}"#, "models", "expected an array of models, found a string"),
                (#"{"models": [{"name": 7, "versions": [], "route": {"weights": {}}}]}"#, "models[0].name", "expected a string, found a number"),
                (#"{"models":[{"name":"fraud","versions":[{"name":"v1","runtime":"gpu-triton","artifact":"fraud.json"}],"route":{"weights":{"v1":100}}}]}"#,
                 "models[0].versions[0].runtime", "runtime 'gpu-triton' is not defined in the data plane's config (defined: python-v2)"),
                (#"{"models":[{"name":"fraud","versions":[{"name":"v1","runtime":"python-v2","artifact":"../../etc/passwd"}],"route":{"weights":{"v1":100}}}]}"#,
                 "models[0].versions[0].artifact", "resolves outside the artifact root"),
                ("", "", "not JSON: line 1, column 1"),
            ]
            for (body, field, message) in cases {
                let response = try await client.execute(uri: "/v1/spec", method: .put, headers: Self.authorized, body: ByteBuffer(string: body))
                #expect(response.status == .badRequest, "\(body)")
                let json = Self.json(response)
                #expect(json?["error"] as? String == "runtime spec refused; the previous spec stays in force", "\(body)")
                let issues = (json?["issues"] as? [[String: String]]) ?? []
                #expect(!issues.isEmpty, "\(body): no issues")
                #expect(issues.contains { $0["field"] == field && ($0["message"] ?? "").contains(message) }, "\(body): \(issues)")
            }
            let spec = try await client.execute(uri: "/v1/spec", method: .get, headers: Self.authorized)
            #expect(try WireJSON.decode(RuntimeSpec.self, from: spec.body.readableBytesView).revision == "r7")
        }
    }

    @Test("a body over 1 MiB is 413 from its declared length, with the token; without it 401 comes first")
    func oversizeBodies() async throws {
        let fixture = try fixture()
        try await fixture.app.test(.router) { client in
            let huge = ByteBuffer(repeating: UInt8(ascii: " "), count: AdminAPI.maximumBody + 1)
            let refused = try await client.execute(uri: "/v1/spec", method: .put, headers: Self.authorized, body: huge)
            #expect(refused.status.code == 413)
            #expect(refused.status.reasonPhrase == "Payload Too Large")
            #expect(refused.headers[.connection] == "close")
            #expect(Self.json(refused)?["error"] as? String == "request body larger than 1048576 bytes")
            let onGet = try await client.execute(uri: "/v1/state", method: .get, headers: Self.authorized, body: huge)
            #expect(onGet.status.code == 413, "every route bounds its body")
            let anonymous = try await client.execute(uri: "/v1/spec", method: .put, headers: [:], body: huge)
            #expect(anonymous.status == .unauthorized)
            let fits = ByteBuffer(string: Self.emptySpec + String(repeating: " ", count: AdminAPI.maximumBody - Self.emptySpec.utf8.count))
            let accepted = try await client.execute(uri: "/v1/spec", method: .put, headers: Self.authorized, body: fits)
            #expect(accepted.status == .ok, "exactly 1 MiB is allowed")
        }
    }

    @Test("unknown paths are 404 and wrong methods 405 naming the allowed ones, both as JSON errors")
    func unknownRoutesAndMethods() async throws {
        let fixture = try fixture()
        try await fixture.app.test(.router) { client in
            for path in ["/", "/v1", "/v1/specs", "/v2/models/fraud/infer", "/v1/spec/extra"] {
                let response = try await client.execute(uri: path, method: .get, headers: Self.authorized)
                #expect(response.status == .notFound, "\(path)")
                #expect((Self.json(response)?["error"] as? String)?.hasPrefix("no route GET ") == true, "\(path)")
            }
            let wrong: [(HTTPRequest.Method, String, String)] = [
                (.post, "/v1/spec", "GET, PUT"), (.delete, "/v1/spec", "GET, PUT"), (.put, "/v1/state", "GET"),
                (.post, "/v1/stats", "GET"), (.patch, "/v1/monitoring", "GET"),
            ]
            for (method, path, allowed) in wrong {
                let response = try await client.execute(uri: path, method: method, headers: Self.authorized)
                #expect(response.status == .methodNotAllowed, "\(method) \(path)")
                #expect(response.headers[.allow] == allowed)
                #expect((Self.json(response)?["error"] as? String)?.contains("is not allowed on \(path)") == true)
            }
        }
    }

    @Test("/v1/monitoring?after= that is not a number is 400 naming the parameter")
    func badMonitoringCursor() async throws {
        let fixture = try fixture()
        try await fixture.app.test(.router) { client in
            let response = try await client.execute(uri: "/v1/monitoring?after=yesterday", method: .get, headers: Self.authorized)
            #expect(response.status == .badRequest)
            #expect(Self.json(response)?["error"] as? String == "after: expected seconds since the Unix epoch, found 'yesterday'")
        }
    }
}
