import SluiceCore

/// A named token of the controller's API, read: its name, its role and its value.
public struct APIToken: Sendable, CustomStringConvertible {
    public var name: String
    public var role: APIRole
    /// The secret; never logged, stored or sent anywhere.
    public var value: String

    public init(name: String, role: APIRole, value: String) {
        self.name = name
        self.role = role
        self.value = value
    }

    /// Never the value.
    public var description: String { "APIToken(\(name), \(role), redacted)" }
}

extension ControllerSecrets {
    /// Reads `controller.tokens` and puts them after the API token (an `admin` named
    /// `controller-token`) and the viewer token (`viewer-token`). Two tokens with the same
    /// value are refused: the server could not tell whose a request is.
    static func apiTokens(_ config: ControllerConfig, apiToken: String, viewerToken: String?) throws -> [APIToken] {
        var tokens = [(field: "controller.tokenEnv/tokenFile", token: APIToken(name: APITokenConfig.apiTokenName, role: .admin, value: apiToken))]
        if let viewerToken {
            tokens.append(("controller.viewerTokenEnv/viewerTokenFile", APIToken(name: APITokenConfig.viewerTokenName, role: .viewer, value: viewerToken)))
        }
        for (index, entry) in config.tokens.enumerated() {
            let field = "controller.tokens[\(index)]"
            let value = try SecretReader.read(
                entry.source, stateDirectory: config.stateDirectory, fileName: "token-\(entry.name)",
                fields: .init(env: "\(field).tokenEnv", file: "\(field).tokenFile", section: field))
            tokens.append((field, APIToken(name: entry.name, role: entry.role, value: value)))
        }
        for (index, later) in tokens.enumerated() {
            for earlier in tokens[..<index] where SecretComparison.equal(Array(earlier.token.value.utf8), Array(later.token.value.utf8)) {
                throw SecretReader.Problem(
                    description: "\(later.field) (\(later.token.name)): the same token as \(earlier.field) (\(earlier.token.name)); "
                        + "every API token must be different, so that the server knows who calls")
            }
        }
        return tokens.map(\.token)
    }
}
