import AsyncHTTPClient
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import SluiceArtifacts
import SluiceConfig
import SluiceCore
import SluiceTestSupport
import Testing

/// Collects a download in memory (test files are small) and counts restarts.
final class MemorySink: ArtifactSink {
    private let state = NIOLockedValueBox((bytes: [UInt8](), restarts: 0))

    var bytes: [UInt8] { state.withLockedValue { $0.bytes } }
    var restarts: Int { state.withLockedValue { $0.restarts } }

    func write(_ bytes: ByteBuffer) async throws {
        state.withLockedValue { $0.bytes += bytes.readableBytesView }
    }

    func restart() async throws {
        state.withLockedValue {
            $0.bytes = []
            $0.restarts += 1
        }
    }
}

@Suite("HTTPS source against a loopback HTTPS server with a throwaway CA", .timeLimit(.minutes(10)))
struct HTTPSSourceTests {
    /// A source trusting `caFile`, shut down after `body`.
    static func withSource<T>(
        caFile: String?, timeout: SluiceCore.Duration = .seconds(120), _ body: (HTTPSSource) async throws -> T
    ) async throws -> T {
        var config = ArtifactsConfig.HTTPS()
        config.caFile = caFile
        let source = try HTTPSSource(config: config, timeout: timeout, client: HTTPClient.shared)
        do {
            let result = try await body(source)
            try await source.shutdown()
            return result
        } catch {
            try? await source.shutdown()
            throw error
        }
    }

