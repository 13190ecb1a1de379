import Crypto
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import SluiceArtifacts
import SluiceConfig
import SluiceCore
import Testing

@testable import SluiceController

/// Passes over artifacts fetched in the background, with the manual clock: a pass never waits
/// for a download, the model says FetchingArtifact until it is ready, a failure keeps what
/// runs with the reason, and a failed fetch is tried again after a minute.
///
/// The source is a TEST SOURCE (no network): objects in memory, a switch that makes it fail,
/// and a gate that holds downloads. The real sources have their own suites against moto,
/// an HTTPS server and mlflow; this suite is about the controller.
@Suite(.timeLimit(.minutes(10))) struct RemoteArtifactPassTests {
    final class MemorySource: ArtifactSource, @unchecked Sendable {
        let objects = NIOLockedValueBox<[String: String]>([:])
        let failing = NIOLockedValueBox(false)
        let held = NIOLockedValueBox(false)

        func resolve(_ reference: ArtifactReference) async throws -> ResolvedArtifact {
            guard case .https(let url) = reference else { throw ArtifactFetchError(.unsupported, "https only") }
            if failing.withLockedValue({ $0 }) { throw ArtifactFetchError(.notFound, "nothing at \(url) (404)") }
            guard let text = objects.withLockedValue({ $0[url] }) else { throw ArtifactFetchError(.notFound, "nothing at \(url) (404)") }
            return ResolvedArtifact(reference: reference, files: [.init(path: "", location: url, size: Int64(text.utf8.count))])
        }

        func download(_ file: ResolvedArtifact.File, from offset: Int64, into sink: any ArtifactSink) async throws {
            while held.withLockedValue({ $0 }) { try await Task.sleep(for: .milliseconds(10)) }
            let text = objects.withLockedValue { $0[file.location] } ?? ""
            try await sink.write(ByteBuffer(bytes: Array(text.utf8).dropFirst(Int(offset))))
        }
    }

    static let v1 = #"{"model": "remote v1"}"# + "\n"
    static let url = "https://models.example.com/fraud/v1.json"

    static func manifest(digest: String) -> String {
        "apiVersion: sluice/v1\nkind: ModelDeployment\nmetadata:\n  name: fraud\nspec:\n  runtime: python-v2\n  versions:\n"
            + "    - name: v1\n      artifact: \(url)\n      digest: \(digest)\n  traffic: {v1: 100}\n"
    }

    static func fixture(_ source: MemorySource) async throws -> ControllerFixture {
        var config = ArtifactsConfig()
        config.retries = 0
        let cache = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-fetch-\(UUID().uuidString)").path
        let fetcher = try ArtifactFetcher(config: config, cacheDirectory: cache, sources: ArtifactSources(https: source), logger: Logger(label: "test"))
        return try await ControllerFixture(artifactFetcher: fetcher)
    }

    /// Passes until `condition` holds (the fetch runs on its own task, in real time).
    static func passUntil(_ fixture: ControllerFixture, _ condition: () async -> Bool) async throws {
        for _ in 0..<2000 {
            await fixture.pass(.rolloutTick)
            if await condition() { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        Issue.record("the condition never held; state: \(String(describing: await fixture.state()))")
    }

    @Test("a pass does not wait for the download: FetchingArtifact until it is verified, then the version runs the cached file")
    func fetchedInTheBackground() async throws {
        let source = MemorySource()
        source.objects.withLockedValue { $0[Self.url] = Self.v1 }
        source.held.withLockedValue { $0 = true }
        let fixture = try await Self.fixture(source)
        let digest = "sha256:" + SHA256.hexDigest(of: Array(Self.v1.utf8))
        try fixture.commit("v1 from https", ["fraud": Self.manifest(digest: digest)])
        await fixture.pass(.start)
        let waiting = try #require(await fixture.state())
        #expect(waiting.reason == .fetchingArtifact)
        #expect(waiting.health == .progressing)
        #expect(waiting.message.contains("fetching artifact 'https://models.example.com/fraud/v1.json'"), "\(waiting.message)")
        #expect(fixture.weights() == nil, "nothing runs before the artifact is verified")

        source.held.withLockedValue { $0 = false }
        try await Self.passUntil(fixture) { fixture.weights() == ["v1": 100] }
        let path = try #require(fixture.backend.spec?.model("fraud")?.versions.first?.artifact)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == Self.v1)
    }

    @Test("a failed fetch keeps what runs, says why, and is tried again after a minute")
    func failureThenRetry() async throws {
        let source = MemorySource()
        source.objects.withLockedValue { $0[Self.url] = Self.v1 }
        let fixture = try await Self.fixture(source)
        let digest = "sha256:" + SHA256.hexDigest(of: Array(Self.v1.utf8))
        try fixture.commit("v1 from https", ["fraud": Self.manifest(digest: digest)])
        try await Self.passUntil(fixture) { fixture.weights() == ["v1": 100] }

        // v2 is not there yet: the fetch fails, v1 keeps serving, and status says why.
        let v2URL = "https://models.example.com/fraud/v2.json"
        let v2 = #"{"model": "remote v2"}"# + "\n"
        let v2Digest = "sha256:" + SHA256.hexDigest(of: Array(v2.utf8))
        try fixture.commit("v2", ["fraud": Self.manifest(digest: digest).replacingOccurrences(of: "  traffic: {v1: 100}\n", with: "")
            + "    - name: v2\n      artifact: \(v2URL)\n      digest: \(v2Digest)\n  traffic: {v1: 0, v2: 100}\n"])
        try await Self.passUntil(fixture) { await fixture.state()?.reason == .artifactUnavailable }
        let failed = try #require(await fixture.state())
        #expect(failed.health == .degraded)
        #expect(failed.message.contains("could not be fetched: nothing at"), "\(failed.message)")
        #expect(fixture.weights() == ["v1": 100])

        // Uploaded now: within the minute nothing is fetched again; after it, v2 rolls out.
        source.objects.withLockedValue { $0[v2URL] = v2 }
        for _ in 0..<5 { await fixture.pass(.rolloutTick) }
        #expect(await fixture.state()?.reason == .artifactUnavailable, "a failure is not retried at every pass")
        fixture.clock.advance(by: 61)
        try await Self.passUntil(fixture) { fixture.backend.spec?.model("fraud")?.versions.map(\.name).contains("v2") == true }
    }
}
