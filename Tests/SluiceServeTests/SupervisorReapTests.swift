import Foundation
import Testing
@testable import SluiceServe

/// A supervisor that is not the subreaper (the data plane in a process with other children,
/// as in these tests) collects only its own model servers' exits.
@Suite("supervisor: reaping", .timeLimit(.minutes(10)))
struct SupervisorReapTests {
    @Test("a child the supervisor did not start keeps its exit status for its own parent")
    func foreignChildIsLeftAlone() async throws {
        try await DataPlaneFixture.with { plane in
            let directory = plane.directory.path
            let pid = try await ProcessSpawner.shared.spawn(SpawnRequest(
                command: ["/bin/sh", "-c", "exit 7"], environment: ["PATH": "/usr/bin:/bin"], workingDirectory: directory, logPath: "\(directory)/foreign.log"))
            // Exited and not yet collected by anyone.
            let deadline = ContinuousClock.now + .seconds(60)
            while ContinuousClock.now < deadline, !((try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? "").contains(") Z ") {
                try await Task.sleep(for: .milliseconds(20))
            }
            try await plane.apply(DataPlaneFixture.spec(["v1": 100]))
            try await plane.stepUntil("v1 ready") { await plane.ready("v1") }
            var status: Int32 = 0
            #expect(waitpid(pid, &status, WNOHANG) == pid, "the supervisor collected a child it did not start")
            #expect(status & 0x7f == 0 && (status >> 8) & 0xff == 7, "exited with 7: \(status)")
        }
    }
}
