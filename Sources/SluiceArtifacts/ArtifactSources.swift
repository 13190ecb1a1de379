import AsyncHTTPClient
import SluiceConfig
import SluiceCore

/// The sources the fetcher picks from by the reference's kind.
public struct ArtifactSources: Sendable {
    public var s3: (any ArtifactSource)?
    public var https: (any ArtifactSource)?
    public var mlflow: (any ArtifactSource)?

    public init(s3: (any ArtifactSource)? = nil, https: (any ArtifactSource)? = nil, mlflow: (any ArtifactSource)? = nil) {
        self.s3 = s3
        self.https = https
        self.mlflow = mlflow
    }

    /// The real sources for `config`, over `client`; S3 reads its credentials from
    /// `environment` (and the shared credentials file it names or `~/.aws/credentials`).
    public static func live(config: ArtifactsConfig, environment: [String: String], client: HTTPClient) throws -> ArtifactSources {
        ArtifactSources(
            s3: try S3Source(config: config.s3, timeout: config.timeout, environment: environment, client: client),
            https: try HTTPSSource(config: config.https, timeout: config.timeout, client: client),
            mlflow: try config.mlflow.map { try MLflowSource(config: $0, timeout: config.timeout, client: client) })
    }

    /// Releases every source's own resources; call once, before the shared client shuts down.
    public func shutdown() async {
        for source in [s3, https, mlflow].compactMap({ $0 }) { try? await source.shutdown() }
    }

    /// The source for `reference`; throws `.unsupported` when none can fetch it here.
    public func source(for reference: ArtifactReference) throws -> any ArtifactSource {
        let found: (any ArtifactSource)?
        switch reference {
        case .s3: found = s3
        case .https: found = https
        case .mlflow: found = mlflow
        case .clusterOnly(let scheme, _):
            throw ArtifactFetchError(.unsupported, "\(scheme):// artifacts are fetched by a cluster's runtime (the kubernetes backend); the local backend cannot fetch them")
        case .repositoryFile, .repositoryDirectory:
            throw ArtifactFetchError(.unsupported, "a path in the repository is read from git, not fetched")
        case .unsupported(_, let reason):
            throw ArtifactFetchError(.unsupported, reason)
        }
        guard let found else {
            throw ArtifactFetchError(.unsupported, "no source is configured for this artifact; models:/ needs controller.artifacts.mlflow.url")
        }
        return found
    }
}
