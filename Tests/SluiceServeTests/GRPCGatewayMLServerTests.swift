import Foundation
import SluiceConfig
import SluiceCore
import SluiceTestSupport
import Testing
@testable import SluiceServe

/// The gateway's gRPC listener end to end: two versions of an iris model, each a real MLServer
/// process (its scikit-learn runtime, from the venv scripts/setup-mlserver.sh makes) serving
/// the Open Inference Protocol over gRPC on the `{grpcPort}` the supervisor gave it, called
/// through the gateway by a grpcio client (Fixtures/grpc_client.py, with MLServer's stubs
/// generated from the protocol's proto).
@Suite("gRPC gateway with MLServer", .serialized)
struct GRPCGatewayMLServerTests {
    static var venv: URL { MLflowServer.packageRoot.appendingPathComponent(".build/mlserver") }
    static var python: URL { venv.appendingPathComponent("bin/python") }
    static var client: String { MLflowServer.packageRoot.appendingPathComponent("Tests/SluiceServeTests/Fixtures/grpc_client.py").path }

    /// Whether to run: MLServer is installed, or `SLUICE_REQUIRE_PEERS` says a missing one fails.
    static var isAvailable: Bool {
        ProcessInfo.processInfo.environment["SLUICE_REQUIRE_PEERS"] != nil
            || FileManager.default.isExecutableFile(atPath: venv.appendingPathComponent("bin/mlserver").path)
    }

    /// MLServer on the supervisor's two ports: REST (readiness) on `{port}`, gRPC on
    /// `{grpcPort}`; no metrics server (it would want a third port) and no worker pool.
    static func runtimes(_ directory: URL) -> [String: RuntimeDefinition] {
        let environment = [
            "MLSERVER_HOST": "127.0.0.1", "MLSERVER_HTTP_PORT": "{port}", "MLSERVER_GRPC_PORT": "{grpcPort}",
            "MLSERVER_METRICS_ENDPOINT": "", "MLSERVER_PARALLEL_WORKERS": "0", "PYTHONUNBUFFERED": "1",
        ]
        let command = [venv.appendingPathComponent("bin/mlserver").path, "start", "{artifact}"]
        return ["mlserver": RuntimeDefinition(command: command, environment: environment, startTimeout: .seconds(3600), workingDirectory: directory.path)]
    }

    /// Trains the iris model once and writes one MLServer model directory per version
    /// (`iris-VERSION/`), whose model settings name the version as MLServer reports it.
    static func makeModels(in directory: URL, versions: [String]) async throws {
        let script = """
            import json, os, sys, joblib
            from sklearn.datasets import load_iris
            from sklearn.linear_model import LogisticRegression
            X, y = load_iris(return_X_y=True)
            model = LogisticRegression(max_iter=500).fit(X, y)
            for version in sys.argv[2:]:
                folder = os.path.join(sys.argv[1], "iris-" + version)
                os.makedirs(folder, exist_ok=True)
                joblib.dump(model, os.path.join(folder, "model.joblib"))
                settings = {"name": "iris", "implementation": "mlserver_sklearn.SKLearnModel", "parameters": {"uri": "./model.joblib", "version": version}}
                json.dump(settings, open(os.path.join(folder, "model-settings.json"), "w"))
            """
        let result = try await ChildProcess.run(python, ["-c", script, directory.path] + versions)
        try #require(result.status == 0, "making the iris models failed: \(result.output)")
    }

