import AsyncHTTPClient
import Foundation
import NIOCore
import NIOPosix
import SluiceArtifacts
import SluiceConfig
import SluiceCore
import SluiceTestSupport
import Testing

@Suite("S3 source against a real moto_server that checks SigV4 signatures", .enabled(if: MotoServer.isAvailable, "needs moto_server"), .timeLimit(.minutes(10)))
struct S3SourceTests {
    @Test("an object: HEAD gives size and ETag, GET streams the bytes")
    func object() async throws {
        let ready = try await S3Fixture.shared.signed()
        let bytes = s3TestBytes(300_000)
        try await S3Fixture.createBucket(ready, "object")
        try await S3Fixture.put(ready, "object", "models/iris-v1_final.joblib", bytes)
        let source = try S3Fixture.source(ready)
        let resolved = try await source.resolve(.s3(bucket: "object", key: "models/iris-v1_final.joblib"))
        #expect(resolved.files.count == 1)
        let file = try #require(resolved.files.first)
        #expect(file.path == "")
        #expect(file.size == 300_000)
        #expect(file.etag?.isEmpty == false)
        #expect(resolved.fingerprint?.hasPrefix("sha256:") == true)
        #expect(!resolved.isDirectory)
        let sink = CollectingSink()
        try await source.download(file, from: 0, into: sink)
        #expect(await sink.data == bytes)
        #expect(await sink.restarts == 0)
        // The whole bucket (a listing whose query moto can verify): one file at its key.
        let bucket = try await source.resolve(.s3(bucket: "object", key: ""))
        #expect(bucket.files.map(\.path) == ["models/iris-v1_final.joblib"])
        #expect(bucket.files.first?.etag == file.etag)
        // Same object, same fingerprint: the cache may reuse it.
        #expect(try await source.resolve(.s3(bucket: "object", key: "models/iris-v1_final.joblib")).fingerprint == resolved.fingerprint)
    }

    @Test("resume from an offset: Range with If-Match, 206, only the rest is written")
    func resume() async throws {
        let ready = try await S3Fixture.shared.signed()
        let bytes = s3TestBytes(1_000_000, seed: 3)
        try await S3Fixture.createBucket(ready, "resume")
        try await S3Fixture.put(ready, "resume", "big.bin", bytes)
        let source = try S3Fixture.source(ready)
        let file = try #require(try await source.resolve(.s3(bucket: "resume", key: "big.bin")).files.first)
        let sink = CollectingSink()
        try await source.download(file, from: 400_001, into: sink)
        #expect(await sink.data == bytes.subdata(in: 400_001..<1_000_000))
        #expect(await sink.restarts == 0)
        // At the end already: nothing to fetch.
        let done = CollectingSink()
        try await source.download(file, from: 1_000_000, into: done)
        #expect(await done.data.isEmpty)
        // The object changed since it was resolved: If-Match fails instead of mixing two versions.
        try await S3Fixture.put(ready, "resume", "big.bin", s3TestBytes(1_000_000, seed: 9))
        let changed = await #expect(throws: ArtifactFetchError.self) { try await source.download(file, from: 10, into: CollectingSink()) }
        #expect(changed?.kind == .badResponse)
        #expect(changed?.message.contains("s3://resume/big.bin") == true)
    }

    @Test("a prefix with nested files: relative paths, directory markers skipped, fingerprint over the listing")
    func prefix() async throws {
        let ready = try await S3Fixture.shared.open()
        try await S3Fixture.createBucket(ready, "prefix")
        let contents = ["model/model-settings.json": "{}", "model/1/model.joblib": "weights", "model/1/sub/deep.txt": "deep", "other/x": "no"]
        for (key, text) in contents { try await S3Fixture.put(ready, "prefix", key, Data(text.utf8)) }
        try await S3Fixture.put(ready, "prefix", "model/empty-folder/", Data())
        let source = try S3Fixture.source(ready)
        let resolved = try await source.resolve(.s3(bucket: "prefix", key: "model/"))
        #expect(resolved.isDirectory)
        #expect(resolved.files.map(\.path).sorted() == ["1/model.joblib", "1/sub/deep.txt", "model-settings.json"])
        #expect(resolved.files.first { $0.path == "1/model.joblib" }?.size == 7)
        let deep = try #require(resolved.files.first { $0.path == "1/sub/deep.txt" })
        let sink = CollectingSink()
        try await source.download(deep, from: 0, into: sink)
        #expect(await sink.data == Data("deep".utf8))
        // Changing one object changes the fingerprint.
        try await S3Fixture.put(ready, "prefix", "model/1/model.joblib", Data("weights2".utf8))
        #expect(try await source.resolve(.s3(bucket: "prefix", key: "model/")).fingerprint != resolved.fingerprint)
        // The whole bucket (empty key) is a prefix too.
        #expect(try await source.resolve(.s3(bucket: "prefix", key: "")).files.count == 4)
    }

