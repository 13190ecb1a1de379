import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import SluiceArtifacts
import SluiceConfig
import SluiceCore

/// A sink writing to a file, as the cache's would; counts restarts.
actor MLflowFileSink: ArtifactSink {
    let url: URL
    private(set) var restarts = 0

    init(url: URL) throws {
        self.url = url
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: url.path, contents: nil)
    }

    func write(_ bytes: ByteBuffer) async throws {
        let handle = try FileHandle(forWritingTo: url)
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(bytes.readableBytesView))
    }

    func restart() async throws {
        restarts += 1
        try Data().write(to: url)
    }
}

enum MLflowTesting {
    /// A fresh temporary directory.
    static func temporaryDirectory(_ label: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-\(label)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Writes `token` to a new file of mode `mode` and returns its path.
    static func tokenFile(_ token: String, in directory: URL, mode: mode_t = 0o600, name: String = "token") throws -> String {
        let path = directory.appendingPathComponent(name).path
        try (token + "\n").write(toFile: path, atomically: false, encoding: .utf8)
        chmod(path, mode)
        return path
    }

    /// Resolves `text` and downloads every file into `directory`; returns the resolution and
    /// the DirectoryDigest of what was written.
    static func fetch(_ text: String, with source: MLflowSource, into directory: URL) async throws -> (ResolvedArtifact, SluiceCore.Digest) {
        let resolved = try await source.resolve(ArtifactReference.parse(text))
        var entries: [DirectoryDigest.Entry] = []
        for file in resolved.files {
            let target = directory.appendingPathComponent(file.path)
            try await source.download(file, from: 0, into: try MLflowFileSink(url: target))
            let data = try Data(contentsOf: target)
            entries.append(.init(path: file.path, size: Int64(data.count), sha256: SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()))
        }
        return (resolved, DirectoryDigest.digest(entries))
    }

    /// Runs `body` with an HTTP client that is shut down afterwards (redirects refused, as the
    /// token must only go to the configured server).
    static func withClient<T>(_ body: (HTTPClient) async throws -> T) async throws -> T {
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        do {
            let result = try await body(client)
            try await client.shutdown()
            return result
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    /// The error `body` throws, as an ArtifactFetchError (nil when it threw nothing or something else).
    static func fetchError(_ body: () async throws -> Void) async -> ArtifactFetchError? {
        do {
            try await body()
            return nil
        } catch let error as ArtifactFetchError {
            return error
        } catch {
            return ArtifactFetchError(.io, "unexpected error type: \(error)")
        }
    }
}
