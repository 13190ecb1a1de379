import Foundation
import SluiceConfig
import SluiceCore
import Testing

/// `controller.tokens`: named tokens with roles, the two tokens configured on their own as
/// before, and every bad entry refused naming its field.
@Suite("controller.tokens", .timeLimit(.minutes(10)))
struct APITokensConfigTests: ConfigParsing {
    func load(_ path: String) throws(ConfigError) -> ControllerConfig { try loadController(path) }

    /// Writes `files` (mode 0600) beside the config.
    func secrets(_ path: String, _ files: [String: String]) {
        let directory = (path as NSString).deletingLastPathComponent
        for (name, value) in files {
            _ = FileManager.default.createFile(atPath: "\(directory)/\(name)", contents: Data((value + "\n").utf8), attributes: [.posixPermissions: 0o600])
        }
    }

    @Test("each token with its name, role and source; read after the API token (an admin named controller-token) and the viewer token")
    func namedTokens() throws {
        let path = try write("""
            controller:
              repository: .
              stateDirectory: state
              tokenFile: api-token
              viewerTokenFile: viewer-token
              tokens:
                - {name: alice, role: operator, tokenFile: alice-token}
                - {name: ci.bot, role: viewer, tokenFile: ci-token}
                - {name: oncall@example.com, role: admin, tokenFile: oncall-token}
            """)
        secrets(path, ["api-token": "api-secret", "viewer-token": "viewer-secret", "alice-token": "alice-secret", "ci-token": "ci-secret", "oncall-token": "oncall-secret"])
        let config = try load(path)
        #expect(config.tokens.map(\.name) == ["alice", "ci.bot", "oncall@example.com"])
        #expect(config.tokens.map(\.role) == [.operator, .viewer, .admin])
        let resolved = try ControllerSecrets.resolve(config)
        #expect(resolved.tokens.map(\.name) == ["controller-token", "viewer-token", "alice", "ci.bot", "oncall@example.com"])
        #expect(resolved.tokens.map(\.role) == [.admin, .viewer, .operator, .viewer, .admin])
        #expect(resolved.tokens.map(\.value) == ["api-secret", "viewer-secret", "alice-secret", "ci-secret", "oncall-secret"])
        #expect(!"\(resolved.tokens)".contains("secret"), "a token's description never holds its value")
    }

    @Test("a config without tokens keeps its one API token, an admin")
    func legacyToken() throws {
        let path = try write("controller:\n  repository: .\n  stateDirectory: state\n")
        let resolved = try ControllerSecrets.resolve(try load(path))
        #expect(resolved.tokens.map(\.name) == ["controller-token"])
        #expect(resolved.tokens.first?.role == .admin)
        #expect(resolved.tokens.first?.value == resolved.apiToken)
    }

    @Test("bad entries: an unknown role, a missing name or role, no source, both sources, a bad or reserved name, a duplicate name")
    func badEntries() throws {
        let problems = reportedProblems(try write("""
            controller:
              repository: .
              tokens:
                - {name: alice, role: superuser, tokenEnv: A}
                - {role: viewer, tokenEnv: B}
                - {name: bob, tokenEnv: C}
                - {name: carol, role: viewer}
                - {name: dave, role: viewer, tokenEnv: D, tokenFile: d}
                - {name: "eve smith", role: viewer, tokenEnv: E}
                - {name: controller, role: admin, tokenEnv: F}
                - {name: controller-token, role: admin, tokenEnv: G}
                - {name: frank, role: viewer, tokenEnv: H}
                - {name: frank, role: operator, tokenEnv: I}
                - {name: "", role: viewer, tokenEnv: J}
            """))
        for expected in [
            "controller.tokens[0].role", "superuser",
            "controller.tokens[1]", "name",
            "controller.tokens[2]", "role",
            "controller.tokens[3]: the token 'carol' needs tokenEnv or tokenFile",
            "controller.tokens[4]", "tokenEnv", "tokenFile",
            "controller.tokens[5].name: expected letters, digits, '.', '_', '@' or '-', found 'eve smith'",
            "controller.tokens[6].name: 'controller' is reserved",
            "controller.tokens[7].name: 'controller-token' is reserved",
            "controller.tokens[9].name", "duplicate name 'frank'",
            "controller.tokens[10].name",
        ] {
            #expect(problems.contains(expected), "\(expected) in:\n\(problems)")
        }
        #expect(problems.split(separator: "\n").filter { $0.contains("controller.tokens[1]") }.contains { $0.contains("name") })
        #expect(problems.split(separator: "\n").filter { $0.contains("controller.tokens[2]") }.contains { $0.contains("role") })
    }

    @Test("two tokens with the same value are refused at start naming both fields, never the value; so is one equal to the API token")
    func duplicateValues() throws {
        let path = try write("""
            controller:
              repository: .
              stateDirectory: state
              tokenFile: api-token
              tokens:
                - {name: alice, role: operator, tokenFile: alice-token}
                - {name: bob, role: viewer, tokenFile: bob-token}
                - {name: carol, role: admin, tokenFile: carol-token}
            """)
        secrets(path, ["api-token": "shared-api", "alice-token": "same-secret", "bob-token": "same-secret", "carol-token": "carol-secret"])
        let error = try #require(throws: (any Error).self) { try ControllerSecrets.resolve(try load(path)) }
        #expect("\(error)".hasPrefix("controller.tokens[1] (bob): the same token as controller.tokens[0] (alice)"), "\(error)")
        #expect(!"\(error)".contains("same-secret"))
        secrets(path, ["bob-token": "bob-secret", "carol-token": "shared-api"])
        let again = try #require(throws: (any Error).self) { try ControllerSecrets.resolve(try load(path)) }
        #expect("\(again)".hasPrefix("controller.tokens[2] (carol): the same token as controller.tokenEnv/tokenFile (controller-token)"), "\(again)")
    }

    @Test("a token's variable that is not set is named with its field")
    func missingVariable() throws {
        let name = "SLUICE_TEST_UNSET_\(UUID().uuidString.prefix(8))"
        let path = try write("controller:\n  repository: .\n  stateDirectory: state\n  tokens:\n    - {name: alice, role: viewer, tokenEnv: \(name)}\n")
        let error = try #require(throws: (any Error).self) { try ControllerSecrets.resolve(try load(path)) }
        #expect("\(error)" == "controller.tokens[0].tokenEnv: the environment variable \(name) is not set or empty")
    }
}
