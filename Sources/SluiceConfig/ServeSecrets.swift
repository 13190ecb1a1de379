/// The data plane's secrets, resolved once at start-up by the executable from
/// ``ServeConfig``'s sources and handed to the data plane as plain values.
public struct ServeSecrets: Sendable, CustomStringConvertible {
    /// The admin API's bearer token.
    public var adminToken: String
    /// The bearer token feedback requires; nil when `serve.feedback.open` is true.
    public var feedbackToken: String?
    /// The bearer token `/metrics` requires; nil: open.
    public var metricsToken: String?

    /// Creates secrets from values (tests, embedders).
    public init(adminToken: String, feedbackToken: String?, metricsToken: String?) {
        self.adminToken = adminToken
        self.feedbackToken = feedbackToken
        self.metricsToken = metricsToken
    }

    /// Reads every secret `config` names. Creates the state directory (0700), generates the
    /// tokens it keeps there when absent, and refuses a secret file others could read.
    public static func resolve(_ config: ServeConfig) throws -> ServeSecrets {
        try PrivateFiles.directory(config.stateDirectory)
        let directory = config.stateDirectory
        let admin = try SecretReader.read(config.adminToken, stateDirectory: directory, fileName: "admin-token", fields: .init(section: "serve.admin"))
        var feedback: String?
        if case .token(let source) = config.feedback {
            feedback = try SecretReader.read(source, stateDirectory: directory, fileName: "feedback-token", fields: .init(section: "serve.feedback"))
        }
        let metrics = try config.metricsToken.map {
            try SecretReader.read($0, stateDirectory: directory, fileName: "metrics-token", fields: .init(section: "serve.metrics"))
        }
        return ServeSecrets(adminToken: admin, feedbackToken: feedback, metricsToken: metrics)
    }

    /// Never the values: secrets do not reach logs, even through string interpolation.
    public var description: String { "ServeSecrets(redacted)" }
}
