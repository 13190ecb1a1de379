import AsyncHTTPClient
import Foundation
import NIOCore
import SluiceArtifacts
import SluiceConfig
import SluiceCore
import SluiceTestSupport
import Testing

/// MLflowSource against a real `mlflow server` (SQLite backend, local artifact store behind
/// its artifact proxy) with two versions of an sklearn iris model registered by the MLflow
/// python client. One server per test: starting one and registering models takes a while.
@Suite(
    "MLflowSource against a real mlflow server",
    .enabled(if: MLflowServer.isAvailable, "needs mlflow in .build/python-peers (scripts/setup-python-peers.sh); SLUICE_REQUIRE_PEERS=1 fails instead of skipping"), .timeLimit(.minutes(10)))
struct MLflowRegistryTests {
    struct Digests: Decodable {
        var digest: String
        var files: [String]
    }

    struct Setup: Decodable {
        var versions: [String]
    }

    @Test("versions and an alias resolve to the files MLflow stored; a re-pointed alias changes the fingerprint; missing ones are notFound")
    func versionsAliasesAndMissing() async throws {
        let server = try await MLflowServer()
        defer { server.stop() }
        let setup = try JSONDecoder().decode(
            Setup.self, from: Data(try await server.fixture(["setup", server.baseURL, "iris", "champion"]).utf8))
        #expect(setup.versions == ["1", "2"])
        let expected = try JSONDecoder().decode(
            [String: Digests].self,
            from: Data(try await server.fixture(["digest", server.baseURL, "iris", server.artifactsDirectory.path, "1", "2"]).utf8))
        let work = try MLflowTesting.temporaryDirectory("mlflow-registry")
        defer { try? FileManager.default.removeItem(at: work) }

        try await MLflowTesting.withClient { client in
            let source = try MLflowSource(config: .init(url: server.baseURL), timeout: .seconds(120), client: client)
            let (one, oneDigest) = try await MLflowTesting.fetch("models:/iris/1", with: source, into: work.appendingPathComponent("v1"))
            let (two, twoDigest) = try await MLflowTesting.fetch("models:/iris/2", with: source, into: work.appendingPathComponent("v2"))
            // The same files, byte for byte, as the python script finds in the artifact store.
            #expect(one.files.map(\.path) == expected["1"]?.files)
            #expect(oneDigest.description == expected["1"]?.digest)
            #expect(twoDigest.description == expected["2"]?.digest)
            #expect(one.files.map(\.path).contains("MLmodel"))
            #expect(one.files.count >= 3, "MLmodel, the model file and its environment")
            #expect(one.isDirectory)
            #expect(one.fingerprint != nil && one.fingerprint != two.fingerprint)

            // The alias points at version 1: same files, same identity.
            let (champion, championDigest) = try await MLflowTesting.fetch(
                "models:/iris@champion", with: source, into: work.appendingPathComponent("champion"))
            #expect(championDigest == oneDigest)
            #expect(champion.fingerprint == one.fingerprint)

            // Re-pointed to version 2 (through the REST API, as an operator's script would).
            var request = HTTPClientRequest(url: "\(server.baseURL)/api/2.0/mlflow/registered-models/alias")
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: #"{"name": "iris", "alias": "champion", "version": "2"}"#))
            let answer = try await client.execute(request, timeout: .seconds(120))
            _ = try await answer.body.collect(upTo: 1 << 20)
            #expect(answer.status == .ok)
            let moved = try await source.resolve(ArtifactReference.parse("models:/iris@champion"))
            #expect(moved.fingerprint == two.fingerprint)
            #expect(moved.fingerprint != champion.fingerprint)

            // Nothing there: notFound, naming what was asked for.
            let missingVersion = await MLflowTesting.fetchError { _ = try await source.resolve(ArtifactReference.parse("models:/iris/99")) }
            #expect(missingVersion?.kind == .notFound)
            #expect(missingVersion?.message.contains("models:/iris/99") == true)
            let missingModel = await MLflowTesting.fetchError { _ = try await source.resolve(ArtifactReference.parse("models:/nosuch/1")) }
            #expect(missingModel?.kind == .notFound)
            #expect(missingModel?.message.contains("models:/nosuch/1") == true)
            let missingAlias = await MLflowTesting.fetchError { _ = try await source.resolve(ArtifactReference.parse("models:/iris@nosuch")) }
            #expect(missingAlias?.kind == .notFound)
            #expect(missingAlias?.message.contains("models:/iris@nosuch") == true)

            // A resumed download: the proxy honours Range, so only the rest is sent.
            let model = try #require(one.files.first { $0.path == "MLmodel" })
            let whole = try Data(contentsOf: work.appendingPathComponent("v1/MLmodel"))
            let partial = work.appendingPathComponent("partial/MLmodel")
            let sink = try MLflowFileSink(url: partial)
            try await source.download(model, from: 10, into: sink)
            let restarts = await sink.restarts
            let rest = try Data(contentsOf: partial)
            #expect(restarts == 0 ? rest == whole.dropFirst(10) : rest == whole, "a resumed download is the file's tail, or the whole file after a restart")
            #expect(restarts == 0, "the artifact proxy answers ranges")
        }
    }