    @Test("pagination: every page is followed with its continuation token; a listing over the bound fails")
    func pagination() async throws {
        let ready = try await S3Fixture.shared.open()
        try await S3Fixture.createBucket(ready, "pages")
        for index in 0..<7 { try await S3Fixture.put(ready, "pages", "set/f\(index).txt", Data("\(index)".utf8)) }
        var source = try S3Fixture.source(ready)
        source.listPageSize = 2
        let resolved = try await source.resolve(.s3(bucket: "pages", key: "set/"))
        #expect(resolved.files.map(\.path).sorted() == (0..<7).map { "f\($0).txt" })
        source.maxListedKeys = 5
        let tooMany = await #expect(throws: ArtifactFetchError.self) { try await source.resolve(.s3(bucket: "pages", key: "set/")) }
        #expect(tooMany?.kind == .tooLarge)
        #expect(tooMany?.message.contains("s3://pages/set/") == true)
    }

    @Test("wrong credentials: 403 becomes unauthorized naming the reason, never the secret")
    func wrongCredentials() async throws {
        let ready = try await S3Fixture.shared.signed()
        try await S3Fixture.createBucket(ready, "locked")
        try await S3Fixture.put(ready, "locked", "m.bin", Data("x".utf8))
        let wrongSecret = "WRONGsecretWRONGsecretWRONGsecret0000000"
        let badSignature = try S3Fixture.source(ready, credentials: AWSCredentials(accessKeyId: ready.credentials.accessKeyId, secretAccessKey: wrongSecret))
        let signature = await #expect(throws: ArtifactFetchError.self) { try await badSignature.resolve(.s3(bucket: "locked", key: "dir/")) }
        #expect(signature?.kind == .unauthorized)
        #expect(signature?.message.contains("SignatureDoesNotMatch") == true)
        let unknownKey = try S3Fixture.source(ready, credentials: AWSCredentials(accessKeyId: "AKIAUNKNOWN000000000", secretAccessKey: wrongSecret))
        let invalid = await #expect(throws: ArtifactFetchError.self) {
            try await unknownKey.download(.init(path: "", location: "s3://locked/m.bin"), from: 0, into: CollectingSink())
        }
        #expect(invalid?.kind == .unauthorized)
        #expect(invalid?.message.contains("InvalidAccessKeyId") == true)
        // HEAD answers have no body: the reason is still unauthorized.
        let head = await #expect(throws: ArtifactFetchError.self) { try await badSignature.resolve(.s3(bucket: "locked", key: "m.bin")) }
        #expect(head?.kind == .unauthorized)
        #expect(head?.message.contains("SignatureDoesNotMatch") == true)
        for error in [signature, invalid, head].compactMap({ $0 }) {
            #expect(!error.message.contains(wrongSecret))
            #expect(!error.message.contains(ready.credentials.secretAccessKey))
            #expect(!"\(error)".contains(wrongSecret))
        }
    }

    @Test("a missing key, an empty prefix and a missing bucket are notFound, naming the artifact")
    func missing() async throws {
        let ready = try await S3Fixture.shared.signed()
        try await S3Fixture.createBucket(ready, "sparse")
        let source = try S3Fixture.source(ready)
        let key = await #expect(throws: ArtifactFetchError.self) { try await source.resolve(.s3(bucket: "sparse", key: "absent.bin")) }
        #expect(key?.kind == .notFound)
        #expect(key?.message.contains("s3://sparse/absent.bin") == true)
        let get = await #expect(throws: ArtifactFetchError.self) {
            try await source.download(.init(path: "", location: "s3://sparse/absent.bin"), from: 0, into: CollectingSink())
        }
        #expect(get?.kind == .notFound)
        #expect(get?.message.contains("NoSuchKey") == true)
        let noBucket = await #expect(throws: ArtifactFetchError.self) {
            try await source.download(.init(path: "", location: "s3://no-such-bucket/m.bin"), from: 0, into: CollectingSink())
        }
        #expect(noBucket?.kind == .notFound)
        #expect(noBucket?.message.contains("NoSuchBucket") == true)
        // Listings under a prefix: on the server that does not check signatures (see S3Fixture).
        let open = try await S3Fixture.shared.open()
        try await S3Fixture.createBucket(open, "sparse")
        let lister = try S3Fixture.source(open)
        let empty = await #expect(throws: ArtifactFetchError.self) { try await lister.resolve(.s3(bucket: "sparse", key: "nothing/")) }
        #expect(empty?.kind == .notFound)
        #expect(empty?.message.contains("s3://sparse/nothing/") == true)
        let bucket = await #expect(throws: ArtifactFetchError.self) { try await lister.resolve(.s3(bucket: "no-such-bucket", key: "dir/")) }
        #expect(bucket?.kind == .notFound)
        #expect(bucket?.message.contains("NoSuchBucket") == true)
        #expect(bucket?.message.contains("s3://no-such-bucket/dir/") == true)
    }

    @Test("a listing with a ../ key is refused as unsafePath; a file that is also a directory too")
    func hostileListing() async throws {
        let ready = try await S3Fixture.shared.open()
        try await S3Fixture.createBucket(ready, "hostile")
        try await S3Fixture.put(ready, "hostile", "m/ok.txt", Data("ok".utf8))
        try await S3Fixture.put(ready, "hostile", "m/../escape", Data("evil".utf8))
        let source = try S3Fixture.source(ready)
        let escape = await #expect(throws: ArtifactFetchError.self) { try await source.resolve(.s3(bucket: "hostile", key: "m/")) }
        #expect(escape?.kind == .unsafePath)
        #expect(escape?.message.contains("../escape") == true)
        try await S3Fixture.put(ready, "hostile", "c/a", Data("file".utf8))
        try await S3Fixture.put(ready, "hostile", "c/a/b", Data("nested".utf8))
        let clash = await #expect(throws: ArtifactFetchError.self) { try await source.resolve(.s3(bucket: "hostile", key: "c/")) }
        #expect(clash?.kind == .unsafePath)
    }

    @Test("a server that accepts and never answers: timeout, for resolve and download")
    func stall() async throws {
        let listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { _ in MultiThreadedEventLoopGroup.singleton.next().makeSucceededVoidFuture() }
            .bind(host: "127.0.0.1", port: 0).get()
        defer { listener.close(promise: nil) }
        let port = try #require(listener.localAddress?.port)
        var config = ArtifactsConfig.S3()
        config.endpoint = "http://127.0.0.1:\(port)"
        let source = try S3Source(
            config: config, timeout: .init(milliseconds: 300), environment: ["AWS_ACCESS_KEY_ID": "AKIAX", "AWS_SECRET_ACCESS_KEY": "s"],
            client: HTTPClient.shared)
        let resolve = await #expect(throws: ArtifactFetchError.self) { try await source.resolve(.s3(bucket: "b", key: "k.bin")) }
        #expect(resolve?.kind == .timeout)
        #expect(resolve?.message.contains("s3://b/k.bin") == true)
        let download = await #expect(throws: ArtifactFetchError.self) {
            try await source.download(.init(path: "", location: "s3://b/k.bin", size: 10), from: 0, into: CollectingSink())
        }
        #expect(download?.kind == .timeout)
        #expect(download?.isRetryable == true)
    }

    @Test("nothing listening: a connection error, retryable")
    func refused() async throws {
        let refusing = try RefusingPort()
        var config = ArtifactsConfig.S3()
        config.endpoint = "http://127.0.0.1:\(refusing.port)"
        let source = try S3Source(
            config: config, timeout: .seconds(60), environment: ["AWS_ACCESS_KEY_ID": "AKIAX", "AWS_SECRET_ACCESS_KEY": "s"], client: HTTPClient.shared)
        // The source's client does not retry a refused connect (the fetcher does, with
        // backoff): the refusal is the error, at once, not a timeout after the deadline. The
        // long timeout only leaves room for a loaded CI machine: one run among hundreds of
        // concurrent tests saw no answer within 11 s (the idle guard), which is a stall of
        // the whole process, not the source's verdict.
        let error = await #expect(throws: ArtifactFetchError.self) { try await source.resolve(.s3(bucket: "b", key: "k.bin")) }
        #expect(error?.kind == .connection, "\(String(describing: error))")
        #expect(error?.isRetryable == true)
        withExtendedLifetime(refusing) {}
    }
}
