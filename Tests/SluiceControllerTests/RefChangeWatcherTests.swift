import Foundation
import NIOConcurrencyHelpers
import SluiceGit
import SluiceTestSupport
import Testing

@testable import SluiceController

/// The branch watcher's inotify watch against real git commands in a real repository. The
/// fallback wake is set to an hour, so every wake counted here came from a change git made.
@Suite(.timeLimit(.minutes(5))) struct RefChangeWatcherTests {
    /// Counts the wakes of `watcher` in the background.
    final class WakeCounter: Sendable {
        let count: NIOLockedValueBox<Int>
        let task: Task<Void, Never>

        init(_ watcher: RefChangeWatcher) {
            let count = NIOLockedValueBox(0)
            self.task = Task {
                for await _ in watcher.wakes { count.withLockedValue { $0 += 1 } }
            }
            self.count = count
        }

        var value: Int { count.withLockedValue { $0 } }

        /// Waits until the count passes `before` (false after 60 s: no wake came).
        func wokeAfter(_ before: Int) async -> Bool {
            for _ in 0..<3000 {
                if value > before { return true }
                await sleepEvenIfCancelled(for: .milliseconds(20))
            }
            return false
        }
    }

    @Test("a commit, a reset, a revert and a commit on a branch with a slash in its name each wake the watcher")
    func gitCommandsWakeTheWatcher() async throws {
        let repo = try GitFixture()
        try repo.commit("one", files: ["manifests/a.yaml": manifest("a")])
        _ = try repo.git(["branch", "team/fraud"])
        let directories = try #require(await GitSource.open(path: repo.path).refDirectories())
        #expect(directories.contains { $0.hasSuffix("/refs/heads/team") }, "\(directories)")
        let watcher = try #require(RefChangeWatcher(directories: directories, fallback: .seconds(3600)))
        defer { watcher.stop() }
        let wakes = WakeCounter(watcher)
        defer { wakes.task.cancel() }

        var before = wakes.value
        _ = try await repo.gitAsync(["commit", "-q", "--allow-empty", "-m", "two"])
        #expect(await wakes.wokeAfter(before), "git commit")

        before = wakes.value
        _ = try await repo.gitAsync(["reset", "-q", "--hard", "HEAD~1"])
        #expect(await wakes.wokeAfter(before), "git reset")

        try repo.commit("change", files: ["manifests/a.yaml": manifest("a", versions: ["v1", "v2"])])
        before = wakes.value
        _ = try await repo.gitAsync(["revert", "--no-edit", "HEAD"])
        #expect(await wakes.wokeAfter(before), "git revert")

        before = wakes.value
        _ = try await repo.gitAsync(["update-ref", "refs/heads/team/fraud", "HEAD"])
        #expect(await wakes.wokeAfter(before), "a branch under refs/heads/team")
    }

    @Test("a remote's cache clone has no refs to watch; a directory that does not exist cannot be watched")
    func nothingToWatch() async throws {
        #expect(RefChangeWatcher(directories: ["/nonexistent/sluice-\(UUID().uuidString)"]) == nil)
        let remote = try GitFixture(bare: true)
        let work = try GitFixture()
        try work.commit("one", files: ["manifests/a.yaml": manifest("a")])
        _ = try work.git(["push", "-q", remote.path, "main"])
        let cache = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-cache-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: cache) }
        let source = try GitSource.remote(url: "file://" + remote.path, cacheDirectory: cache.path)
        #expect(await source.refDirectories() == nil)
    }
}
