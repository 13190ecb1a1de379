/// The controller's secrets, resolved once at start-up by the executable from
/// ``ControllerConfig``'s sources and handed to the controller as plain values.
///
/// Three are read when needed rather than at start: the data plane's token (under `sluice up`
/// both planes start together, and the data plane generates its token once it runs), the
/// monitors' webhook token and the Prometheus token (files the operator may rotate).
public struct ControllerSecrets: Sendable, CustomStringConvertible {
    /// The API's bearer token.
    public var apiToken: String
    /// The webhook secret (GitHub HMAC key or GitLab token); nil disables `/hooks/git`.
    public var webhookSecret: String?
    /// The bearer token `GET /metrics` requires; nil: open.
    public var metricsToken: String?
    /// The web dashboard's read-only token; nil: only the API token logs in.
    public var viewerToken: String?
    /// Every named token of the API and the dashboard: the API token (an `admin` named
    /// `controller-token`), the viewer token (`viewer-token`), then `controller.tokens`.
    /// Empty in secrets made from values: then the API token alone, as an admin.
    public var tokens: [APIToken] = []
    /// The data plane's admin token, read at each use.
    public var dataPlaneToken: SecretProvider
    /// The bearer token sent to the monitors' webhooks, read at each use; nil: none.
    public var monitorWebhookToken: SecretProvider?
    /// The bearer token sent to `controller.prometheus.url`, read at each query; nil: none.
    public var prometheusToken: SecretProvider?

    /// Creates secrets from values (tests, embedders).
    public init(
        apiToken: String, webhookSecret: String? = nil, metricsToken: String? = nil, dataPlaneToken: SecretProvider,
        monitorWebhookToken: SecretProvider? = nil, prometheusToken: SecretProvider? = nil
    ) {
        self.apiToken = apiToken
        self.webhookSecret = webhookSecret
        self.metricsToken = metricsToken
        self.dataPlaneToken = dataPlaneToken
        self.monitorWebhookToken = monitorWebhookToken
        self.prometheusToken = prometheusToken
    }

    /// Reads every secret `config` names. Creates the state directory (0700), generates the
    /// API token there when none is configured, and refuses a secret file others could read.
    public static func resolve(_ config: ControllerConfig) throws -> ControllerSecrets {
        try PrivateFiles.directory(config.stateDirectory)
        let directory = config.stateDirectory
        let webhook = try config.webhookSecret.map {
            try SecretReader.read($0, stateDirectory: directory, fileName: "webhook-secret", fields: .init(env: "controller.webhookSecretEnv", file: "controller.webhookSecretFile", section: "controller"))
        }
        let metrics = try config.metricsToken.map {
            try SecretReader.read($0, stateDirectory: directory, fileName: "metrics-token", fields: .init(env: "controller.metricsTokenEnv", file: "controller.metricsTokenFile", section: "controller"))
        }
        let viewer = try config.viewerToken.map {
            try SecretReader.read($0, stateDirectory: directory, fileName: "viewer-token", fields: .init(env: "controller.viewerTokenEnv", file: "controller.viewerTokenFile", section: "controller"))
        }
        let dataPlane = config.dataPlaneToken
        let monitors = config.monitorWebhookToken
        let prometheus = config.prometheus?.token
        if let prometheus {
            // A missing variable or a file others can read is refused at start, not at the first query.
            _ = try SecretReader.read(prometheus, stateDirectory: directory, fileName: "prometheus-token", fields: prometheusFields)
        }
        for target in config.notifications {
            // A missing variable or a file others can read is refused at start, not at the first delivery.
            _ = try target.readURL(stateDirectory: directory)
            _ = try target.readToken(stateDirectory: directory)
        }
        var secrets = ControllerSecrets(
            apiToken: try apiToken(config), webhookSecret: webhook, metricsToken: metrics,
            dataPlaneToken: SecretProvider {
                try SecretReader.read(dataPlane, stateDirectory: directory, fileName: "admin-token", fields: .init(env: "controller.dataPlaneTokenEnv", file: "controller.dataPlaneTokenFile", section: "controller"))
            },
            monitorWebhookToken: monitors.map { source in
                SecretProvider {
                    try SecretReader.read(source, stateDirectory: directory, fileName: "webhook-token", fields: .init(env: "controller.monitors.webhookTokenEnv", file: "controller.monitors.webhookTokenFile", section: "controller.monitors"))
                }
            },
            prometheusToken: prometheus.map { source in
                SecretProvider { try SecretReader.read(source, stateDirectory: directory, fileName: "prometheus-token", fields: prometheusFields) }
            })
        secrets.viewerToken = viewer
        secrets.tokens = try apiTokens(config, apiToken: secrets.apiToken, viewerToken: viewer)
        return secrets
    }

    private static let prometheusFields = SecretReader.Fields(section: "controller.prometheus")

    /// The API token alone, as the client commands (`sluice status`, `promote`…) send it.
    public static func apiToken(_ config: ControllerConfig) throws -> String {
        try SecretReader.read(config.token, stateDirectory: config.stateDirectory, fileName: "controller-token", fields: .init(section: "controller"))
    }

    /// Never the values: secrets do not reach logs, even through string interpolation.
    public var description: String { "ControllerSecrets(redacted)" }
}

/// A secret read when it is used (see ``ControllerSecrets``).
public struct SecretProvider: Sendable {
    private let read: @Sendable () throws -> String

    /// Wraps a reader.
    public init(_ read: @escaping @Sendable () throws -> String) { self.read = read }

    /// A secret known in advance (tests, embedders).
    public static func value(_ secret: String) -> SecretProvider { SecretProvider { secret } }

    /// Reads the secret now.
    public func callAsFunction() throws -> String { try read() }
}
