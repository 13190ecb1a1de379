import AsyncHTTPClient
import Foundation
import NIOConcurrencyHelpers
import SluiceArtifacts
import SluiceConfig
import SluiceCore
import SluiceTestSupport
import Testing

/// What a real mlflow server never answers, so these run against a loopback stub
/// (Fixtures/mlflow_hostile_stub.py, a python `http.server`): hostile listings, absurd sizes,
/// malformed JSON, error statuses, artifact URIs outside the proxy; plus the checks made
/// before any request (the URL, the token file).
@Suite("MLflowSource refuses hostile answers and unsafe configuration", .timeLimit(.minutes(10)))
struct MLflowHostileTests {
    /// The stub process, on a kernel-chosen port.
    final class Stub: @unchecked Sendable {
        let baseURL: String
        let seenFile: String
        let directory: URL
        private let process: SpawnedProcess

        init() async throws {
            directory = try MLflowTesting.temporaryDirectory("mlflow-stub")
            seenFile = directory.appendingPathComponent("seen").path
            let log = directory.appendingPathComponent("stub.log")
            _ = FileManager.default.createFile(atPath: log.path, contents: nil)
            let script = MLflowServer.packageRoot.appendingPathComponent("Tests/SluiceArtifactsTests/Fixtures/mlflow_hostile_stub.py").path
            process = SpawnedProcess()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", "-u", script, seenFile]
            process.standardOutput = try FileHandle(forWritingTo: log)
            process.standardError = try FileHandle(forWritingTo: log)
            try process.run()
            var port: Int?
            for _ in 0..<500 where port == nil {
                let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
                if let range = text.range(of: "port ") { port = Int(text[range.upperBound...].prefix { $0.isNumber }) }
                if port == nil { try await Task.sleep(for: .milliseconds(20)) }
            }
            guard let port else {
                process.signal(SIGKILL)
                throw FixtureError(message: "the MLflow stub did not start: \((try? String(contentsOf: log, encoding: .utf8)) ?? "")")
            }
            baseURL = "http://127.0.0.1:\(port)"
        }

        func stop() {
            process.signal(SIGKILL)
            try? FileManager.default.removeItem(at: directory)
        }

