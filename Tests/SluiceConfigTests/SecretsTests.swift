import Foundation
import SluiceConfig
import Testing

/// Secrets are resolved in one place, from the sources the config names: an environment
/// variable, a file only its owner can read, or a token generated into the state directory.
@Suite(.timeLimit(.minutes(10))) struct SecretsTests: ConfigParsing {
    /// A config file in a new directory, with `stateDirectory: state` for both planes.
    func configuration(in text: String) throws -> SluiceConfiguration {
        try SluiceConfiguration.load(path: try write(text))
    }

    func mode(_ path: String) throws -> Int {
        try #require(FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
    }

    @Test("generated tokens are written 0600 into a 0700 state directory and read back unchanged")
    func generated() throws {
        let config = try configuration(in: "serve:\n  stateDirectory: state\n").serve
        let first = try ServeSecrets.resolve(config)
        #expect(first.adminToken.count >= 32)
        #expect(first.feedbackToken != nil && first.feedbackToken != first.adminToken)
        #expect(first.metricsToken == nil)
        #expect(try mode(config.stateDirectory) == 0o700)
        #expect(try mode("\(config.stateDirectory)/admin-token") == 0o600)
        #expect(try mode("\(config.stateDirectory)/feedback-token") == 0o600)
        let again = try ServeSecrets.resolve(config)
        #expect(again.adminToken == first.adminToken)
        #expect(again.feedbackToken == first.feedbackToken)
        #expect("\(again)" == "ServeSecrets(redacted)")
    }

    @Test("a token file others can read is refused, naming the field and the fix; 0600 is read")
    func looseFileMode() throws {
        let path = try write("serve:\n  stateDirectory: state\n  admin:\n    tokenFile: admin-token\n")
        let directory = (path as NSString).deletingLastPathComponent
        let tokenPath = "\(directory)/admin-token"
        try "s3cret-admin\n".write(toFile: tokenPath, atomically: true, encoding: .utf8)
        chmod(tokenPath, 0o644)
        let config = try SluiceConfiguration.load(path: path).serve
        #expect(config.adminToken == .file(tokenPath))
        do {
            _ = try ServeSecrets.resolve(config)
            Issue.record("a 0644 token file was used")
        } catch {
            #expect("\(error)" == """
                serve.admin.tokenFile: \(tokenPath) has mode 0644; a secret must be readable by its owner only \
                (chmod 600 \(tokenPath), or defaultMode: 0400 for a Kubernetes Secret volume)
                """)
            #expect(!"\(error)".contains("s3cret"))
        }
        chmod(tokenPath, 0o600)
        #expect(try ServeSecrets.resolve(config).adminToken == "s3cret-admin")
    }

    @Test("an environment variable that is not set is named with its field, never guessed")
    func missingEnvironment() throws {
        let name = "SLUICE_TEST_UNSET_\(UUID().uuidString.prefix(8))"
        let config = try configuration(in: "controller:\n  repository: .\n  stateDirectory: state\n  webhookSecretEnv: \(name)\n").controller()
        let error = try #require(throws: (any Error).self) { try ControllerSecrets.resolve(config) }
        #expect("\(error)" == "controller.webhookSecretEnv: the environment variable \(name) is not set or empty")
    }

    @Test("the controller's secrets: API token generated, metrics and viewer tokens from files, data plane token read when first needed")
    func controller() throws {
        let path = try write("""
            serve:
              stateDirectory: serve-state
            controller:
              repository: .
              stateDirectory: state
              metricsTokenFile: scrape-token
              viewerTokenFile: viewer-token
            """)
        let directory = (path as NSString).deletingLastPathComponent
        let scrape = "\(directory)/scrape-token"
        _ = FileManager.default.createFile(atPath: scrape, contents: Data("scrape-secret\n".utf8), attributes: [.posixPermissions: 0o600])
        _ = FileManager.default.createFile(atPath: "\(directory)/viewer-token", contents: Data("viewer-secret\n".utf8), attributes: [.posixPermissions: 0o600])
        let config = try SluiceConfiguration.load(path: path).controller()
        let secrets = try ControllerSecrets.resolve(config)
        #expect(secrets.metricsToken == "scrape-secret")
        #expect(secrets.viewerToken == "viewer-secret", "the dashboard's read-only token")
        #expect(secrets.webhookSecret == nil)
        #expect(try String(contentsOfFile: "\(directory)/state/controller-token", encoding: .utf8) == secrets.apiToken + "\n")
        #expect(try ControllerSecrets.apiToken(config) == secrets.apiToken)
        // Under `sluice up` the data plane writes its token after the controller resolved its secrets.
        #expect(throws: (any Error).self) { try secrets.dataPlaneToken() }
        let servePlane = try ServeSecrets.resolve(try SluiceConfiguration.load(path: path).serve)
        #expect(try secrets.dataPlaneToken() == servePlane.adminToken)
        #expect("\(secrets)" == "ControllerSecrets(redacted)")
    }

    @Test("`sluice up` passes on exactly the variables the config reads secrets from")
    func environmentNames() throws {
        let config = try configuration(in: """
            serve:
              admin: {tokenEnv: ADMIN}
              feedback: {tokenEnv: FEEDBACK}
              metrics: {tokenEnv: SCRAPE}
            """).serve
        #expect(config.environmentNames == ["ADMIN", "FEEDBACK", "SCRAPE"])
    }
}
