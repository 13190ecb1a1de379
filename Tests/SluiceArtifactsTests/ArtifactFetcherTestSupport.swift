import Crypto
import Foundation
import Logging
import NIOConcurrencyHelpers
import SluiceConfig
import SluiceCore
import SluiceTestSupport

@testable import SluiceArtifacts

/// A temporary directory with a `served/` tree for a ``DirectorySource`` and a `cache/`.
struct FetcherFixture {
    let base: String
    let source: DirectorySource
    let lines = NIOLockedValueBox<[String]>([])
    var config = ArtifactsConfig()
    var tuning = ArtifactFetcher.Tuning(backoff: .milliseconds(1), maxBackoff: .milliseconds(4))
    var unpack = ArchiveUnpack.standard

    init() throws {
        base = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-cache-test-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: "\(base)/served", withIntermediateDirectories: true)
        source = DirectorySource(root: "\(base)/served")
        config.retries = 3
        config.timeout = .seconds(30)
    }

    var served: String { "\(base)/served" }
    var cacheDirectory: String { "\(base)/cache" }

    /// A fetcher over the fixture's source (as the https and s3 sources) and cache; a second
    /// one made later on the same cache stands for the controller after a restart.
    func fetcher() throws -> ArtifactFetcher {
        try ArtifactFetcher(
            config: config, cacheDirectory: cacheDirectory, sources: ArtifactSources(s3: source, https: source),
            logger: CapturedLog.logger(into: lines), tuning: tuning, unpack: unpack)
    }

    /// Writes `bytes` to `served/<path>`; returns their sha256 digest.
    @discardableResult
    func serve(_ path: String, _ bytes: [UInt8]) throws -> SluiceCore.Digest {
        let full = "\(served)/\(path)"
        try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(bytes).write(to: URL(fileURLWithPath: full))
        return Self.digest(bytes)
    }

    static func digest(_ bytes: [UInt8]) -> SluiceCore.Digest {
        SluiceCore.Digest.computed(.sha256, SHA256.hexDigest(of: bytes))
    }

    /// Deterministic bytes that differ by `seed`.
    static func bytes(_ count: Int, seed: UInt8 = 1) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ Int(seed) &* 7 &+ ($0 >> 9)) }
    }

    /// Names in a cache subdirectory.
    func cached(_ sub: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "\(cacheDirectory)/\(sub)")) ?? []).filter { !$0.hasPrefix(".") }.sorted()
    }

    func remove() { try? FileManager.default.removeItem(atPath: base) }
}

extension ArtifactReference {
    /// `https://test.invalid/<path>`: a file the ``DirectorySource`` serves.
    static func test(_ path: String) -> ArtifactReference { .https(url: "https://test.invalid/\(path)") }
    /// `s3://bucket/<prefix>/`: a directory the ``DirectorySource`` serves.
    static func testDirectory(_ prefix: String) -> ArtifactReference { .s3(bucket: "bucket", key: "\(prefix)/") }
}
