import Crypto
import Foundation
import SluiceCore
import Testing

@testable import SluiceArtifacts

@Suite("artifact fetcher: coalesced, retried, resumed, verified and bounded", .timeLimit(.minutes(10)))
struct ArtifactFetcherTests {
    @Test("ten concurrent calls for one artifact share one download")
    func coalesced() async throws {
        let fixture = try FetcherFixture()
        defer { fixture.remove() }
        let digest = try fixture.serve("model.bin", FetcherFixture.bytes(200_000))
        await fixture.source.set { $0.open = false }
        let fetcher = try fixture.fetcher()
        let results = try await withThrowingTaskGroup(of: MaterializedArtifact.self) { group in
            for _ in 0..<10 { group.addTask { try await fetcher.materialize(.test("model.bin"), digest: digest) } }
            // The download waits until all ten callers are in: nine joined the first one's fetch.
            while await fetcher.coalescer.joined < 9 { try await Task.sleep(for: .milliseconds(5)) }
            await fixture.source.set { $0.open = true }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.count == 10)
        #expect(Set(results).count == 1)
        #expect(await fixture.source.resolves == 1)
        #expect(await fixture.source.downloads == 1)
        #expect(await fetcher.coalescer.started == 1)
    }

    @Test("retryable failures are retried, then the download succeeds")
    func retryThenSuccess() async throws {
        let fixture = try FetcherFixture()
        defer { fixture.remove() }
        let digest = try fixture.serve("model.bin", FetcherFixture.bytes(5000))
        await fixture.source.set { $0.failures = (2, .unavailable) }
        let found = try await fixture.fetcher().materialize(.test("model.bin"), digest: digest)
        #expect(found.digest == digest)
        #expect(await fixture.source.downloads == 3)
        #expect(fixture.lines.withLockedValue { $0 }.filter { $0.contains("attempt") }.count == 2)
    }

    @Test("retries stop after controller.artifacts.retries, keeping the error's kind")
    func retriesExhausted() async throws {
        var fixture = try FetcherFixture()
        defer { fixture.remove() }
        fixture.config.retries = 2
        try fixture.serve("model.bin", FetcherFixture.bytes(5000))
        await fixture.source.set { $0.failures = (10, .connection) }
        let error = await #expect(throws: ArtifactFetchError.self) { try await fixture.fetcher().materialize(.test("model.bin"), digest: nil) }
        #expect(error?.kind == .connection)
        #expect(await fixture.source.downloads == 3)
    }

    @Test("a non-retryable failure fails at once")
    func nonRetryable() async throws {
        let fixture = try FetcherFixture()
        defer { fixture.remove() }
        try fixture.serve("model.bin", FetcherFixture.bytes(5000))
        await fixture.source.set { $0.failures = (1, .unauthorized) }
        let error = await #expect(throws: ArtifactFetchError.self) { try await fixture.fetcher().materialize(.test("model.bin"), digest: nil) }
        #expect(error?.kind == .unauthorized)
        #expect(await fixture.source.downloads == 1)
        #expect(fixture.cached("partial").isEmpty)
    }

    @Test("a connection dropped mid-file resumes from the bytes already written")
    func resumeAfterDrop() async throws {
        let fixture = try FetcherFixture()
        defer { fixture.remove() }
        let bytes = FetcherFixture.bytes(300_000)
        let digest = try fixture.serve("model.bin", bytes)
        await fixture.source.set { $0.drops = (2, 100_000) }
        let found = try await fixture.fetcher().materialize(.test("model.bin"), digest: digest)
        #expect(await fixture.source.offsets == [0, 100_000, 200_000])
        #expect(FileManager.default.contents(atPath: found.path) == Data(bytes))
    }

    @Test("a source that cannot resume restarts the file, and the result is still whole")
    func restartWithoutRanges() async throws {
        let fixture = try FetcherFixture()
        defer { fixture.remove() }
        let bytes = FetcherFixture.bytes(300_000)
        let digest = try fixture.serve("model.bin", bytes)
        await fixture.source.set {
            $0.drops = (1, 100_000)
            $0.supportsRanges = false
        }
        let found = try await fixture.fetcher().materialize(.test("model.bin"), digest: digest)
        #expect(await fixture.source.offsets == [0, 100_000])
        #expect(FileManager.default.contents(atPath: found.path) == Data(bytes))
    }

    @Test("a download that stalls times out and is retried")
    func stall() async throws {
        var fixture = try FetcherFixture()
        defer { fixture.remove() }
        fixture.config.timeout = .init(milliseconds: 200)
        let digest = try fixture.serve("model.bin", FetcherFixture.bytes(5000))
        await fixture.source.set { $0.stalls = 1 }
        let found = try await fixture.fetcher().materialize(.test("model.bin"), digest: digest)
        #expect(found.digest == digest)
        #expect(await fixture.source.downloads == 2)
        #expect(fixture.lines.withLockedValue { $0 }.contains { $0.contains("no bytes arrived") })
    }

