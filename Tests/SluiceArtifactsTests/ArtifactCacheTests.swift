import Crypto
import Foundation
import SluiceCore
import Testing

@testable import SluiceArtifacts

@Suite("artifact cache: content addressed, verified before use, evicted least recently used", .timeLimit(.minutes(10)))
struct ArtifactCacheTests {
    @Test("a pinned artifact in the cache is used with no request, also after a restart")
    func pinnedHitMakesNoRequest() async throws {
        let fixture = try FetcherFixture()
        defer { fixture.remove() }
        let digest = try fixture.serve("model.bin", FetcherFixture.bytes(10_000))
        let first = try await fixture.fetcher().materialize(.test("model.bin"), digest: digest)
        #expect(first.digest == digest)
        #expect(first.path == "\(fixture.cacheDirectory)/sha256/\(digest.hex)")
        #expect(FileManager.default.contents(atPath: first.path) == Data(FetcherFixture.bytes(10_000)))
        let again = try await fixture.fetcher().materialize(.test("model.bin"), digest: digest)
        #expect(again == first)
        #expect(await fixture.source.resolves == 1)
        #expect(await fixture.source.downloads == 1)
        #expect(fixture.cached("partial").isEmpty)
    }

    @Test("least recently used entries are evicted above the cap; pinned ones are kept")
    func evictionOrder() async throws {
        var fixture = try FetcherFixture()
        defer { fixture.remove() }
        fixture.config.maxCacheBytes = 250
        let a = try fixture.serve("a", FetcherFixture.bytes(100, seed: 1))
        let b = try fixture.serve("b", FetcherFixture.bytes(100, seed: 2))
        let c = try fixture.serve("c", FetcherFixture.bytes(100, seed: 3))
        let d = try fixture.serve("d", FetcherFixture.bytes(100, seed: 4))
        let fetcher = try fixture.fetcher()
        _ = try await fetcher.materialize(.test("a"), digest: a)
        _ = try await fetcher.materialize(.test("b"), digest: b)
        _ = try await fetcher.materialize(.test("a"), digest: a)  // a is now more recent than b
        _ = try await fetcher.materialize(.test("c"), digest: c)
        #expect(fixture.cached("sha256") == [a.hex, c.hex].sorted())

        await fetcher.pin([a])
        _ = try await fetcher.materialize(.test("c"), digest: c)  // c is now more recent than a, but a is pinned
        _ = try await fetcher.materialize(.test("d"), digest: d)
        #expect(fixture.cached("sha256") == [a.hex, d.hex].sorted())
        #expect(await fetcher.cache.totalBytes == 200)

        // The order and sizes survive a restart (index.json), and the pin is the caller's to set again.
        let restarted = try fixture.fetcher()
        #expect(await restarted.cache.entries() == [a, d])
    }

    @Test("an entry bigger than the cap alone is still returned and kept while nothing else fits")
    func entryOverCap() async throws {
        var fixture = try FetcherFixture()
        defer { fixture.remove() }
        fixture.config.maxCacheBytes = 50
        let big = try fixture.serve("big", FetcherFixture.bytes(100))
        let found = try await fixture.fetcher().materialize(.test("big"), digest: big)
        #expect(FileManager.default.fileExists(atPath: found.path))
    }