    static func payload(_ count: Int) -> [UInt8] { (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 8) } }

    @Test("a file resolves to its size and strong ETag and downloads whole")
    func file() async throws {
        let server = try await LoopbackHTTPSServer()
        defer { server.stop() }
        let content = Self.payload(200_000)
        try Data(content).write(to: server.files.appendingPathComponent("model.bin"))
        try await Self.withSource(caFile: server.caFile) { source in
            let url = server.url("/model.bin")
            let resolved = try await source.resolve(.https(url: url))
            #expect(resolved.files.count == 1)
            let file = try #require(resolved.files.first)
            #expect(file.path == "" && file.location == url && file.size == 200_000)
            #expect(file.etag?.hasPrefix("\"") == true)
            #expect(resolved.fingerprint != nil && resolved.archive == nil)
            let sink = MemorySink()
            try await source.download(file, from: 0, into: sink)
            #expect(sink.bytes == content)
        }
    }

    @Test("a truncated body is a retryable connection error, and the retry resumes with Range and If-Range")
    func truncatedThenResumed() async throws {
        let server = try await LoopbackHTTPSServer()
        defer { server.stop() }
        let content = Self.payload(300_000)
        try Data(content).write(to: server.files.appendingPathComponent("big.bin"))
        try server.setRoutes(["/big.bin": .truncate(times: 1)])
        try await Self.withSource(caFile: server.caFile) { source in
            let file = try #require(try await source.resolve(.https(url: server.url("/big.bin"))).files.first)
            let sink = MemorySink()
            let error = await #expect(throws: ArtifactFetchError.self) { try await source.download(file, from: 0, into: sink) }
            #expect(error?.kind == .connection, "\(String(describing: error))")
            #expect(error?.isRetryable == true)
            let kept = sink.bytes.count
            #expect(kept > 0 && kept < content.count)
            try await source.download(file, from: Int64(kept), into: sink)
            #expect(sink.bytes == content)
            #expect(sink.restarts == 0)
            let last = try #require(server.requests().last)
            #expect(last.range == "bytes=\(kept)-")
            // Interrupted after the last byte: nothing more is asked for.
            let count = server.requests().count
            try await source.download(file, from: Int64(content.count), into: sink)
            #expect(server.requests().count == count && sink.bytes == content)
        }
    }

    @Test("without Content-Length, a body longer than the resolved size is badResponse, a shorter one a connection error")
    func closeDelimited() async throws {
        let server = try await LoopbackHTTPSServer()
        defer { server.stop() }
        let path = server.files.appendingPathComponent("c.bin")
        try Data(Self.payload(3000)).write(to: path)
        try server.setRoutes(["/c.bin": .closeDelimited])
        try await Self.withSource(caFile: server.caFile) { source in
            let file = try #require(try await source.resolve(.https(url: server.url("/c.bin"))).files.first)
            #expect(file.size == 3000)
            let whole = MemorySink()
            try await source.download(file, from: 0, into: whole)
            #expect(whole.bytes == Self.payload(3000))
            try Data(Self.payload(5000)).write(to: path)
            let longer = await #expect(throws: ArtifactFetchError.self) { try await source.download(file, from: 0, into: MemorySink()) }
            #expect(longer?.kind == .badResponse, "\(String(describing: longer))")
            #expect(longer?.message.contains("more than the 3000 bytes") == true)
            try Data(Self.payload(1000)).write(to: path)
            let shorter = await #expect(throws: ArtifactFetchError.self) { try await source.download(file, from: 0, into: MemorySink()) }
            #expect(shorter?.kind == .connection, "\(String(describing: shorter))")
        }
    }

    @Test("a file changed since it was resolved answers 200 to If-Range: the sink restarts from 0")
    func changedFileRestarts() async throws {
        let server = try await LoopbackHTTPSServer()
        defer { server.stop() }
        let path = server.files.appendingPathComponent("m.bin")
        try Data(Self.payload(5000)).write(to: path)
        try await Self.withSource(caFile: server.caFile) { source in
            let file = try #require(try await source.resolve(.https(url: server.url("/m.bin"))).files.first)
            let changed = [UInt8](repeating: 7, count: 6000)
            try Data(changed).write(to: path)
            let sink = MemorySink()
            try await sink.write(ByteBuffer(bytes: Self.payload(1000)))
            try await source.download(file, from: 1000, into: sink)
            #expect(sink.restarts == 1)
            #expect(sink.bytes == changed)
        }
    }

    @Test("a weak ETag gives no fingerprint, and a resume starts over rather than splice")
    func weakETag() async throws {
        let server = try await LoopbackHTTPSServer()
        defer { server.stop() }
        let content = Self.payload(4000)
        try Data(content).write(to: server.files.appendingPathComponent("w.bin"))
        try server.setRoutes(["/w.bin": .weakETag])
        try await Self.withSource(caFile: server.caFile) { source in
            let resolved = try await source.resolve(.https(url: server.url("/w.bin")))
            #expect(resolved.fingerprint == nil && resolved.files.first?.etag == nil)
            let sink = MemorySink()
            try await sink.write(ByteBuffer(bytes: content.prefix(100)))
            try await source.download(try #require(resolved.files.first), from: 100, into: sink)
            #expect(sink.restarts == 1 && sink.bytes == content)
            #expect(server.requests().last?.range == nil)
        }
    }

    @Test("a server refusing HEAD is resolved by a ranged GET of byte 0")
    func headRefused() async throws {
        let server = try await LoopbackHTTPSServer()
        defer { server.stop() }
        try Data(Self.payload(777)).write(to: server.files.appendingPathComponent("h.bin"))
        try server.setRoutes(["/h.bin": .refuseHead])
        try await Self.withSource(caFile: server.caFile) { source in
            let resolved = try await source.resolve(.https(url: server.url("/h.bin")))
            #expect(resolved.files.first?.size == 777)
            #expect(server.requests().map(\.method) == ["HEAD", "GET"])
            #expect(server.requests().last?.range == "bytes=0-0")
        }
    }

    @Test("redirects: the same host keeps the Authorization from user info, another host never gets it")
    func redirects() async throws {
        let server = try await LoopbackHTTPSServer()
        defer { server.stop() }
        let content = Self.payload(1234)
        try Data(content).write(to: server.files.appendingPathComponent("real.bin"))
        try server.setRoutes([
            "/same": .redirect(to: "/real.bin", status: 301),
            "/cross": .redirect(to: server.url("/real.bin", host: "localhost"), status: 307),
        ])
        try await Self.withSource(caFile: server.caFile) { source in
            let same = "https://user:s3cret@127.0.0.1:\(server.port)/same"
            let file = try #require(try await source.resolve(.https(url: same)).files.first)
            #expect(file.size == 1234)
            let sink = MemorySink()
            try await source.download(file, from: 0, into: sink)
            #expect(sink.bytes == content)
            let cross = "https://user:s3cret@127.0.0.1:\(server.port)/cross"
            let crossSink = MemorySink()
            try await source.download(try #require(try await source.resolve(.https(url: cross)).files.first), from: 0, into: crossSink)
            #expect(crossSink.bytes == content)
        }
        let requests = server.requests()
        let basic = "Basic " + Data("user:s3cret".utf8).base64EncodedString()
        #expect(requests.filter { $0.host?.hasPrefix("127.0.0.1") == true }.allSatisfy { $0.authorization == basic })
        let crossHost = requests.filter { $0.host?.hasPrefix("localhost") == true }
        #expect(crossHost.count == 2)  // HEAD and GET, both followed to the other host
        #expect(crossHost.allSatisfy { $0.authorization == nil })
    }

    @Test("a redirect loop, too many redirects and a redirect to http are badResponse; a presigned query is never shown")
    func badRedirects() async throws {
        let server = try await LoopbackHTTPSServer()
        defer { server.stop() }
        var routes: [String: LoopbackHTTPSServer.Route] = [
            "/loop-a": .redirect(to: "/loop-b?X-Amz-Signature=topsecret"), "/loop-b": .redirect(to: "/loop-a?X-Amz-Signature=topsecret"),
            "/down": .redirect(to: "http://127.0.0.1:\(server.port)/real.bin?X-Amz-Signature=topsecret"),
        ]
        for hop in 0..<8 { routes["/hop\(hop)"] = .redirect(to: "/hop\(hop + 1)") }
        try server.setRoutes(routes)
        try await Self.withSource(caFile: server.caFile) { source in
            for (path, words) in [("/loop-a", "loop"), ("/down", "not https"), ("/hop0", "more than 5")] {
                let url = server.url(path) + "?X-Amz-Signature=topsecret"
                let error = await #expect(throws: ArtifactFetchError.self) { try await source.resolve(.https(url: url)) }
                #expect(error?.kind == .badResponse, "\(path): \(String(describing: error))")
                #expect(error?.message.contains(words) == true, "\(path): \(String(describing: error))")
                #expect(error?.message.contains("topsecret") == false)
                #expect(error?.message.contains("REDACTED") == true)
            }
        }
    }

    @Test("404 is notFound, 403 unauthorized, 503 and 429 unavailable")
    func statuses() async throws {
        let server = try await LoopbackHTTPSServer()
        defer { server.stop() }
        try server.setRoutes(["/forbidden": .status(401), "/busy": .status(503), "/slow-down": .status(429)])
        try await Self.withSource(caFile: server.caFile) { source in
            for (path, kind) in [("/missing.bin", ArtifactFetchError.Kind.notFound), ("/forbidden", .unauthorized), ("/busy", .unavailable), ("/slow-down", .unavailable)] {
                let error = await #expect(throws: ArtifactFetchError.self) { try await source.resolve(.https(url: server.url(path))) }
                #expect(error?.kind == kind, "\(path): \(String(describing: error))")
            }
            let missing = ResolvedArtifact.File(path: "", location: server.url("/missing.bin"))
            let error = await #expect(throws: ArtifactFetchError.self) { try await source.download(missing, from: 0, into: MemorySink()) }
            #expect(error?.kind == .notFound)
        }
    }

    @Test("a server whose CA the config does not trust fails with a clear TLS error")
    func untrustedCA() async throws {
        let server = try await LoopbackHTTPSServer()
        defer { server.stop() }
        try Data("x".utf8).write(to: server.files.appendingPathComponent("x.bin"))
        try await Self.withSource(caFile: server.untrustedCAFile) { source in
            let error = await #expect(throws: ArtifactFetchError.self) { try await source.resolve(.https(url: server.url("/x.bin"))) }
            #expect(error?.message.contains("TLS with https://127.0.0.1:\(server.port)/x.bin failed") == true, "\(String(describing: error))")
            #expect(error?.message.contains("caFile") == true)
            #expect(error?.message.contains("CERTIFICATE_VERIFY_FAILED") == true)
        }
        try await Self.withSource(caFile: nil) { source in
            let error = await #expect(throws: ArtifactFetchError.self) { try await source.resolve(.https(url: server.url("/x.bin"))) }
            #expect(error?.message.contains("TLS") == true, "\(String(describing: error))")
        }
    }

    @Test("an unreadable or empty CA file is refused when the source is made")
    func badCAFile() throws {
        var config = ArtifactsConfig.HTTPS()
        config.caFile = "/nonexistent/ca.pem"
        #expect(throws: ArtifactFetchError.self) { try HTTPSSource(config: config, timeout: .seconds(1), client: HTTPClient.shared) }
    }

    @Test("a server that stalls past the timeout is a timeout")
    func stall() async throws {
        let server = try await LoopbackHTTPSServer()
        defer { server.stop() }
        try Data("x".utf8).write(to: server.files.appendingPathComponent("s.bin"))
        try server.setRoutes(["/s.bin": .stall(seconds: 5)])
        try await Self.withSource(caFile: server.caFile, timeout: SluiceCore.Duration(milliseconds: 300)) { source in
            let error = await #expect(throws: ArtifactFetchError.self) { try await source.resolve(.https(url: server.url("/s.bin"))) }
            #expect(error?.kind == .timeout, "\(String(describing: error))")
        }
    }

    @Test("a .tar.gz and a .zip resolve as archives, download and unpack into directories")
    func archives() async throws {
        let server = try await LoopbackHTTPSServer()
        defer { server.stop() }
        let fixtures = try await ArchiveFixtures.make()
        defer { fixtures.remove() }
        for name in ["good-pax.tar.gz", "good.zip"] {
            try FileManager.default.copyItem(atPath: fixtures.path(name), toPath: server.files.appendingPathComponent(name).path)
        }
        try await Self.withSource(caFile: server.caFile) { source in
            for (name, format) in [("good-pax.tar.gz", ArchiveFormat.tarGzip), ("good.zip", .zip)] {
                let resolved = try await source.resolve(.https(url: server.url("/\(name)?token=abc")))
                #expect(resolved.archive == format && resolved.isDirectory)
                let sink = MemorySink()
                try await source.download(try #require(resolved.files.first), from: 0, into: sink)
                let downloaded = fixtures.path("downloaded-\(name)")
                try Data(sink.bytes).write(to: URL(fileURLWithPath: downloaded))
                let out = fixtures.output(name)
                try await ArchiveUnpacker.unpackDetached(downloaded, format: format, into: out, limits: ArchiveLimits(maxBytes: 1 << 20))
                #expect(try String(contentsOfFile: out + "/model/config.json", encoding: .utf8) == "{\"a\": 1}\n")
            }
        }
    }
}

@Suite("HTTPS source lifecycle", .timeLimit(.minutes(10)))
struct HTTPSSourceLifecycleTests {
    @Test("shutdown is idempotent, and a source released without it does not stop the process")
    func shutdown() async throws {
        let source = try HTTPSSource(config: ArtifactsConfig.HTTPS(), timeout: .seconds(1), client: HTTPClient.shared)
        try await source.shutdown()
        try await source.shutdown()
        _ = try HTTPSSource(config: ArtifactsConfig.HTTPS(), timeout: .seconds(1), client: HTTPClient.shared)
        try await Task.sleep(for: .milliseconds(50))
    }
}
