import Dispatch
import Foundation
import SluiceGit
import SluiceTestSupport
import Testing

/// libgit2 blocks; the git source runs it on threads of its own, so Swift's cooperative pool
/// (one thread per core) stays free for the rest of the process.
@Suite(.timeLimit(.minutes(10))) struct GitExecutorTests {
    @Test("git calls held open on more sources than there are cores leave the cooperative pool free")
    func blockedGitCallsDoNotStarveOtherTasks() async throws {
        let repo = try GitFixture()
        try repo.commit("artifact", files: ["models/model.bin": String(repeating: "weights ", count: 1 << 17)])
        // More concurrent git calls than the cooperative pool has threads: on the pool they
        // would take every thread, and no other task could run until they returned.
        let count = ProcessInfo.processInfo.activeProcessorCount + 2
        let sources = try (0..<count).map { _ in try GitSource.open(path: repo.path) }
        let head = try await sources[0].resolve("HEAD")
        let blob = try #require(try await sources[0].blob(at: head, path: "models/model.bin"))
        let entered = DispatchSemaphore(value: 0)
        let released = DispatchSemaphore(value: 0)
        // Each call holds libgit2's blob until released; the deadline only keeps a broken
        // executor from hanging the suite (the call then reports that it was never released).
        // It is long: the pool is shared with every other suite running at once, and in CI's
        // parallel run the task below waited more than 30 s for a turn while git held nothing.
        let calls = sources.map { source in
            Task {
                try await source.withArtifactContent(blob, limit: 1 << 30) { bytes in
                    entered.signal()
                    return (bytes.count, released.wait(timeout: .now() + 300) == .success)
                }
            }
        }
        let started = await offPool { (0..<count).count { _ in entered.wait(timeout: .now() + 30) == .success } }
        #expect(started == count, "every git call is inside libgit2 at once")
        // A task on the cooperative pool runs while every git call is still blocked.
        let answer = await Task.detached { (1...10).reduce(0, +) }.value
        #expect(answer == 55)
        for _ in 0..<count { released.signal() }
        for call in calls {
            let (size, wasReleased) = try await call.value
            #expect(size == "weights ".utf8.count << 17)
            #expect(wasReleased, "the call was still blocked when the pool task finished")
        }
    }

    @Test("each git source's thread ends with the source")
    func threadsEndWithTheirSources() async throws {
        let repo = try GitFixture()
        let commit = try repo.commit("one", files: ["m.yaml": manifest("a")])
        let before = threadCount()
        for _ in 0..<200 {
            let source = try GitSource.open(path: repo.path)
            #expect(try await source.resolve("HEAD").hex == commit)
        }
        // Threads end asynchronously; other suites running meanwhile add a few of their own.
        let deadline = Date().addingTimeInterval(30)
        while threadCount() >= before + 100, Date() < deadline { try await Task.sleep(for: .milliseconds(50)) }
        #expect(threadCount() < before + 100, "200 released sources left their threads running")
    }
}

/// The threads of this process, from /proc.
private func threadCount() -> Int {
    let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
    let line = status.split(separator: "\n").first { $0.hasPrefix("Threads:") }
    return line.flatMap { Int($0.dropFirst("Threads:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
}

/// Runs a blocking wait on a thread outside the cooperative pool.
private func offPool<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        Thread { continuation.resume(returning: body()) }.start()
    }
}
