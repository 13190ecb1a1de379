import Foundation
import SluiceConfig
import SluiceCore
import SluiceTestSupport
import Testing
@testable import SluiceServe

/// A caller that gives up mid-call, over real h2c on loopback: the model server's stream is
/// reset at once (not at `upstreamTimeout`) and the call is counted CANCELLED. The model server
/// is GRPCDeadlineTests' stalling one (logging the frames it receives); the callers are
/// Fixtures/grpc_cancel_caller.py (hand-written HTTP/2 frames: the call, then RST_STREAM CANCEL
/// while its connection stays open) and curl giving up (its connection closes).
@Suite("gRPC cancellation: a caller's reset resets the model server's stream", .serialized)
struct GRPCCancelTests {
    static var caller: String {
        MLflowServer.packageRoot.appendingPathComponent("Tests/SluiceServeTests/Fixtures/grpc_cancel_caller.py").path
    }

    @Test("RST_STREAM from the caller (connection open) and a caller's closed connection each reset the upstream stream; counted CANCELLED, not as errors")
    func callerCancels() async throws {
        try await GRPCDeadlineTests.withStallingModel { fixture in
            let port = try #require(fixture.grpcPort)
            let release = fixture.directory.appendingPathComponent("release-caller")
            async let called = ChildProcess.run(
                URL(fileURLWithPath: "/usr/bin/env"), ["python3", Self.caller, String(port), "stall", "300", release.path], timeout: .seconds(60))

            // The reset reaches the model server while the caller's connection is still open.
            let reset = await GRPCDeadlineTests.frames(fixture) { $0.contains { $0.hasPrefix("RST_STREAM") } }
            try Data().write(to: release)
            let caller = try await called
            #expect(caller.status == 0 && caller.output.hasPrefix("reset"), "\(caller.output)")
            #expect(reset.first?.hasPrefix("HEADERS") == true, "\(reset)")
            #expect(reset.filter { $0.hasPrefix("RST_STREAM") }.count == 1, "the model server saw no reset while the caller stayed connected: \(reset)")

            var counted = fixture.dataPlane.statistics.snapshot().models["stall"]?["v1"]
            #expect(counted?.grpcStatus == ["CANCELLED": 1])
            #expect(counted?.requests == 1 && counted?.errors == 0 && counted?.status["4xx"] == 1, "\(String(describing: counted))")

            // curl gives up after a second: its connection closes mid-call, which cancels too.
            let gaveUp = try await GRPCDeadlineTests.call(fixture, model: "stall", timeout: nil, maxTime: 1)
            #expect(gaveUp.status == 28, "curl: \(gaveUp.output)")
            let both = await GRPCDeadlineTests.frames(fixture) { $0.filter { $0.hasPrefix("RST_STREAM") }.count >= 2 }
            #expect(both.filter { $0.hasPrefix("RST_STREAM") }.count == 2, "\(both)")
            counted = fixture.dataPlane.statistics.snapshot().models["stall"]?["v1"]
            for _ in 0..<100 where counted?.grpcStatus["CANCELLED"] != 2 {
                await sleepEvenIfCancelled(for: .milliseconds(50))
                counted = fixture.dataPlane.statistics.snapshot().models["stall"]?["v1"]
            }
            #expect(counted?.grpcStatus == ["CANCELLED": 2])
            #expect(fixture.dataPlane.statistics.prometheusText().contains(#"sluice_grpc_requests_total{model="stall",version="v1",code="CANCELLED"} 2"#))
        }
    }
}
