import Foundation
import SluiceCore
import Testing

@testable import SluiceArtifacts

#if canImport(Glibc)
import Glibc
#endif

/// A measurement, not a check of speed: run with `SLUICE_CACHE_BENCH_MIB=512` to print the
/// fetcher's throughput (stream to disk, hash, fsync, rename, then a verification hash in a
/// new process-like fetcher) and the process's peak RSS. Skipped otherwise.
@Suite("artifact fetcher throughput (opt-in measurement)", .timeLimit(.minutes(10)))
struct ArtifactFetcherThroughputTests {
    @Test(
        "one large file through the test source: MiB/s and peak RSS",
        .enabled(if: ProcessInfo.processInfo.environment["SLUICE_CACHE_BENCH_MIB"] != nil))
    func throughput() async throws {
        let mebibytes = Int(ProcessInfo.processInfo.environment["SLUICE_CACHE_BENCH_MIB"] ?? "") ?? 512
        var fixture = try FetcherFixture()
        defer { fixture.remove() }
        fixture.config.maxCacheBytes = Int64(mebibytes + 1) << 20
        fixture.config.maxArtifactBytes = Int64(mebibytes + 1) << 20
        // Written in 1 MiB chunks: the test itself holds no more than that.
        let path = "\(fixture.served)/big.bin"
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        let chunk = Data(FetcherFixture.bytes(1 << 20))
        for _ in 0..<mebibytes { try handle.write(contentsOf: chunk) }
        try handle.close()
        let rssBefore = Self.peakRSS()
        let start = ContinuousClock.now
        let found = try await fixture.fetcher().materialize(.test("big.bin"), digest: nil)
        let fetched = ContinuousClock.now - start
        let verifyStart = ContinuousClock.now
        _ = try await fixture.fetcher().materialize(.test("big.bin"), digest: found.digest)
        let verified = ContinuousClock.now - verifyStart
        func rate(_ duration: Swift.Duration) -> String {
            let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
            return String(format: "%.0f MiB/s (%.2f s)", Double(mebibytes) / seconds, seconds)
        }
        print("cache-bench: \(mebibytes) MiB fetched \(rate(fetched)); cached copy verified \(rate(verified)); peak RSS \(rssBefore / 1024) MiB before, \(Self.peakRSS() / 1024) MiB after")
    }

    /// Peak resident set size in KiB.
    static func peakRSS() -> Int {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return usage.ru_maxrss
    }
}
