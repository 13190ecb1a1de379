import AsyncHTTPClient
import Foundation
import Logging
import SluiceArtifacts
import SluiceConfig
import SluiceCore

/// An ``ArtifactFetcher`` for one command: the sources of `controller.artifacts` (defaults
/// without `--config`), the process environment for S3's credentials, and a temporary cache
/// (0700) removed by ``close()``. Progress and retries are logged to standard error.
final class ArtifactFetchSession {
    let fetcher: ArtifactFetcher
    let client: HTTPClient
    let cacheDirectory: String

    /// Reads `configPath` (exits 2 when invalid) and builds the fetcher.
    init(configPath: String?) throws {
        let config = try configPath.map { try loadControllerConfig($0).artifacts } ?? ArtifactsConfig()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-artifact-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        cacheDirectory = directory
        client = HTTPClient(eventLoopGroupProvider: .singleton)
        do {
            let sources = try ArtifactSources.live(config: config, environment: ProcessInfo.processInfo.environment, client: client)
            let logger = Logger(label: "sluice.artifact") { _ in LineLogHandler(style: .plain, level: .info) }
            fetcher = try ArtifactFetcher(config: config, cacheDirectory: directory + "/cache", sources: sources, logger: logger)
        } catch {
            try? client.syncShutdown()
            try? FileManager.default.removeItem(atPath: directory)
            throw error
        }
    }

    /// Shuts the HTTP client down and removes the temporary cache.
    func close() async {
        await fetcher.shutdown()
        try? await client.shutdown()
        try? FileManager.default.removeItem(atPath: cacheDirectory)
    }
}
