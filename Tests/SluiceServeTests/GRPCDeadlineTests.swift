import Foundation
import SluiceConfig
import SluiceCore
import SluiceTestSupport
import Testing
@testable import SluiceServe

/// The caller's `grpc-timeout` over real h2c on loopback: a model server whose gRPC port takes
/// calls and never answers (Fixtures/grpc_stall_server.py, logging the frames it receives), a
/// gateway with a long `upstreamTimeout`, and curl (HTTP/2 with prior knowledge) sending the
/// header as written, so that malformed values reach the gateway as they are.
@Suite("gRPC deadlines: the caller's grpc-timeout", .serialized)
struct GRPCDeadlineTests {
    static var stallServer: String {
        MLflowServer.packageRoot.appendingPathComponent("Tests/SluiceServeTests/Fixtures/grpc_stall_server.py").path
    }

    static func runtimes(_ directory: URL) -> [String: RuntimeDefinition] {
        let log = directory.appendingPathComponent("grpc-frames.log").path
        return ["stall": RuntimeDefinition(
            command: ["python3", stallServer, "{port}", "{grpcPort}", log], environment: ["PYTHONUNBUFFERED": "1"],
            workingDirectory: directory.path)]
    }

    /// Runs `body` with a data plane whose model `stall` (one version, `v1`) is the stalling
    /// model server, ready, and a gateway with a 120 s `upstreamTimeout`.
    static func withStallingModel(_ body: (DataPlaneFixture) async throws -> Void) async throws {
        try await DataPlaneFixture.with(upstreamTimeout: .seconds(120), runtimes: runtimes, grpc: true) { fixture in
            try await fixture.apply(#"{"revision":"r1","models":[{"name":"stall","versions":[{"name":"v1","runtime":"stall","artifact":"model.json"}],"route":{"weights":{"v1":100}}}]}"#)
            try await fixture.stepUntil("the stalling model server ready", advancing: .milliseconds(50)) {
                await fixture.version("v1", of: "stall")?.state == .ready
            }
            try await body(fixture)
        }
    }

    /// The frames the stalling model server logged (`TYPE STREAM`), once `done` holds or after 10 s.
    static func frames(_ fixture: DataPlaneFixture, until done: ([String]) -> Bool) async -> [String] {
        let log = fixture.directory.appendingPathComponent("grpc-frames.log")
        var frames: [String] = []
        for _ in 0..<200 {
            frames = ((try? String(contentsOf: log, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
            if done(frames) { break }
            await sleepEvenIfCancelled(for: .milliseconds(50))
        }
        return frames
    }

    /// One call's answer as curl printed its headers (a trailers-only answer is one header block).
    struct Answer {
        var status: Int32
        var headers: [String: String]
        var output: String
        var code: String? { headers["grpc-status"] }
        var message: String? { headers["grpc-message"].flatMap { $0.removingPercentEncoding } }
    }

    /// `ModelInfer` for `model` through the gateway with `grpc-timeout: timeout`; curl gives up
    /// after `maxTime` seconds (default 60, half the gateway's `upstreamTimeout`).
    static func call(_ fixture: DataPlaneFixture, model: String, timeout: String?, maxTime: Int = 60) async throws -> Answer {
        try await call(port: try #require(fixture.grpcPort), directory: fixture.directory, model: model, timeout: timeout, maxTime: maxTime)
    }

    /// ``call(_:model:timeout:maxTime:)`` to the gRPC listener on `port`, the request's body
    /// written under `directory`, the answer's messages to `messages` when given. (curl 7.88
    /// prints no trailers after a message; it exits 0 only once the stream ended cleanly, with
    /// the trailers' END_STREAM, else 92.)
    static func call(port: Int, directory: URL, model: String, timeout: String?, maxTime: Int = 60, messages: URL? = nil) async throws -> Answer {
        // ModelInferRequest{model_name: model}, length-prefixed.
        var message = Data([0x0A, UInt8(model.utf8.count)]) + Data(model.utf8)
        message = Data([0, 0, 0, 0, UInt8(message.count)]) + message
        let body = directory.appendingPathComponent("call-\(UUID().uuidString.prefix(8)).bin")
        try message.write(to: body)
        var arguments = [
            "curl", "-sS", "--http2-prior-knowledge", "--max-time", String(maxTime), "-o", messages?.path ?? "/dev/null", "-D", "-",
            "-H", "content-type: application/grpc", "-H", "te: trailers", "--data-binary", "@\(body.path)",
        ]
        if let timeout { arguments += ["-H", "grpc-timeout: \(timeout)"] }
        arguments.append("http://127.0.0.1:\(port)/inference.GRPCInferenceService/ModelInfer")
        let result = try await ChildProcess.run(URL(fileURLWithPath: "/usr/bin/env"), arguments)
        var headers: [String: String] = [:]
        for line in result.output.split(whereSeparator: \.isNewline) {
            guard let colon = line.firstIndex(of: ":"), colon != line.startIndex else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return Answer(status: result.status, headers: headers, output: result.output)
    }

    @Test("a call past the caller's grpc-timeout ends DEADLINE_EXCEEDED long before upstreamTimeout, and the model server's stream is reset; malformed values are INTERNAL as in grpc-go")
    func callerDeadline() async throws {
        try await Self.withStallingModel { fixture in
            let late = try await Self.call(fixture, model: "stall", timeout: "300m")
            #expect(late.status == 0, "curl: \(late.output)")
            #expect(late.code == "4", "\(late.output)")
            #expect(late.message == "model 'stall' version 'v1' did not answer within the caller's grpc-timeout (300 ms)", "\(late.output)")
            #expect(late.headers["x-sluice-version"] == "v1")

            // The model server saw the call and then its reset.
            let frames = await Self.frames(fixture) { $0.contains { $0.hasPrefix("RST_STREAM") } }
            #expect(frames.first?.hasPrefix("HEADERS") == true, "\(frames)")
            #expect(frames.contains { $0.hasPrefix("RST_STREAM") }, "\(frames)")

            let counted = fixture.dataPlane.statistics.snapshot().models["stall"]?["v1"]
            #expect(counted?.grpcStatus == ["DEADLINE_EXCEEDED": 1])
            #expect(counted?.requests == 1)

            // Malformed: refused before routing, as grpc-go's server does (INTERNAL, "malformed grpc-timeout").
            for (value, problem) in [
                ("1X", "'1X' ends in none of the units H, M, S, m, u, n"),
                ("123456789S", "'123456789S' has more than 8 digits"),
                ("S", "'S' does not start with 1 to 8 ASCII digits"),
                ("-5S", "'-5S' does not start with 1 to 8 ASCII digits"),
                ("1.5S", "'1.5S' does not start with 1 to 8 ASCII digits"),
            ] {
                let refused = try await Self.call(fixture, model: "stall", timeout: value)
                #expect(refused.code == "13", "\(value): \(refused.output)")
                #expect(refused.message == "malformed grpc-timeout: \(problem)", "\(value): \(refused.output)")
            }
            // A valid value on an unknown model is routed as usual (NOT_FOUND); nothing more was counted.
            #expect(try await Self.call(fixture, model: "nope", timeout: "99999999H").code == "5")
            #expect(fixture.dataPlane.statistics.snapshot().models["stall"]?["v1"]?.grpcStatus == ["DEADLINE_EXCEEDED": 1])
        }
    }
}