        /// The Authorization values the stub received, in order ("-" for none).
        func seen() -> [String] {
            ((try? String(contentsOfFile: seenFile, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
        }
    }

    private func withStub(tokenFile: String? = nil, _ body: (Stub, MLflowSource) async throws -> Void) async throws {
        let stub = try await Stub()
        defer { stub.stop() }
        try await MLflowTesting.withClient { client in
            // Generous: the machine may be loaded; only the stall tests rely on a timeout firing.
            let source = try MLflowSource(config: .init(url: stub.baseURL, tokenFile: tokenFile), timeout: .seconds(120), client: client)
            try await body(stub, source)
        }
    }

    private func resolveError(_ source: MLflowSource, _ text: String) async -> ArtifactFetchError? {
        await MLflowTesting.fetchError { _ = try await source.resolve(ArtifactReference.parse(text)) }
    }

    @Test("hostile listings: paths leaving the directory, absurd or missing sizes, endless nesting, duplicates")
    func hostileListings() async throws {
        try await withStub { _, source in
            for (name, kind) in [
                ("dotdot", ArtifactFetchError.Kind.unsafePath), ("dotdotdir", .unsafePath), ("slash", .unsafePath), ("absolute", .unsafePath),
                ("escape", .unsafePath), ("huge", .badResponse), ("overflow", .badResponse), ("negative", .badResponse),
                ("nosize", .badResponse), ("deep", .badResponse), ("twice", .badResponse), ("badlisting", .badResponse),
                ("empty", .notFound), ("fivehundred", .unavailable),
            ] {
                let error = await resolveError(source, "models:/\(name)/3")
                #expect(error?.kind == kind, "\(name): \(error?.message ?? "no error")")
                #expect(error?.message.contains("models:/\(name)/3") == true, "\(name): \(error?.message ?? "")")
            }
        }
    }

    @Test("REST errors map to kinds: 404 and RESOURCE_DOES_NOT_EXIST notFound, 403 unauthorized, 503 unavailable, bad JSON badResponse")
    func restErrors() async throws {
        try await withStub { _, source in
            for (text, kind) in [
                ("models:/missing/1", ArtifactFetchError.Kind.notFound), ("models:/missing400/1", .notFound),
                ("models:/missing@champion", .notFound), ("models:/forbidden/1", .unauthorized),
                ("models:/unavailable/1", .unavailable), ("models:/badjson/1", .badResponse), ("models:/noversion/1", .badResponse),
                ("models:/othermodel/1", .badResponse), ("models:/otherversion/1", .badResponse), ("models:/s3/1", .unsupported),
            ] {
                let error = await resolveError(source, text)
                #expect(error?.kind == kind, "\(text): \(error?.message ?? "no error")")
                #expect(error?.message.contains(text) == true, "\(text): \(error?.message ?? "")")
                #expect(error?.message.contains("SECRETSIG") == false, "a presigned URL's query is redacted")
            }
            let missing = await resolveError(source, "models:/missing/4")
            #expect(missing?.message.contains("models:/missing/4") == true)
        }
    }

    @Test("a good answer: nested files, sizes as numbers or strings, an alias names its version, a host-form URI stays on the configured server")
    func goodAnswerAndDownloads() async throws {
        try await withStub { _, source in
            let resolved = try await source.resolve(ArtifactReference.parse("models:/good/3"))
            #expect(resolved.files.map(\.path) == ["MLmodel", "sub/model.pkl"])
            #expect(resolved.files.map(\.size) == [5, 3])
            #expect(resolved.files.map(\.location) == ["good/MLmodel", "good/sub/model.pkl"])
            let hosted = try await source.resolve(ArtifactReference.parse("models:/hosted/3"))
            #expect(hosted.files.map(\.location) == ["good/MLmodel", "good/sub/model.pkl"])

            let work = try MLflowTesting.temporaryDirectory("mlflow-stub-download")
            defer { try? FileManager.default.removeItem(at: work) }
            // The stub ignores Range: the source restarts the sink and sends the whole file.
            let sink = try MLflowFileSink(url: work.appendingPathComponent("MLmodel"))
            try await sink.write(.init(string: "he"))
            try await source.download(resolved.files[0], from: 2, into: sink)
            #expect(await sink.restarts == 1)
            #expect(try String(contentsOf: work.appendingPathComponent("MLmodel"), encoding: .utf8) == "hello")

            // More, or fewer, bytes than listed.
            for name in ["oversend", "short"] {
                let listed = try await source.resolve(ArtifactReference.parse("models:/\(name)/1"))
                let error = await MLflowTesting.fetchError {
                    try await source.download(listed.files[0], from: 0, into: try MLflowFileSink(url: work.appendingPathComponent(name)))
                }
                #expect(error?.kind == .badResponse, "\(name): \(error?.message ?? "no error")")
            }
            // A file that vanished after listing.
            let gone = ResolvedArtifact.File(path: "MLmodel", location: "gone/MLmodel", size: 5)
            let error = await MLflowTesting.fetchError {
                try await source.download(gone, from: 0, into: try MLflowFileSink(url: work.appendingPathComponent("gone")))
            }
            #expect(error?.kind == .notFound)
        }
    }

    @Test("a kept-alive connection the server closed as the next request came is not a failure: the request goes again on a new one")
    func closedKeptAliveConnection() async throws {
        try await withStub { stub, source in
            // Every request after a connection's first is cut off unanswered (resolving takes
            // three, each on a connection the last one left in the pool).
            let resolved = try await source.resolve(ArtifactReference.parse("models:/stale/1"))
            #expect(resolved.files.map(\.path) == ["MLmodel"])
            let work = try MLflowTesting.temporaryDirectory("mlflow-stub-stale")
            defer { try? FileManager.default.removeItem(at: work) }
            try await source.download(resolved.files[0], from: 0, into: try MLflowFileSink(url: work.appendingPathComponent("MLmodel")))
            #expect(try String(contentsOf: work.appendingPathComponent("MLmodel"), encoding: .utf8) == "hello")
            #expect(stub.seen().filter { $0 == "closed" }.count == 3, "the listing, the download URI and the file each met a closed connection")
        }
    }

    @Test("the token file: sent as a bearer token when 0600, refused when others may read it, a symlink, or empty")
    func tokenFileChecks() async throws {
        let work = try MLflowTesting.temporaryDirectory("mlflow-token-checks")
        defer { try? FileManager.default.removeItem(at: work) }
        let token = try MLflowTesting.tokenFile("tok-SECRET", in: work)
        try await withStub(tokenFile: token) { stub, source in
            _ = try await source.resolve(ArtifactReference.parse("models:/good/3"))
            #expect(stub.seen().allSatisfy { $0 == "Bearer tok-SECRET" })
            #expect(!stub.seen().isEmpty)

            let before = stub.seen().count
            chmod(token, 0o644)
            let open = await resolveError(source, "models:/good/3")
            #expect(open?.kind == .unauthorized)
            #expect(open?.message.contains("0644") == true)
            #expect(open?.message.contains("SECRET") == false)
            #expect(stub.seen().count == before, "nothing is sent with a token others could read")
            chmod(token, 0o400)
            _ = try await source.resolve(ArtifactReference.parse("models:/good/3"))
        }
        let target = try MLflowTesting.tokenFile("tok-SECRET", in: work, name: "target")
        let link = work.appendingPathComponent("link").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
        let empty = try MLflowTesting.tokenFile("", in: work, name: "empty")
        for (path, words) in [(link, "symbolic link"), (empty, "no token"), (work.appendingPathComponent("absent").path, "cannot be opened")] {
            try await withStub(tokenFile: path) { stub, source in
                let error = await resolveError(source, "models:/good/3")
                #expect(error?.kind == .unauthorized)
                #expect(error?.message.contains(words) == true, "\(error?.message ?? "")")
                #expect(error?.message.contains("SECRET") == false)
                #expect(stub.seen().isEmpty)
            }
        }
    }

    @Test("the URL: https, or http only to loopback; no user info")
    func urlChecks() async throws {
        try await MLflowTesting.withClient { client in
            for url in ["https://mlflow.example.com", "https://mlflow.example.com/prefix/", "http://127.0.0.1:5000", "http://localhost:5000/", "http://[::1]:5000"] {
                _ = try MLflowSource(config: .init(url: url), timeout: .seconds(5), client: client)
            }
            for url in ["http://mlflow.example.com", "http://10.0.0.1:5000", "ftp://127.0.0.1", "https://user:hunter2@mlflow.example.com", "mlflow.example.com", "https://h/?token=x"] {
                let error = await MLflowTesting.fetchError { _ = try MLflowSource(config: .init(url: url), timeout: .seconds(5), client: client) }
                #expect(error?.kind == .unsupported, "\(url)")
                #expect(error?.message.contains("hunter2") == false)
            }
        }
    }

    @Test("a body that stalls mid-file times out")
    func stalledBody() async throws {
        let stub = try await Stub()
        defer { stub.stop() }
        try await MLflowTesting.withClient { client in
            let patient = try MLflowSource(config: .init(url: stub.baseURL), timeout: .seconds(120), client: client)
            let resolved = try await patient.resolve(ArtifactReference.parse("models:/stall/1"))
            // Whether the head comes late or the body stalls after two bytes, it is a timeout.
            let source = try MLflowSource(config: .init(url: stub.baseURL), timeout: .seconds(2), client: client)
            let work = try MLflowTesting.temporaryDirectory("mlflow-stall")
            defer { try? FileManager.default.removeItem(at: work) }
            let error = await MLflowTesting.fetchError {
                try await source.download(resolved.files[0], from: 0, into: try MLflowFileSink(url: work.appendingPathComponent("MLmodel")))
            }
            #expect(error?.kind == .timeout, "\(error?.message ?? "no error")")
        }
    }

    @Test("a server that never answers times out")
    func silentServer() async throws {
        // A listener that never accepts: the connection is queued, the request never answered.
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(listener) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, length) == 0 && getsockname(listener, $0, &length) == 0 }
        }
        listen(listener, 4)
        let port = Int(UInt16(bigEndian: address.sin_port))
        try await MLflowTesting.withClient { client in
            let source = try MLflowSource(config: .init(url: "http://127.0.0.1:\(port)"), timeout: SluiceCore.Duration(milliseconds: 300), client: client)
            let error = await MLflowTesting.fetchError { _ = try await source.resolve(ArtifactReference.parse("models:/iris/1")) }
            #expect(error?.kind == .timeout, "\(error?.message ?? "no error")")
        }
    }
}