    @Test("a digest mismatch is never returned nor cached, and names the artifact redacted and both digests")
    func digestMismatch() async throws {
        let fixture = try FetcherFixture()
        defer { fixture.remove() }
        let actual = try fixture.serve("model.bin", FetcherFixture.bytes(5000))
        let pinned = FetcherFixture.digest(Array("something else".utf8))
        let reference = ArtifactReference.https(url: "https://test.invalid/model.bin?X-Amz-Signature=s3cr3t")
        let fetcher = try fixture.fetcher()
        let error = await #expect(throws: ArtifactFetchError.self) { try await fetcher.materialize(reference, digest: pinned) }
        #expect(error?.kind == .digestMismatch)
        #expect(error?.message.contains(pinned.description) == true)
        #expect(error?.message.contains(actual.description) == true)
        #expect(error?.message.contains("test.invalid/model.bin") == true)
        #expect(error?.message.contains("s3cr3t") == false)
        #expect(fixture.cached("sha256").isEmpty)
        #expect(fixture.cached("partial").isEmpty)
        // Not cached under its real digest either: the next call with that pin downloads.
        _ = try await fetcher.materialize(reference, digest: actual)
        #expect(await fixture.source.downloads == 2)
    }

    @Test("over maxArtifactBytes: refused before download when sizes are known, stopped while writing when not")
    func tooLarge() async throws {
        var fixture = try FetcherFixture()
        defer { fixture.remove() }
        fixture.config.maxArtifactBytes = 1000
        try fixture.serve("big.bin", FetcherFixture.bytes(200_000))
        let known = await #expect(throws: ArtifactFetchError.self) { try await fixture.fetcher().materialize(.test("big.bin"), digest: nil) }
        #expect(known?.kind == .tooLarge)
        #expect(known?.message.contains("maxArtifactBytes") == true)
        #expect(await fixture.source.downloads == 0)

        await fixture.source.set { $0.hideSizes = true }
        let unknown = await #expect(throws: ArtifactFetchError.self) { try await fixture.fetcher().materialize(.test("big.bin"), digest: nil) }
        #expect(unknown?.kind == .tooLarge)
        #expect(await fixture.source.downloads == 1)
        #expect(fixture.cached("partial").isEmpty)
        #expect(fixture.cached("sha256").isEmpty)
    }

    @Test("a listing with an unsafe path is refused before anything is written")
    func unsafeListing() async throws {
        let fixture = try FetcherFixture()
        defer { fixture.remove() }
        let resolved = ResolvedArtifact(
            reference: .testDirectory("d"), files: [ResolvedArtifact.File(path: "../escape", location: "/etc/passwd", size: 1)])
        let error = #expect(throws: ArtifactFetchError.self) { try fixture.fetcher().check(resolved, name: "s3://bucket/d/") }
        #expect(error?.kind == .unsafePath)
        let clash = ResolvedArtifact(
            reference: .testDirectory("d"),
            files: [ResolvedArtifact.File(path: "a", location: "x", size: 1), ResolvedArtifact.File(path: "a/b", location: "y", size: 1)])
        #expect(throws: ArtifactFetchError.self) { try fixture.fetcher().check(clash, name: "s3://bucket/d/") }
    }

    @Test("large downloads log bytes, rate and ETA, with the artifact redacted")
    func progress() async throws {
        var fixture = try FetcherFixture()
        defer { fixture.remove() }
        fixture.tuning.progressThreshold = 0
        fixture.tuning.progressInterval = .zero
        let digest = try fixture.serve("model.bin", FetcherFixture.bytes(300_000))
        let reference = ArtifactReference.https(url: "https://test.invalid/model.bin?sig=s3cr3t")
        _ = try await fixture.fetcher().materialize(reference, digest: digest)
        let lines = fixture.lines.withLockedValue { $0 }.filter { $0.contains("downloading artifact") }
        #expect(!lines.isEmpty)
        #expect(lines.allSatisfy { $0.hasPrefix("info") && $0.contains(" of ") && $0.contains("MiB/s") && !$0.contains("s3cr3t") })
    }

    @Test("an archive is unpacked through the unpacker into a directory with its DirectoryDigest")
    func archive() async throws {
        var fixture = try FetcherFixture()
        defer { fixture.remove() }
        // Stands in for ArchiveUnpacker: "unpacks" by copying the archive's bytes to one file.
        fixture.unpack = ArchiveUnpack { archive, _, directory, _, _ in
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: archive, toPath: "\(directory)/payload")
        }
        let bytes = FetcherFixture.bytes(4000)
        try fixture.serve("m.tar.gz", bytes)
        let expected = DirectoryDigest.digest([DirectoryDigest.Entry(path: "payload", size: 4000, sha256: SHA256.hexDigest(of: bytes))])
        let found = try await fixture.fetcher().materialize(.test("m.tar.gz"), digest: expected)
        #expect(found.isDirectory)
        #expect(found.digest == expected)
        #expect(fixture.cached("partial").isEmpty)
    }
}
