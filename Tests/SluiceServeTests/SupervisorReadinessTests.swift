import Foundation
import SluiceCore
import Testing
@testable import SluiceServe

/// A running version whose readiness probe starts failing loses its traffic, and gets it
/// back once it is ready again; real processes, the supervisor stepped by hand.
@Suite("supervisor: readiness probes", .serialized, .timeLimit(.minutes(10)))
struct SupervisorReadinessTests {
    @Test("one failed probe changes nothing; the second makes the version Unready with the reason, and its traffic goes to the other version until it is ready again")
    func probeFailureTakesTrafficAway() async throws {
        try await DataPlaneFixture.with { plane in
            try await plane.apply(DataPlaneFixture.spec(["v1": 50, "v2": 50]))
            try await plane.stepUntil("both ready") { await plane.ready("v1", "v2") }
            #expect(try await plane.infer(version: "v2").string("model_version") == "v2")
            try plane.flag("v2", "unready")
            // Ready versions are probed once a second: each step below is exactly one probe.
            plane.advance(Supervisor.readyProbeInterval)
            await plane.step()
            #expect(await plane.version("v2")?.state == .ready, "a single failed probe keeps the traffic")
            #expect(try await plane.infer(version: "v2").status == 200)
            plane.advance(Supervisor.readyProbeInterval)
            await plane.step()
            let unready = try #require(await plane.version("v2"))
            #expect(unready.state == .unready)
            #expect(unready.ready == false)
            #expect(unready.pid != nil, "an unready process keeps running")
            #expect(unready.message == "readiness /v2/models/m/ready answered 503")
            #expect(plane.didLog("m/v2: unready: readiness /v2/models/m/ready answered 503"))
            #expect(await plane.model()?.effectiveWeights == ["v1": 100, "v2": 0])
            for _ in 0..<20 {
                let answer = try await plane.infer()
                #expect(answer.status == 200)
                #expect(answer.servedBy == "v1")
                #expect(answer.string("model_version") == "v1")
            }
            let pinned = try await plane.infer(version: "v2")
            #expect(pinned.status == 503)
            #expect(pinned.string("error") == "version 'v2' of model 'm' is not ready")

            try plane.flag("v2", "unready", false)
            plane.advance(Supervisor.readyProbeInterval)
            await plane.step()
            #expect(await plane.version("v2")?.state == .ready)
            #expect(await plane.version("v2")?.restarts == 0, "it was never restarted")
            #expect(await plane.model()?.effectiveWeights == ["v1": 50, "v2": 50])
            #expect(try await plane.infer(version: "v2").string("model_version") == "v2")
        }
    }
}
