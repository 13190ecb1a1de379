import AsyncHTTPClient
import Foundation
import SluiceArtifacts
import SluiceConfig
import SluiceCore
import Testing

@Suite("S3 credentials, region and endpoint from the environment and shared files", .timeLimit(.minutes(10)))
struct S3CredentialsTests {
    static let secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"

    private func temporaryHome(credentials: String, config: String? = nil) throws -> URL {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-aws-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: home.appendingPathComponent(".aws"), withIntermediateDirectories: true)
        try credentials.write(to: home.appendingPathComponent(".aws/credentials"), atomically: true, encoding: .utf8)
        if let config { try config.write(to: home.appendingPathComponent(".aws/config"), atomically: true, encoding: .utf8) }
        return home
    }

    @Test("environment variables win; a session token is read")
    func environment() throws {
        let credentials = try AWSCredentials.resolve(
            environment: ["AWS_ACCESS_KEY_ID": "AKIAENV", "AWS_SECRET_ACCESS_KEY": Self.secret, "AWS_SESSION_TOKEN": "TOKEN123", "HOME": "/nonexistent"],
            profile: nil)
        #expect(credentials.accessKeyId == "AKIAENV")
        #expect(credentials.sessionToken == "TOKEN123")
    }

    @Test("shared credentials file: default profile, AWS_PROFILE, config.profile, comments")
    func sharedFile() throws {
        let home = try temporaryHome(credentials: """
            # a comment
            [default]
            aws_access_key_id = AKIADEFAULT
            aws_secret_access_key = \(Self.secret)

            [ci]
            aws_access_key_id=AKIACI
            aws_secret_access_key=cisecret
            aws_session_token = citoken
            """)
        defer { try? FileManager.default.removeItem(at: home) }
        #expect(try AWSCredentials.resolve(environment: ["HOME": home.path], profile: nil).accessKeyId == "AKIADEFAULT")
        #expect(try AWSCredentials.resolve(environment: ["HOME": home.path, "AWS_PROFILE": "ci"], profile: nil).sessionToken == "citoken")
        #expect(try AWSCredentials.resolve(environment: ["HOME": home.path, "AWS_PROFILE": "nope"], profile: "ci").accessKeyId == "AKIACI")
        let elsewhere = home.appendingPathComponent(".aws/credentials").path
        #expect(try AWSCredentials.resolve(environment: ["AWS_SHARED_CREDENTIALS_FILE": elsewhere], profile: nil).accessKeyId == "AKIADEFAULT")
        let missing = #expect(throws: ArtifactFetchError.self) {
            try AWSCredentials.resolve(environment: ["HOME": home.path], profile: "absent")
        }
        #expect(missing?.kind == .unauthorized)
        #expect(missing?.message.contains("absent") == true)
    }

    @Test("description never shows the secret or the token")
    func redaction() {
        let credentials = AWSCredentials(accessKeyId: "AKIASHOWN", secretAccessKey: Self.secret, sessionToken: "TOKENSECRET")
        for text in [credentials.description, credentials.debugDescription, "\(credentials)", String(reflecting: credentials)] {
            #expect(text.contains("AKIASHOWN"))
            #expect(!text.contains(Self.secret))
            #expect(!text.contains("TOKENSECRET"))
        }
    }

    @Test("endpoint: http only to loopback; config.endpoint, AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL")
    func endpoints() async throws {
        let environment = ["AWS_ACCESS_KEY_ID": "AKIAX", "AWS_SECRET_ACCESS_KEY": Self.secret]
        var config = ArtifactsConfig.S3()
        config.endpoint = "http://minio.example.com:9000"
        let refused = #expect(throws: ArtifactFetchError.self) {
            try S3Source(config: config, timeout: .seconds(1), environment: environment, client: HTTPClient.shared)
        }
        #expect(refused?.message.contains("https") == true)
        config.endpoint = "http://127.0.0.1:9"
        _ = try S3Source(config: config, timeout: .seconds(1), environment: environment, client: HTTPClient.shared)
        config.endpoint = "http://localhost:9"
        _ = try S3Source(config: config, timeout: .seconds(1), environment: environment, client: HTTPClient.shared)
        // A bad endpoint from the environment fails the first S3 fetch, not the controller's start.
        let fromEnvironment = try S3Source(
            config: ArtifactsConfig.S3(), timeout: .seconds(1),
            environment: environment.merging(["AWS_ENDPOINT_URL_S3": "http://s3.example.com", "AWS_ENDPOINT_URL": "http://127.0.0.1:9"]) { a, _ in a },
            client: HTTPClient.shared)
        let failed = await #expect(throws: ArtifactFetchError.self) { try await fromEnvironment.resolve(.s3(bucket: "b", key: "k")) }
        #expect(failed?.kind == .unsupported)
        #expect(failed?.message.contains("s3.example.com") == true)
    }

    @Test("no credentials anywhere: the fetch fails as unauthorized, saying where it looked")
    func noCredentials() async throws {
        var config = ArtifactsConfig.S3()
        config.endpoint = "http://127.0.0.1:9"
        let source = try S3Source(config: config, timeout: .seconds(1), environment: ["HOME": "/nonexistent"], client: HTTPClient.shared)
        let error = await #expect(throws: ArtifactFetchError.self) { try await source.resolve(.s3(bucket: "b", key: "k")) }
        #expect(error?.kind == .unauthorized)
        #expect(error?.message.contains("AWS_ACCESS_KEY_ID") == true)
    }
}
