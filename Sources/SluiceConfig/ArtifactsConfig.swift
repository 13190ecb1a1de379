import SluiceCore

/// `controller.artifacts`: how the controller fetches and caches artifacts that live outside
/// git (S3, HTTPS, an MLflow registry). Credentials are never here: S3 reads the standard AWS
/// environment variables and shared credentials file; MLflow reads `tokenFile`.
public struct ArtifactsConfig: Sendable, Hashable {
    /// Where fetched artifacts are kept, content-addressed. Nil: `<stateDirectory>/artifact-cache`.
    public var cacheDirectory: String?
    /// The cache's size cap: least recently used artifacts that nothing runs are evicted above it.
    public var maxCacheBytes: Int64 = 20 << 30
    /// The largest single artifact fetched (all files of a directory together).
    public var maxArtifactBytes: Int64 = 16 << 30
    /// How long a request may go without progress (connect, first byte, or between chunks).
    public var timeout: SluiceCore.Duration = .seconds(30)
    /// Attempts after the first for a retryable failure, with exponential backoff.
    public var retries: Int = 4
    /// S3 and S3-compatible stores.
    public var s3 = S3()
    /// HTTPS downloads.
    public var https = HTTPS()
    /// The MLflow tracking server that resolves `models:/` references; nil: `models:/` is refused.
    public var mlflow: MLflow?

    public init() {}

    /// `controller.artifacts.s3`.
    public struct S3: Sendable, Hashable {
        /// Endpoint of an S3-compatible store (MinIO, Ceph, R2). Nil: `AWS_ENDPOINT_URL_S3`,
        /// then `AWS_ENDPOINT_URL`, then AWS's regional endpoint.
        public var endpoint: String?
        /// Region for signing. Nil: `AWS_REGION`, `AWS_DEFAULT_REGION`, the profile's, then us-east-1.
        public var region: String?
        /// Profile in the shared credentials file. Nil: `AWS_PROFILE`, then `default`.
        public var profile: String?
        /// Path-style addressing (`endpoint/bucket/key`); default true with a custom endpoint.
        public var pathStyle: Bool?

        public init() {}
    }

    /// `controller.artifacts.https`.
    public struct HTTPS: Sendable, Hashable {
        /// PEM file of CAs trusted in addition to the system's (a private artifact server).
        public var caFile: String?

        public init() {}
    }

    /// `controller.artifacts.mlflow`.
    public struct MLflow: Sendable, Hashable {
        /// Base URL of the tracking server (`https://mlflow.example.com`; http only on loopback).
        public var url: String
        /// File holding a bearer token (mode 0600), or nil for a server without auth.
        public var tokenFile: String?

        public init(url: String, tokenFile: String? = nil) {
            self.url = url
            self.tokenFile = tokenFile
        }
    }
}