    @Test("the token is read per request and sent as a bearer token; a wrong one is unauthorized and never shown")
    func tokenThroughAnAuthProxy() async throws {
        let server = try await MLflowServer()
        defer { server.stop() }
        _ = try await server.fixture(["register", server.baseURL, "iris"])
        let work = try MLflowTesting.temporaryDirectory("mlflow-token")
        defer { try? FileManager.default.removeItem(at: work) }
        // The proxy's own copy of the token the server expects; Sluice's file is separate.
        let expected = try MLflowTesting.tokenFile("right-token-1", in: work, name: "expected")
        let proxy = try await MLflowAuthProxy(server: server, tokenFile: expected)
        defer { proxy.stop() }
        let ours = try MLflowTesting.tokenFile("wrong-token-SECRET", in: work, name: "ours")

        try await MLflowTesting.withClient { client in
            let source = try MLflowSource(config: .init(url: proxy.baseURL, tokenFile: ours), timeout: .seconds(120), client: client)
            let refused = await MLflowTesting.fetchError { _ = try await source.resolve(ArtifactReference.parse("models:/iris/1")) }
            #expect(refused?.kind == .unauthorized)
            #expect(refused?.message.contains("SECRET") == false)
            #expect(refused?.message.contains("models:/iris/1") == true)

            // Rotated in place: the next request reads it.
            _ = try MLflowTesting.tokenFile("right-token-1", in: work, name: "ours")
            let (resolved, _) = try await MLflowTesting.fetch("models:/iris/1", with: source, into: work.appendingPathComponent("v1"))
            #expect(resolved.files.map(\.path).contains("MLmodel"))

            // Rotated at the server and in the file: still works without a new source.
            _ = try MLflowTesting.tokenFile("right-token-2", in: work, name: "expected")
            _ = try MLflowTesting.tokenFile("right-token-2", in: work, name: "ours")
            _ = try await source.resolve(ArtifactReference.parse("models:/iris/1"))

            // Without a token at all: unauthorized, saying none is configured.
            let anonymous = try MLflowSource(config: .init(url: proxy.baseURL), timeout: .seconds(120), client: client)
            let none = await MLflowTesting.fetchError { _ = try await anonymous.resolve(ArtifactReference.parse("models:/iris/1")) }
            #expect(none?.kind == .unauthorized)
            #expect(none?.message.contains("tokenFile") == true)
        }
        let seen = try String(contentsOfFile: expected + ".seen", encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(seen.contains("Bearer wrong-token-SECRET"))
        #expect(seen.contains("Bearer right-token-1"))
        #expect(seen.contains("Bearer right-token-2"))
    }
}
