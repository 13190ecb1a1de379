import SluiceCore
import SluiceGit

/// The `controller:` section of `sluice.yaml`: which repository to watch, where the data
/// plane is, and the controller's own listener, token and state.
public struct ControllerConfig: Sendable {
    /// A local path (working copy or bare, resolved against the config file's directory) or a
    /// remote URL, parsed once.
    public var repositoryLocation: RepositoryLocation
    /// The path or URL that ``repositoryLocation`` names.
    public var repository: String { repositoryLocation.address }
    /// The branch to follow; nil: the checked-out branch, or the remote's default.
    public var branch: String?
    /// The manifests' directory inside the repository ("" for all of it).
    public var path: String
    /// How often git is read when nothing else triggers a pass (±10% jitter).
    public var interval: SluiceCore.Duration
    /// The API, webhook and metrics listener.
    public var listen: ServeConfig.ListenAddress
    /// The API bearer token.
    public var token: ServeConfig.TokenSource
    /// The webhook secret (GitHub HMAC key or GitLab token); nil disables /hooks/git.
    public var webhookSecret: ServeConfig.TokenSource?
    /// The SQLite database, the clone cache and the materialized artifacts.
    public var stateDirectory: String
    /// The data plane's admin API: TCP or a unix socket, and nowhere else the token goes.
    public var dataPlane: ServeConfig.ListenAddress
    /// The data plane's admin token.
    public var dataPlaneToken: ServeConfig.TokenSource
    /// Whether an empty manifest set may prune every model.
    public var allowEmpty: Bool
    /// An HTTPS token for a remote repository.
    public var gitTokenEnv: String?
    /// How often monitoring buckets are collected from the data plane (`monitors.interval`).
    public var monitorInterval: SluiceCore.Duration = .seconds(10)
    /// Where rollout results and alerts are reported (`controller.notifications`).
    public var notifications: [NotificationTarget] = []
    /// Where monitor alerts are POSTed (`monitors.alertWebhook`); nil: events and logs only.
    public var alertWebhook: WebhookTarget?
    /// Where approved retraining requests are POSTed (`monitors.retrainWebhook`).
    public var retrainWebhook: WebhookTarget?
    /// A bearer token sent with both webhooks (`monitors.webhookTokenEnv`), never logged.
    public var monitorWebhookToken: ServeConfig.TokenSource?
    /// The bearer token `GET /metrics` requires (`metricsTokenEnv` / `metricsTokenFile`); nil: open.
    public var metricsToken: ServeConfig.TokenSource?
    /// The read-only token of the web dashboard (`viewerTokenEnv` / `viewerTokenFile`); nil: none.
    public var viewerToken: ServeConfig.TokenSource?
    /// The named API tokens of `controller.tokens`, besides ``token`` and ``viewerToken``.
    public var tokens: [APITokenConfig] = []
    /// The metrics provider (`prometheus`); nil: `metric: prometheus` checks are an Error.
    public var prometheus: PrometheusConfig?
    /// Where models run (the top-level `backend:` section); `.local` by default.
    public var backend: BackendConfig = .local
    /// The operator's runtimes (`runtimes:`), for backends that render them (a cluster's objects).
    public var runtimes: [String: RuntimeDefinition] = [:]
    /// `controller.artifacts`: fetching and caching artifacts kept outside git.
    public var artifacts = ArtifactsConfig()
    /// `controller.git.author`: who the commits the controller writes (`onAbort: revert`) are by;
    /// `Sluice <sluice@HOSTNAME>` by default, never the host's git identity.
    public var gitAuthor: GitIdentity = .sluice()
    /// `controller.git.signing`: the key the controller's own commits are signed with; nil: unsigned.
    public var gitSigning: SigningConfig?
    /// `controller.verify`: only commits signed by the operator's keys are applied; nil: no check.
    public var verify: VerifyConfig?
    /// `controller.windows`: change windows for every model, beside each manifest's `spec.windows`.
    public var windows: [ChangeWindow] = []

    /// Creates a config; the defaults are those of a `controller:` section that gives only
    /// `repository` (paths are used as given: the reader resolves them against the file).
    public init(
        repository: String, branch: String? = nil, path: String = "", interval: SluiceCore.Duration = .seconds(30),
        listen: ServeConfig.ListenAddress = .tcp(host: "127.0.0.1", port: 8090), token: ServeConfig.TokenSource = .generated,
        webhookSecret: ServeConfig.TokenSource? = nil, stateDirectory: String = ".sluice/controller",
        dataPlane: ServeConfig.ListenAddress = .tcp(host: "127.0.0.1", port: 8081),
        dataPlaneToken: ServeConfig.TokenSource = .file(".sluice/serve/admin-token"), allowEmpty: Bool = false,
        gitTokenEnv: String? = nil
    ) {
        // A string that parses as no location is taken as a path; the config reader reports it.
        self.repositoryLocation = (try? RepositoryLocation(parsing: repository)) ?? .local(path: repository)
        self.branch = branch
        self.path = path
        self.interval = interval
        self.listen = listen
        self.token = token
        self.webhookSecret = webhookSecret
        self.stateDirectory = stateDirectory
        self.dataPlane = dataPlane
        self.dataPlaneToken = dataPlaneToken
        self.allowEmpty = allowEmpty
        self.gitTokenEnv = gitTokenEnv
    }

    /// Where artifacts read from git are written for the data plane.
    public var artifactDirectory: String { "\(stateDirectory)/artifacts" }
    /// Where artifacts fetched from S3, HTTPS or MLflow are cached.
    public var artifactCacheDirectory: String { artifacts.cacheDirectory ?? "\(stateDirectory)/artifact-cache" }
    /// The SQLite file.
    public var databasePath: String { "\(stateDirectory)/sluice.sqlite" }
}
