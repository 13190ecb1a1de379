import Foundation
import SluiceCore
import Testing
@testable import SluiceServe

/// The supervisor's restart backoff with real processes and a clock the test moves: when a
/// model server that exited is started again, and when its backoff starts over.
@Suite("supervisor: restart backoff", .serialized, .timeLimit(.minutes(10)))
struct SupervisorBackoffTests {
    /// Waits (in real time, the supervisor's clock still) until version `v1` has failed
    /// `failures` times in all; returns the supervisor's time at which the failure was seen.
    static func failure(_ failures: Int, _ plane: DataPlaneFixture) async throws -> ContinuousClock.Instant {
        try await plane.stepUntil("failure \(failures)", advancing: .zero) { await plane.version("v1")?.restarts == failures }
        return plane.now
    }

    /// Checks that `v1` is not started a millisecond before `delay` has passed since
    /// `failedAt`, and is started when it has.
    static func startsAfter(_ delay: Swift.Duration, from failedAt: ContinuousClock.Instant, _ plane: DataPlaneFixture) async throws {
        plane.set(failedAt + delay - .milliseconds(1))
        await plane.step()
        #expect(await plane.version("v1")?.pid == nil, "started again before its \(delay) backoff")
        plane.set(failedAt + delay)
        await plane.step()
        #expect(await plane.version("v1")?.pid != nil, "not started again once its \(delay) backoff passed")
    }

    @Test("a model server that keeps exiting is started again after 0.5 s, then 1, 2, 4, 8, 16 s and 30 s at most, never sooner; BackOff, then CrashLoopBackOff from the third failure")
    func schedule() async throws {
        try await DataPlaneFixture.with { plane in
            try plane.flag("v1", "crash")
            try await plane.apply(DataPlaneFixture.spec(["v1": 100]))
            let delays: [Swift.Duration] = [.milliseconds(500), .seconds(1), .seconds(2), .seconds(4), .seconds(8), .seconds(16), .seconds(30), .seconds(30)]
            for (index, delay) in delays.enumerated() {
                let failedAt = try await Self.failure(index + 1, plane)
                let state = try #require(await plane.version("v1"))
                #expect(state.state == (index < 2 ? VersionPhase.backoff : VersionPhase.crashLoop), "after failure \(index + 1)")
                #expect(state.lastExit == "exit code 3")
                #expect(state.message == "process ended (exit code 3)")
                #expect(plane.didLog("m/v1: process ended (exit code 3); restart \(index + 1) in \(delay)"), "\(plane.logged.suffix(3))")
                try await Self.startsAfter(delay, from: failedAt, plane)
            }
            let answer = try await plane.infer()
            #expect(answer.status == 503)
            #expect(answer.string("error") == "model 'm' has no ready version")
        }
    }

    @Test("the backoff starts over only after a version was ready for 30 s: killed after 10 s it waits longer, after 31 s 0.5 s again and is not crash-looping")
    func resetAfterAStableRun() async throws {
        try await DataPlaneFixture.with { plane in
            try plane.flag("v1", "crash")
            try await plane.apply(DataPlaneFixture.spec(["v1": 100]))
            for failures in 1...3 {
                let failedAt = try await Self.failure(failures, plane)
                if failures == 3 { try plane.flag("v1", "crash", false) }
                plane.set(failedAt + ManagedInstance.backoff(after: failures))
            }
            #expect(await plane.version("v1")?.state == .crashLoop)
            try await plane.stepUntil("v1 ready") { await plane.version("v1")?.state == .ready }
            #expect(try await plane.infer().string("model_version") == "v1")

            // Ready for 10 s (probed every second), then killed: the fourth failure in a row.
            for _ in 0..<10 {
                plane.advance(.seconds(1))
                await plane.step()
            }
            #expect(await plane.version("v1")?.state == .ready)
            let killed = await plane.version("v1")?.pid
            try await plane.kill(pid: killed)
            let fourth = try await Self.failure(4, plane)
            // Reaped: its pid may be another process's now, so its owner no longer signals it.
            #expect(await plane.dataPlane.supervisor.signalModelServer(pid: Int32(killed ?? 0), SIGKILL) == false)
            #expect(await plane.version("v1")?.state == .crashLoop)
            #expect(await plane.version("v1")?.lastExit == "killed by signal 9")
            #expect(plane.didLog("m/v1: process ended (killed by signal 9); restart 4 in \(Swift.Duration.seconds(4))"), "\(plane.logged.suffix(3))")
            try await Self.startsAfter(.seconds(4), from: fourth, plane)

            // Ready for 31 s, then killed: the run counts as stable and the backoff starts over.
            try await plane.stepUntil("v1 ready again") { await plane.version("v1")?.state == .ready }
            for _ in 0..<31 {
                plane.advance(.seconds(1))
                await plane.step()
            }
            #expect(await plane.version("v1")?.state == .ready)
            try await plane.kill(pid: await plane.version("v1")?.pid)
            let fifth = try await Self.failure(5, plane)
            #expect(await plane.version("v1")?.state == .backoff, "one failure after a stable run is not a crash loop")
            #expect(plane.didLog("m/v1: process ended (killed by signal 9); restart 5 in \(Swift.Duration.milliseconds(500))"), "\(plane.logged.suffix(3))")
            try await Self.startsAfter(.milliseconds(500), from: fifth, plane)
        }
    }
}