    @Test("a tampered cache file is detected and fetched again, in the same process and after a restart")
    func tamperedFile() async throws {
        let fixture = try FetcherFixture()
        defer { fixture.remove() }
        let bytes = FetcherFixture.bytes(50_000)
        let digest = try fixture.serve("model.bin", bytes)
        let fetcher = try fixture.fetcher()
        let found = try await fetcher.materialize(.test("model.bin"), digest: digest)

        // Same size, different bytes, another modification time: hashed again in this process.
        var tampered = bytes
        tampered[1234] ^= 0xFF
        try Data(tampered).write(to: URL(fileURLWithPath: found.path))
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSince1970: 1_000_000)], ofItemAtPath: found.path)
        let again = try await fetcher.materialize(.test("model.bin"), digest: digest)
        #expect(FileManager.default.contents(atPath: again.path) == Data(bytes))
        #expect(await fixture.source.downloads == 2)

        // After a restart every entry is hashed before its first use, even with its times reset.
        let attributes = try FileManager.default.attributesOfItem(atPath: again.path)
        try Data(tampered).write(to: URL(fileURLWithPath: again.path))
        try FileManager.default.setAttributes([.modificationDate: attributes[.modificationDate]!], ofItemAtPath: again.path)
        let restarted = try await fixture.fetcher().materialize(.test("model.bin"), digest: digest)
        #expect(FileManager.default.contents(atPath: restarted.path) == Data(bytes))
        #expect(await fixture.source.downloads == 3)
        #expect(fixture.lines.withLockedValue { $0 }.contains { $0.contains("was changed on disk") })
    }

    @Test("a tampered file inside a cached directory is detected and the directory fetched again")
    func tamperedDirectory() async throws {
        let fixture = try FetcherFixture()
        defer { fixture.remove() }
        try fixture.serve("dir/model/MLmodel", Array("flavors: {}\n".utf8))
        try fixture.serve("dir/model/model.pkl", FetcherFixture.bytes(3000))
        let fetcher = try fixture.fetcher()
        let found = try await fetcher.materialize(.testDirectory("dir"), digest: nil)
        try Data("evil".utf8).write(to: URL(fileURLWithPath: "\(found.path)/model/model.pkl"))
        let again = try await fetcher.materialize(.testDirectory("dir"), digest: found.digest)
        #expect(again.digest == found.digest)
        #expect(FileManager.default.contents(atPath: "\(again.path)/model/model.pkl") == Data(FetcherFixture.bytes(3000)))
        #expect(await fixture.source.downloads == 4)
    }

    @Test("an unpinned artifact is reused after one resolve while its fingerprint is unchanged")
    func unpinnedReuse() async throws {
        let fixture = try FetcherFixture()
        defer { fixture.remove() }
        let first = try fixture.serve("model.bin", FetcherFixture.bytes(1000, seed: 1))
        let fetcher = try fixture.fetcher()
        #expect(try await fetcher.materialize(.test("model.bin"), digest: nil).digest == first)
        #expect(try await fetcher.materialize(.test("model.bin"), digest: nil).digest == first)
        #expect(try await fixture.fetcher().materialize(.test("model.bin"), digest: nil).digest == first)
        #expect(await fixture.source.resolves == 3)
        #expect(await fixture.source.downloads == 1)

        await fixture.source.set { $0.fingerprint = "changed" }
        let second = try fixture.serve("model.bin", FetcherFixture.bytes(1000, seed: 2))
        #expect(try await fetcher.materialize(.test("model.bin"), digest: nil).digest == second)
        #expect(await fixture.source.downloads == 2)
        // The record names the reference redacted; its file is named by the reference's hash.
        #expect(fixture.cached("refs") == ["\(ArtifactReference.test("model.bin").cacheKey).json"])
    }

    @Test("a directory's digest is DirectoryDigest of its files, and the tree is materialized as listed")
    func directoryDigest() async throws {
        let fixture = try FetcherFixture()
        defer { fixture.remove() }
        let files: [(String, [UInt8])] = [
            ("MLmodel", Array("artifact_path: model\n".utf8)), ("model.pkl", FetcherFixture.bytes(70_000, seed: 3)),
            ("sub/dir/weights.bin", FetcherFixture.bytes(5, seed: 4)), ("empty.txt", []),
        ]
        var entries: [DirectoryDigest.Entry] = []
        for (path, bytes) in files {
            try fixture.serve("iris/\(path)", bytes)
            entries.append(DirectoryDigest.Entry(path: path, size: Int64(bytes.count), sha256: SHA256.hexDigest(of: bytes)))
        }
        let expected = DirectoryDigest.digest(entries)
        let found = try await fixture.fetcher().materialize(.testDirectory("iris"), digest: expected)
        #expect(found.digest == expected)
        #expect(found.isDirectory)
        #expect(found.bytes == Int64(files.reduce(0) { $0 + $1.1.count }))
        for (path, bytes) in files {
            #expect(FileManager.default.contents(atPath: "\(found.path)/\(path)") == Data(bytes))
        }
        let mode = try FileManager.default.attributesOfItem(atPath: fixture.cacheDirectory)[.posixPermissions] as? Int
        #expect(mode == 0o700)
        #expect(fixture.cached("partial").isEmpty)
        #expect(fixture.cached("staging").isEmpty)
    }

    @Test("a lost index is rebuilt from the entries on disk")
    func indexRebuilt() async throws {
        let fixture = try FetcherFixture()
        defer { fixture.remove() }
        let digest = try fixture.serve("model.bin", FetcherFixture.bytes(2000))
        _ = try await fixture.fetcher().materialize(.test("model.bin"), digest: digest)
        try FileManager.default.removeItem(atPath: "\(fixture.cacheDirectory)/index.json")
        let restarted = try fixture.fetcher()
        #expect(await restarted.cache.entries() == [digest])
        #expect(await restarted.cache.totalBytes == 2000)
        _ = try await restarted.materialize(.test("model.bin"), digest: digest)
        #expect(await fixture.source.downloads == 1)
    }

    @Test("a sha512 pin is checked too, and names the cached entry afterwards with no request")
    func sha512Pin() async throws {
        let fixture = try FetcherFixture()
        defer { fixture.remove() }
        let bytes = FetcherFixture.bytes(9000)
        let sha256 = try fixture.serve("model.bin", bytes)
        let pin = SluiceCore.Digest.computed(.sha512, SHA512.hash(data: bytes).hex)
        let found = try await fixture.fetcher().materialize(.test("model.bin"), digest: pin)
        #expect(found.digest == sha256)
        _ = try await fixture.fetcher().materialize(.test("model.bin"), digest: pin)
        #expect(await fixture.source.downloads == 1)
        let wrong = SluiceCore.Digest.computed(.sha512, SHA512.hash(data: [1, 2, 3]).hex)
        let error = await #expect(throws: ArtifactFetchError.self) { try await fixture.fetcher().materialize(.test("model.bin"), digest: wrong) }
        #expect(error?.kind == .digestMismatch)
    }

    @Test("partial downloads older than a day are removed at start; recent ones are kept for a resume")
    func stalePartials() async throws {
        let fixture = try FetcherFixture()
        defer { fixture.remove() }
        _ = try fixture.fetcher()
        let partial = "\(fixture.cacheDirectory)/partial"
        try Data([1]).write(to: URL(fileURLWithPath: "\(partial)/old"))
        try Data([2]).write(to: URL(fileURLWithPath: "\(partial)/recent"))
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -2 * 86_400)], ofItemAtPath: "\(partial)/old")
        _ = try fixture.fetcher()
        #expect(fixture.cached("partial") == ["recent"])
    }

    @Test("an entry a call in progress reads is not evicted, even when it is the least recently used")
    func leasedEntryKept() async throws {
        let fixture = try FetcherFixture()
        defer { fixture.remove() }
        let cache = try ArtifactCache(directory: fixture.cacheDirectory, maxBytes: 150)
        func add(_ seed: UInt8) async throws -> SluiceCore.Digest {
            let bytes = FetcherFixture.bytes(100, seed: seed)
            let staged = "\(fixture.base)/staged-\(seed)"
            try Data(bytes).write(to: URL(fileURLWithPath: staged))
            let digest = FetcherFixture.digest(bytes)
            _ = try await cache.insert(staged: staged, sha256: digest.hex, sha512: nil, isDirectory: false, bytes: 100, signature: nil)
            await cache.release(digest.hex)
            return digest
        }
        let first = try await add(1)
        let lease = try #require(await cache.checkout(first))
        let second = try await add(2)
        // Over the cap, but the only other entry is leased: both stay.
        #expect(await cache.entries() == [first, second])
        await cache.release(lease.hex)
        let third = try await add(3)
        #expect(await cache.entries() == [third])
        #expect(fixture.cached("sha256") == [third.hex])
    }
}
