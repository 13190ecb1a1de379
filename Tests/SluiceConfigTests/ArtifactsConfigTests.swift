import Foundation
import SluiceConfig
import SluiceCore
import Testing

/// `controller.artifacts`: the artifact cache's place and caps, timeouts and retries, and the
/// S3, HTTPS and MLflow sources' settings.
@Suite(.timeLimit(.minutes(10))) struct ArtifactsConfigTests: ConfigParsing {
    /// The `artifacts` section of a file whose controller section holds `lines`.
    func artifacts(_ lines: String) throws -> ArtifactsConfig {
        let indented = lines.split(separator: "\n", omittingEmptySubsequences: false).map { "    " + $0 }.joined(separator: "\n")
        return try configuration("controller:\n  repository: .\n  artifacts:\n\(indented)\n").controller().artifacts
    }

    /// The problems of a file whose `controller.artifacts` holds `lines`.
    func artifactProblems(_ lines: String) -> [String] {
        let indented = lines.split(separator: "\n", omittingEmptySubsequences: false).map { "    " + $0 }.joined(separator: "\n")
        return problems("controller:\n  repository: .\n  artifacts:\n\(indented)\n")
    }

    @Test func withoutASectionEveryDefaultHolds() throws {
        let controller = try configuration("controller:\n  repository: .\n").controller()
        #expect(controller.artifacts == ArtifactsConfig())
        #expect(controller.artifacts.maxCacheBytes == 20 << 30)
        #expect(controller.artifacts.maxArtifactBytes == 16 << 30)
        #expect(controller.artifacts.timeout == .seconds(30))
        #expect(controller.artifacts.retries == 4)
        #expect(controller.artifacts.mlflow == nil)
        #expect(controller.artifactCacheDirectory == "/etc/sluice/.sluice/controller/artifact-cache")
    }

    @Test func everyFieldIsRead() throws {
        let config = try artifacts("""
            cacheDirectory: /var/cache/sluice
            maxCacheBytes: 100Gi
            maxArtifactBytes: 21474836480
            timeout: 2m
            retries: 0
            s3:
              endpoint: http://127.0.0.1:9000
              region: eu-west-3
              profile: models
              pathStyle: true
            mlflow:
              url: https://mlflow.example.com/prefix
              tokenFile: secrets/mlflow-token
            """)
        #expect(config.cacheDirectory == "/var/cache/sluice")
        #expect(config.maxCacheBytes == 100 << 30)
        #expect(config.maxArtifactBytes == 20 << 30)
        #expect(config.timeout == .seconds(120))
        #expect(config.retries == 0)
        #expect(config.s3.endpoint == "http://127.0.0.1:9000")
        #expect(config.s3.region == "eu-west-3")
        #expect(config.s3.profile == "models")
        #expect(config.s3.pathStyle == true)
        #expect(config.mlflow == ArtifactsConfig.MLflow(url: "https://mlflow.example.com/prefix", tokenFile: "/etc/sluice/secrets/mlflow-token"))
    }

    @Test func aRelativeCacheDirectoryIsResolvedAgainstTheConfigFile() throws {
        let controller = try configuration("controller:\n  repository: .\n  artifacts:\n    cacheDirectory: cache\n").controller()
        #expect(controller.artifactCacheDirectory == "/etc/sluice/cache")
    }

    @Test func aSmallCacheLowersTheDefaultArtifactCap() throws {
        #expect(try artifacts("maxCacheBytes: 2Gi").maxArtifactBytes == 2 << 30)
    }

    @Test func sizesAcceptBytesAndUnits() throws {
        let cases: [(String, Int64)] = [
            ("1048576", 1 << 20), ("1Mi", 1 << 20), ("1.5Gi", 3 << 29), ("2Ti", 2 << 40), ("500M", 500_000_000), ("1.25M", 1_250_000),
            ("3G", 3_000_000_000), ("1P", 1_000_000_000_000_000), ("2048Ki", 2 << 20),
        ]
        for (text, bytes) in cases {
            #expect(try artifacts("maxCacheBytes: \"\(text)\"").maxCacheBytes == bytes, "\(text)")
        }
        for text in ["", "-1Gi", "1.5", "1 Gi", "1GB", "1e9", "Gi", "1.Gi", "99999999999999999999", "9000Pi", "0x10", "1.0000001Mi"] {
            let found = artifactProblems("maxCacheBytes: \"\(text)\"")
            #expect(found.count == 1 && found[0].contains("controller.artifacts.maxCacheBytes: expected"), "\(text): \(found)")
        }
    }

    @Test func mlflowOverPlainHTTPOnlyOnLoopback() throws {
        #expect(try artifacts("mlflow:\n  url: http://127.0.0.1:5000").mlflow?.url == "http://127.0.0.1:5000")
        #expect(try artifacts("mlflow:\n  url: http://localhost:5000").mlflow?.url == "http://localhost:5000")
        #expect(artifactProblems("mlflow:\n  url: http://mlflow.internal:5000").first?.contains("http:// is allowed only on a loopback host") == true)
    }

    @Test func aCAFileMustHoldCertificates() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-artifacts-ca-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n".write(toFile: "\(directory)/ca.pem", atomically: true, encoding: .utf8)
        #expect(try artifacts("https:\n  caFile: \(directory)/ca.pem").https.caFile == "\(directory)/ca.pem")
        #expect(artifactProblems("https:\n  caFile: \(directory)/missing.pem").first?.contains("controller.artifacts.https.caFile: expected a readable PEM file") == true)
    }

    @Test func badValuesAreRefusedNamingTheFieldAndTheExpectation() {
        let found = artifactProblems("""
            cacheDirectory: ""
            maxCacheBytes: 20GB
            maxArtifactBytes: 1000
            timeout: 500ms
            retries: 11
            s3:
              endpoint: minio:9000
              region: EU West
              profile: "[x]"
              pathStyle: maybe
            mlflow:
              tokenFile: t
            colour: blue
            """)
        let expected = [
            "controller.artifacts.cacheDirectory: expected a directory path, found an empty string",
            "controller.artifacts.maxCacheBytes: expected a size in bytes such as 1073741824, 500Mi or 20Gi; found '20GB'",
            "controller.artifacts.maxArtifactBytes: expected at least 1Mi (1048576 bytes), found 1000 bytes ('1000')",
            "controller.artifacts.timeout: expected a duration from 1s to 1h, found 500ms",
            "controller.artifacts.retries",
            "controller.artifacts.s3.endpoint: expected an http:// or https:// URL with a host (and an optional port); found 'minio:9000'",
            "controller.artifacts.s3.region: expected a region such as us-east-1",
            "controller.artifacts.s3.profile: expected a profile name",
            "controller.artifacts.s3.pathStyle",
            "controller.artifacts.mlflow",
            "colour",
        ]
        for fragment in expected {
            #expect(found.contains { $0.contains(fragment) }, "\(fragment) in \(found)")
        }
        #expect(artifactProblems("maxCacheBytes: 1Gi\nmaxArtifactBytes: 2Gi").first?.contains("maxArtifactBytes: expected at most maxCacheBytes") == true)
    }

    @Test func theSectionIsInTheJSONSchemaAndTheReference() {
        #expect(ConfigSchema.markdown().contains("| `controller.artifacts.maxCacheBytes` |"))
        #expect(ConfigSchema.markdown().contains("| `controller.artifacts.mlflow.url` | string | yes |"))
    }
}