    /// The spec: model `iris` with `versions` on MLServer, `route` as JSON.
    static func spec(versions: [String], route: String) -> String {
        let entries = versions.map { #"{"name":"\#($0)","runtime":"mlserver","artifact":"iris-\#($0)"}"# }.joined(separator: ",")
        return #"{"revision":"r1","models":[{"name":"iris","versions":[\#(entries)],"route":\#(route)}]}"#
    }

    /// Serves iris v1 and v2 on MLServer with `route`, and waits until both are ready.
    static func serve(_ fixture: DataPlaneFixture, route: String) async throws {
        try await makeModels(in: fixture.directory, versions: ["v1", "v2"])
        try await fixture.apply(spec(versions: ["v1", "v2"], route: route))
        try await fixture.stepUntil("both MLServer versions ready", advancing: .milliseconds(50)) {
            let first = await fixture.version("v1", of: "iris")?.state
            let second = await fixture.version("v2", of: "iris")?.state
            return first == .ready && second == .ready
        }
        // Readiness is MLServer's HTTP probe; its gRPC listener may come up a moment later,
        // and a call it refuses would be retried on the other version, skewing the counts.
        try await fixture.stepUntil("both MLServer gRPC listeners accept", advancing: .milliseconds(50)) {
            let ready = await fixture.dataPlane.supervisor.routeTable.models["iris"]?.ready ?? [:]
            let ports = ["v1", "v2"].flatMap { ready[$0]?.targets.compactMap { $0.grpcAddress?.port } ?? [] }
            return ports.count == 2 && ports.allSatisfy(LoopbackPort.accepts)
        }
    }

    static let inferRequest = #"{"model_name":"iris","inputs":[{"name":"x","datatype":"FP64","shape":[1,4],"contents":{"fp64_contents":[5.1,3.5,1.4,0.2]}}]}"#

    /// One call's outcome as the client printed it.
    struct Outcome: Decodable {
        var code: String
        var details: String?
        var model: String?
        var version: String?
        var response: [String: JSONAny]?

        /// The version MLServer says answered (`modelVersion` of the response).
        var answeredBy: String? { response?["modelVersion"]?.text }
    }

    /// Enough of a JSON value to read strings back.
    struct JSONAny: Decodable {
        var text: String?
        init(from decoder: any Decoder) throws {
            text = try? decoder.singleValueContainer().decode(String.self)
        }
    }

    /// Runs the client against the gateway's gRPC port; one outcome per call.
    static func call(
        _ fixture: DataPlaneFixture, _ method: String, _ request: String, calls: Int = 1, metadata: [String] = [], extra: [String] = []
    ) async throws -> [Outcome] {
        let port = try #require(fixture.grpcPort)
        let arguments = [client, "127.0.0.1:\(port)", method, request, "--calls", String(calls)] + metadata.flatMap { ["--metadata", $0] } + extra
        let result = try await ChildProcess.run(python, arguments)
        try #require(result.status == 0, "grpc_client.py failed: \(result.output)")
        return try result.output.split(separator: "\n").filter { $0.hasPrefix("{") }.map { try JSONDecoder().decode(Outcome.self, from: Data($0.utf8)) }
    }

    static func grpcStatus(_ fixture: DataPlaneFixture, _ version: String) -> [String: Int] {
        fixture.dataPlane.statistics.snapshot().models["iris"]?[version]?.grpcStatus ?? [:]
    }

    @Test(
        "weights split calls between two MLServer versions, pin metadata and model_version pick one, refusals have clear codes, every code is counted",
        .enabled(if: isAvailable, "needs MLServer in .build/mlserver (scripts/setup-mlserver.sh)"))
    func routesPinsRefusesAndCounts() async throws {
        try await DataPlaneFixture.with(upstreamTimeout: .seconds(60), runtimes: Self.runtimes, grpc: true) { fixture in
            try await Self.serve(fixture, route: #"{"weights":{"v1":50,"v2":50}}"#)

            // Weighted: 40 calls land on both versions, each answered by the version it names.
            let weighted = try await Self.call(fixture, "ModelInfer", Self.inferRequest, calls: 40)
            #expect(weighted.count == 40)
            #expect(weighted.allSatisfy { $0.code == "OK" && $0.model == "iris" && $0.version != nil && $0.answeredBy == $0.version })
            let landed = Dictionary(grouping: weighted, by: { $0.version ?? "" }).mapValues(\.count)
            #expect(landed["v1", default: 0] > 0 && landed["v2", default: 0] > 0, "40 calls at 50/50 landed \(landed)")

            // The pin header as metadata, and the request's own model_version, each select one version.
            let pinned = try await Self.call(fixture, "ModelInfer", Self.inferRequest, calls: 5, metadata: ["x-sluice-version=v2"])
            #expect(pinned.map(\.version) == Array(repeating: "v2", count: 5))
            #expect(pinned.allSatisfy { $0.answeredBy == "v2" })
            let explicit = try await Self.call(
                fixture, "ModelInfer", #"{"model_name":"iris","model_version":"v1","inputs":[{"name":"x","datatype":"FP64","shape":[1,4],"contents":{"fp64_contents":[6.3,3.3,6.0,2.5]}}]}"#,
                calls: 3)
            #expect(explicit.map(\.version) == ["v1", "v1", "v1"])

            // Readiness and metadata are routed too; liveness and server readiness are the gateway's.
            let ready = try await Self.call(fixture, "ModelReady", #"{"name":"iris","version":"v2"}"#)
            #expect(ready.first?.code == "OK" && ready.first?.version == "v2")
            let metadata = try await Self.call(fixture, "ModelMetadata", #"{"name":"iris"}"#)
            #expect(metadata.first?.code == "OK" && metadata.first?.response?["name"]?.text == "iris")
            #expect(try await Self.call(fixture, "ServerLive", "{}").first?.code == "OK")
            #expect(try await Self.call(fixture, "ServerReady", "{}").first?.code == "OK")

            // The model server's own error is relayed (and counted for the version that gave it).
            let wrongShape = try await Self.call(
                fixture, "ModelInfer", #"{"model_name":"iris","inputs":[{"name":"x","datatype":"FP64","shape":[1,3],"contents":{"fp64_contents":[1,2,3]}}]}"#,
                metadata: ["x-sluice-version=v1"])
            #expect(wrongShape.first?.code == "INTERNAL" && wrongShape.first?.version == "v1", "\(wrongShape.first.map { "\($0.code) \($0.version ?? "-") \($0.details ?? "-")" } ?? "nothing")")

            // Refused by the gateway, with a status that says why.
            let unknownModel = try await Self.call(fixture, "ModelInfer", #"{"model_name":"nope"}"#)
            #expect(unknownModel.first?.code == "NOT_FOUND" && unknownModel.first?.details?.contains("'nope'") == true)
            let unknownVersion = try await Self.call(fixture, "ModelInfer", Self.inferRequest, metadata: ["x-sluice-version=v9"])
            #expect(unknownVersion.first?.code == "NOT_FOUND" && unknownVersion.first?.details?.contains("'v9'") == true)
            let noName = try await Self.call(fixture, "ModelInfer", "{}")
            #expect(noName.first?.code == "INVALID_ARGUMENT" && noName.first?.details?.contains("model name") == true)
            for garbage in ["0a", "0aff", "0a0569", "0f", "ffffffffffffffffffff01", "0b0c", "0a02c328", "00"] {
                let refused = try await Self.call(fixture, "ModelInfer", garbage, extra: ["--raw"])
                #expect(refused.first?.code == "INVALID_ARGUMENT", "raw \(garbage): \(refused.first?.code ?? "nothing")")
            }
            let oversized = try await Self.call(fixture, "ModelInfer", Self.inferRequest, extra: ["--pad", String(DataPlane.maximumRequestBody + 1)])
            #expect(oversized.first?.code == "RESOURCE_EXHAUSTED" && oversized.first?.details?.contains("limit") == true)
            #expect(try await Self.call(fixture, "RepositoryIndex", "{}").first?.code == "UNIMPLEMENTED")

            // Not HTTP/2 at all, or a preface followed by garbage: the connection is closed.
            let port = try #require(fixture.grpcPort)
            let garbage = """
                import socket, sys
                for payload in (b"GET / HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n", b"PRI * HTTP/2.0\\r\\n\\r\\nSM\\r\\n\\r\\n" + bytes(range(256)) * 8):
                    with socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=30) as connection:
                        try:
                            connection.sendall(payload)
                            while connection.recv(65536):
                                pass
                        except ConnectionResetError:
                            pass  # closed with data unread: a reset
                """
            let sent = try await ChildProcess.run(Self.python, ["-c", garbage, String(port)])
            #expect(sent.status == 0, "\(sent.output)")

            // Still serving after all of that.
            let after = try await Self.call(fixture, "ModelInfer", Self.inferRequest, calls: 2)
            #expect(after.allSatisfy { $0.code == "OK" })

            // Per-version statistics: every routed call, with its code.
            let v1 = Self.grpcStatus(fixture, "v1")
            let v2 = Self.grpcStatus(fixture, "v2")
            let okCalls = 40 + 5 + 3 + 2 + 2  // inference, readiness and metadata calls
            #expect(v1["OK", default: 0] + v2["OK", default: 0] == okCalls, "v1 \(v1), v2 \(v2)")
            #expect(v1["INTERNAL"] == 1)
            #expect(v1["OK", default: 0] > 0 && v2["OK", default: 0] > 0)
            let snapshot = fixture.dataPlane.statistics.snapshot().models["iris"]
            #expect((snapshot?["v1"]?.requests ?? 0) + (snapshot?["v2"]?.requests ?? 0) == okCalls + 1)
            #expect(snapshot?["v1"]?.status["5xx"] == 1)

            // The exposition, promtool-clean.
            let text = fixture.dataPlane.statistics.prometheusText()
            #expect(text.contains(#"sluice_grpc_requests_total{model="iris",version="v1",code="INTERNAL"} 1"#))
            if let promtool = Promtool.path {
                let verdict = try await Promtool.checkMetrics(text, promtool: promtool)
                #expect(verdict.status == 0, "promtool: \(verdict.output)")
            } else {
                #expect(!Promtool.required, "promtool is not installed (scripts/setup.sh) and CI is set")
            }
        }
    }

    @Test(
        "a route's mirror gets a copy of each gRPC inference call, counted apart; the caller is answered by the stable version",
        .enabled(if: isAvailable, "needs MLServer in .build/mlserver (scripts/setup-mlserver.sh)"))
    func mirrorsInferenceCalls() async throws {
        try await DataPlaneFixture.with(upstreamTimeout: .seconds(60), runtimes: Self.runtimes, grpc: true) { fixture in
            try await Self.serve(fixture, route: #"{"weights":{"v1":100,"v2":0},"mirror":{"version":"v2","percent":100}}"#)
            let answers = try await Self.call(fixture, "ModelInfer", Self.inferRequest, calls: 10)
            #expect(answers.allSatisfy { $0.code == "OK" && $0.version == "v1" })
            // Copies are sent after the caller's call and may still be in flight.
            var mirrored = 0
            for _ in 0..<200 {
                mirrored = fixture.dataPlane.statistics.snapshot().models["iris"]?["v2"]?.mirrored ?? 0
                if mirrored == 10 { break }
                await sleepEvenIfCancelled(for: .milliseconds(50))
            }
            #expect(mirrored == 10)
            let snapshot = fixture.dataPlane.statistics.snapshot().models["iris"]
            #expect(snapshot?["v2"]?.requests == 0 && snapshot?["v2"]?.grpcStatus.isEmpty == true)
            #expect(snapshot?["v1"]?.grpcStatus == ["OK": 10])
        }
    }
}
