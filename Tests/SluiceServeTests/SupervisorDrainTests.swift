import Foundation
import SluiceCore
import Testing
@testable import SluiceServe

/// A version removed from the spec: it finishes what is in flight before it is stopped, and
/// one that does not finish in time is stopped anyway (SIGTERM, then SIGKILL). Real
/// processes whose answers are held on purpose, so what is in flight is known, not guessed.
@Suite("supervisor: draining removed versions", .serialized, .timeLimit(.minutes(10)))
struct SupervisorDrainTests {
    /// Sends `count` requests (pinned to `version` when asked) that stay in flight; returns
    /// once the gateway counts `total` requests in flight on `version`.
    static func inFlight(
        _ count: Int, on version: String, pinned: Bool = false, total: Int? = nil, _ plane: DataPlaneFixture
    ) async throws -> [Task<DataPlaneFixture.Answer, any Error>] {
        let tasks = (0..<count).map { _ in Task { try await plane.infer(version: pinned ? version : nil) } }
        try await plane.stepUntil("\(total ?? count) requests in flight on \(version)", advancing: .zero) {
            await plane.version(version)?.inFlight == total ?? count
        }
        return tasks
    }

    @Test("a removed version finishes every in-flight request itself before it is stopped; new requests go to the remaining version at once")
    func drainBeforeStop() async throws {
        try await DataPlaneFixture.with(drainTimeout: .seconds(30)) { plane in
            try await plane.apply(DataPlaneFixture.spec(["v1": 0, "v2": 100]))
            try await plane.stepUntil("both ready") { await plane.ready("v1", "v2") }
            try plane.flag("v2", "hold")
            let held = try await Self.inFlight(8, on: "v2", plane)
            let pid = try #require(await plane.version("v2")?.pid)

            try await plane.apply(DataPlaneFixture.spec(["v1": 100], revision: "r2"))
            // Twenty passes over two seconds of the 30 s drain: each one would have stopped v2
            // if it did not wait for its requests.
            for _ in 0..<20 {
                plane.advance(.milliseconds(100))
                await plane.step()
            }
            let draining = try #require(await plane.retiring("v2"))
            #expect(draining.pid == pid, "still running with requests in flight")
            #expect(draining.inFlight == 8)
            #expect(!plane.didLog("m/v2: stopping"))
            #expect(!plane.marked("v2", "got-term"))
            let meanwhile = try await plane.infer()
            #expect(meanwhile.status == 200)
            #expect(meanwhile.string("model_version") == "v1", "the new spec routes at once")

            try plane.flag("v2", "hold", false)
            for task in held {
                let answer = try await task.value
                #expect(answer.status == 200, "\(answer.text)")
                #expect(answer.string("model_version") == "v2", "an in-flight request was answered by another version: \(answer.text)")
                #expect(answer.servedBy == "v2")
            }
            try await plane.stepUntil("v2 stopped") { await plane.retiring("v2") == nil }
            #expect(plane.didLog("m/v2: stopping pid \(pid)"))
            #expect(!plane.didLog("drain timeout"))
            #expect(plane.didLog("m/v2: stopped (exit code 0)"))
            #expect(plane.marked("v2", "got-term"), "stopped with SIGTERM")
            #expect(await plane.model()?.versions.map(\.name) == ["v1"])
        }
    }

    @Test("a removed version still busy when the drain timeout ends gets SIGTERM; one that ignores it gets SIGKILL after the stop timeout; a held unpinned request is answered by the other version, a pinned one is 502")
    func drainExpiryEscalates() async throws {
        try await DataPlaneFixture.with(drainTimeout: .seconds(10), stopTimeout: .seconds(3)) { plane in
            try await plane.apply(DataPlaneFixture.spec(["v1": 0, "v2": 100]))
            try await plane.stepUntil("both ready") { await plane.ready("v1", "v2") }
            try plane.flag("v2", "hold")
            try plane.flag("v2", "ignore-term")
            let unpinned = try await Self.inFlight(1, on: "v2", plane)
            let pinned = try await Self.inFlight(1, on: "v2", pinned: true, total: 2, plane)
            let pid = try #require(await plane.version("v2")?.pid)

            try await plane.apply(DataPlaneFixture.spec(["v1": 100], revision: "r2"))
            let removedAt = plane.now
            plane.set(removedAt + .seconds(10) - .milliseconds(1))
            await plane.step()
            #expect(!plane.didLog("m/v2: stopping"), "stopped before the drain timeout")
            plane.set(removedAt + .seconds(10))
            await plane.step()
            #expect(plane.didLog("m/v2: stopping pid \(pid) (drain timeout; requests still in flight)"), "\(plane.logged.suffix(3))")
            try await plane.stepUntil("v2 saw SIGTERM", advancing: .zero) { plane.marked("v2", "got-term") }
            let termAt = removedAt + .seconds(10)

            plane.set(termAt + .seconds(3) - .milliseconds(1))
            await plane.step()
            #expect(await plane.retiring("v2")?.pid == pid, "it ignores SIGTERM and is not killed before the stop timeout")
            #expect(!plane.didLog("killed"))
            plane.set(termAt + .seconds(3))
            await plane.step()
            #expect(plane.didLog("m/v2: did not stop within 3s; killed"), "\(plane.logged.suffix(3))")
            try await plane.stepUntil("v2 reaped", advancing: .zero) { await plane.retiring("v2") == nil }
            #expect(plane.didLog("m/v2: stopped (killed by signal 9)"))

            // Nothing of an answer came back: the gateway tries the remaining version, unless
            // the caller asked for v2.
            let retried = try await unpinned[0].value
            #expect(retried.status == 200, "\(retried.text)")
            #expect(retried.string("model_version") == "v1")
            let refused = try await pinned[0].value
            #expect(refused.status == 502)
            #expect(refused.servedBy == "v2")
            // Closed before any answer on its connection, or refused when sent again on a fresh one.
            #expect(refused.string("error")?.hasPrefix("model 'm' version 'v2' failed: connection ") == true, "\(refused.text)")
        }
    }
}
