import SluiceCore

extension ConfigSchema {
    /// `controller.artifacts`.
    static let artifacts = ObjectSchema(
        name: "ControllerArtifacts", plural: "artifacts sections",
        description: "Fetching and caching artifacts that live outside git (S3, HTTPS, an MLflow registry).",
        fields: [
            FieldSchema(
                "cacheDirectory", .text(nil), default: "`stateDirectory/artifact-cache`",
                "The content-addressed cache of fetched artifacts (created mode 0700)."),
            FieldSchema(
                "maxCacheBytes", .text(nil), default: "`20Gi`",
                "The cache's size cap: bytes, or with a unit (`500Mi`, `20Gi`, `1T`; at least `1Mi`). Least recently used artifacts that no version runs and no rollout needs are evicted above it."),
            FieldSchema(
                "maxArtifactBytes", .text(nil), default: "`16Gi`, or `maxCacheBytes` when smaller",
                "The largest artifact fetched (all files of a directory together, an archive unpacked), like `maxCacheBytes`; at most `maxCacheBytes`."),
            FieldSchema(
                "timeout", .string(.duration), default: "`30s`",
                "How long a request may go without progress: connecting, the first byte, or between chunks (1s to 1h)."),
            FieldSchema(
                "retries", .integer(minimum: 0, maximum: 10), default: "`4`",
                "Attempts after the first for a timeout, a broken connection or a 5xx/429 answer, with exponential backoff from 0.5s; a download resumes where it stopped."),
            FieldSchema("s3", .object(artifactsS3), default: "the AWS SDKs' environment", "S3 and S3-compatible stores (`s3://`)."),
            FieldSchema("https", .object(artifactsHTTPS), default: "the system's roots", "HTTPS downloads (`https://`)."),
            FieldSchema(
                "mlflow", .object(artifactsMLflow), default: "none (`models:/` is refused)",
                "The MLflow tracking server that resolves `models:/NAME/VERSION` and `models:/NAME@ALIAS`."),
        ])

    /// `controller.artifacts.s3`.
    static let artifactsS3 = ObjectSchema(
        name: "ControllerArtifactsS3", plural: "s3 sections",
        description: "S3 and S3-compatible stores. Credentials come from the standard AWS environment variables or the shared credentials file, never from here.",
        fields: [
            FieldSchema(
                "endpoint", .text(nil), default: "`AWS_ENDPOINT_URL_S3`, then `AWS_ENDPOINT_URL`, then AWS",
                "An S3-compatible store (MinIO, Ceph, R2): `http://` or `https://` with a host and an optional port, without credentials."),
            FieldSchema(
                "region", .text(nil), default: "`AWS_REGION`, `AWS_DEFAULT_REGION`, the profile's, then `us-east-1`",
                "The region requests are signed for: lowercase letters, digits and `-`."),
            FieldSchema("profile", .text(nil), default: "`AWS_PROFILE`, then `default`", "The profile in the shared credentials file."),
            FieldSchema(
                "pathStyle", .boolean, default: "`true` with an `endpoint`, else `false`",
                "Path-style addressing (`endpoint/bucket/key`) instead of a bucket host name."),
        ])

    /// `controller.artifacts.https`.
    static let artifactsHTTPS = ObjectSchema(
        name: "ControllerArtifactsHTTPS", plural: "https sections",
        description: "HTTPS downloads.",
        fields: [
            FieldSchema("caFile", .text(nil), default: "the system's roots", "A PEM file of CA certificates trusted in addition to the system's (a private artifact server).")
        ])

    /// `controller.artifacts.mlflow`.
    static let artifactsMLflow = ObjectSchema(
        name: "ControllerArtifactsMLflow", plural: "mlflow sections",
        description: "The MLflow tracking server.",
        fields: [
            FieldSchema(
                "url", .text(nil), required: true,
                "The tracking server: `https://` with a host, an optional port and path prefix; `http://` only on a loopback host."),
            FieldSchema("tokenFile", .text(nil), default: "none (no `Authorization`)", "A file (mode 0600) whose first line is a bearer token sent to `url` only."),
        ])
}
