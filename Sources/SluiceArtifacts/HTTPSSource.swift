import AsyncHTTPClient
import SluiceConfig
import SluiceCore

/// Placeholder: its owner replaces it.
public struct HTTPSSource: ArtifactSource {
    public init(config: ArtifactsConfig.HTTPS, timeout: SluiceCore.Duration, client: HTTPClient) throws {}

    public func resolve(_ reference: ArtifactReference) async throws -> ResolvedArtifact {
        throw ArtifactFetchError(.unsupported, "not built yet")
    }

    public func download(_ file: ResolvedArtifact.File, from offset: Int64, into sink: any ArtifactSink) async throws {
        throw ArtifactFetchError(.unsupported, "not built yet")
    }
}
