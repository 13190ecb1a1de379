import Foundation
import SluiceTestSupport
import SluiceCore
import Testing

@testable import SluiceArtifacts

#if canImport(Glibc)
import Glibc
#endif

/// A download interrupted by the death of the process writing it. The test binary cannot
/// kill -9 itself, so a python child writes the artifact's partial file exactly as a killed
/// fetcher leaves it (an append-only prefix at the path the fetcher uses) and is killed with
/// SIGKILL mid-file; a fetcher then finds that file.
@Suite("artifact fetcher: resuming after a writer killed with SIGKILL", .timeLimit(.minutes(10)))
struct ArtifactFetcherResumeTests {
    /// The partial file the fetcher uses for `reference`'s only file.
    private func partialPath(_ fixture: FetcherFixture, _ reference: ArtifactReference) async throws -> String {
        let file = try #require(try await fixture.source.resolve(reference).files.first)
        return "\(fixture.cacheDirectory)/partial/\(file.partialKey(reference: reference.cacheText))"
    }

    /// Starts python copying `source` to `destination` in 4 KiB appends; it stops after exactly
    /// `bytes` (as a download stalls), and is killed with SIGKILL once they are on disk, so the
    /// size left does not depend on how fast this machine runs. Returns how many bytes it left.
    private func copyAndKill(_ source: String, to destination: String, after bytes: Int) async throws -> Int {
        let process = SpawnedProcess()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "python3", "-c",
            """
            import sys, time
            src = open(sys.argv[1], 'rb'); dst = open(sys.argv[2], 'ab'); left = int(sys.argv[3])
            while left > 0:
                chunk = src.read(min(4096, left))
                if not chunk: break
                dst.write(chunk); dst.flush(); left -= len(chunk)
            time.sleep(3600)
            """,
            source, destination, String(bytes),
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { process.signal(SIGKILL) }
        for _ in 0..<3000 {
            let size = (try? FileManager.default.attributesOfItem(atPath: destination)[.size] as? NSNumber)?.intValue ?? 0
            if size >= bytes { break }
            try await Task.sleep(for: .milliseconds(10))
        }
        process.signal(SIGKILL)
        // The kernel closes its file at once; wait for the size to settle (no blocking wait on the child).
        var last = -1
        while true {
            try await Task.sleep(for: .milliseconds(50))
            let size = (try? FileManager.default.attributesOfItem(atPath: destination)[.size] as? NSNumber)?.intValue ?? 0
            if size == last { return size }
            last = size
        }
    }

    @Test("a partial file left by a writer killed with SIGKILL is resumed from its size, and the result verified")
    func resumeAfterKill() async throws {
        let fixture = try FetcherFixture()
        defer { fixture.remove() }
        let bytes = FetcherFixture.bytes(2_000_000)
        let digest = try fixture.serve("model.bin", bytes)
        _ = try fixture.fetcher()  // creates the cache's directories
        let partial = try await partialPath(fixture, .test("model.bin"))
        let left = try await copyAndKill("\(fixture.served)/model.bin", to: partial, after: 200_000)
        #expect(left == 200_000)

        let found = try await fixture.fetcher().materialize(.test("model.bin"), digest: digest)
        #expect(await fixture.source.offsets == [Int64(left)])
        #expect(FileManager.default.contents(atPath: found.path) == Data(bytes))
        #expect(fixture.cached("partial").isEmpty)
    }

    @Test("a corrupt partial file is never promoted: the pinned digest fails, and it is downloaded again from byte 0")
    func corruptPartialNeverPromoted() async throws {
        let fixture = try FetcherFixture()
        defer { fixture.remove() }
        let bytes = FetcherFixture.bytes(500_000)
        let digest = try fixture.serve("model.bin", bytes)
        _ = try fixture.fetcher()
        let partial = try await partialPath(fixture, .test("model.bin"))
        // What a killed writer of other bytes leaves: a prefix that is not this file's.
        let garbage = Data(FetcherFixture.bytes(120_000, seed: 9))
        try garbage.write(to: URL(fileURLWithPath: "\(fixture.base)/garbage"))
        let left = try await copyAndKill("\(fixture.base)/garbage", to: partial, after: 120_000)

        let found = try await fixture.fetcher().materialize(.test("model.bin"), digest: digest)
        #expect(await fixture.source.offsets == [Int64(left), 0])
        #expect(found.digest == digest)
        #expect(FileManager.default.contents(atPath: found.path) == Data(bytes))
        #expect(fixture.cached("sha256") == [digest.hex])
        #expect(fixture.cached("partial").isEmpty)
    }

    @Test("a partial file longer than the announced size is dropped, not resumed")
    func oversizePartial() async throws {
        let fixture = try FetcherFixture()
        defer { fixture.remove() }
        let bytes = FetcherFixture.bytes(10_000)
        let digest = try fixture.serve("model.bin", bytes)
        _ = try fixture.fetcher()
        let partial = try await partialPath(fixture, .test("model.bin"))
        try Data(FetcherFixture.bytes(20_000, seed: 5)).write(to: URL(fileURLWithPath: partial))
        let found = try await fixture.fetcher().materialize(.test("model.bin"), digest: digest)
        #expect(await fixture.source.offsets == [0])
        #expect(FileManager.default.contents(atPath: found.path) == Data(bytes))
    }
}
