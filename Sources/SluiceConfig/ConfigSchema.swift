import SluiceCore
import SluiceGit

/// The definition of the operator's `sluice.yaml`: every section and field, its type, default
/// and meaning. The reader (``SluiceConfiguration``), the JSON Schema (`sluice schema --config`)
/// and the reference table in docs/serve-config.md all derive from this one value; checks
/// that relate values (a listen address, a port range, retention against the bucket) are
/// made by the reader as it builds typed values, and stated in the descriptions here.
public enum ConfigSchema {
    /// The schema's `$id`.
    public static let id = "https://sluice.dev/schemas/v1/sluice-config.json"

    /// The whole file.
    public static let document = ObjectSchema(
        name: "SluiceConfig", plural: "configs",
        description: "The operator's config (not in git): how models run, where the planes listen, where secrets come from.",
        fields: [
            FieldSchema("serve", .object(serve), "The data plane (`sluice serve`): listeners, state, timeouts, monitoring, access and limits."),
            FieldSchema(
                "runtimes", .map(keys: nil, values: .object(runtime)), default: "none",
                "The model servers manifests may name, by name. Only the operator defines what a runtime executes."),
            FieldSchema(
                "controller", .object(controller),
                "The control plane (`sluice controller`, `sluice up`): which repository to follow and where the data plane is."),
            FieldSchema(
                "backend", .object(backend), default: "`kind: local`",
                "Where models run: `sluice serve` (`local`) or a Kubernetes cluster (`kubernetes`, docs/kubernetes.md)."),
        ])

    static let serve = ObjectSchema(
        name: "Serve", plural: "serve sections",
        description: "The data plane.",
        fields: [
            FieldSchema(
                "listen", .text(nil), default: "`127.0.0.1:8080`",
                "The inference listener: `HOST:PORT` (port 0 picks one and prints it)."),
            FieldSchema(
                "grpcListen", .text(nil), default: "off",
                "The gRPC inference listener (Open Inference Protocol `inference.GRPCInferenceService`, h2c without TLS): `HOST:PORT`, not `listen`'s. Forwards to runtimes whose command or `env` names `{grpcPort}` (docs/serve.md, gRPC)."),
            FieldSchema("admin", .object(admin), "The admin API the controller applies runtime specs through."),
            FieldSchema(
                "stateDirectory", .text(nil), default: "`.sluice/serve`",
                "The saved runtime spec, model-server logs (`logs/MODEL--VERSION.log`; `MODEL--VERSION--rN.log` for replica N ≥ 1), generated tokens (directory mode 0700)."),
            FieldSchema(
                "artifactRoot", .text(nil), default: "`.`",
                "Relative artifact paths resolve here; a path that leaves it (`..`, absolute, or through a symbolic link) is refused."),
            FieldSchema(
                "ports", .text(nil), default: "`20000-20999`",
                "Ports handed to model servers: `LOW-HIGH` within 1024-65535 (ports in use are skipped)."),
            FieldSchema(
                "pinHeader", .text(nil), default: "`x-sluice-version`",
                "A request header naming the version to use (an HTTP header name; matched case-insensitively)."),
            FieldSchema(
                "drainTimeout", .string(.duration), default: "`30s`",
                "How long a removed version may finish in-flight requests before SIGTERM; also how long the gateway lets the requests and gRPC calls under way finish when `sluice serve` stops (docs/serve.md, Supervision)."),
            FieldSchema("stopTimeout", .string(.duration), default: "`10s`", "Between SIGTERM and SIGKILL."),
            FieldSchema("upstreamTimeout", .string(.duration), default: "`60s`", "One request to a model server (then 504)."),
            FieldSchema(
                "maxProcesses", .integer(minimum: 1, maximum: 10_000), default: "`64`",
                "Model-server processes running at most, over every model, version and replica; when versions want more, each version with weight gets one first, then its `minReplicas`, then the rest (docs/serve.md, Replicas and autoscaling)."),
            FieldSchema(
                "maxMirroredInFlight", .integer(minimum: 1, maximum: 100_000), default: "`64`",
                "Mirrored copies (a route's mirror, a shadow step's copies) each version may have in flight at once; a copy over the cap is not sent and counts as shed (`sluice_shadow_shed_total`), so a slow or stuck mirror target costs callers nothing (docs/serve.md, Mirroring and shadow pairing)."),
            FieldSchema(
                "eventLoops", .integer(minimum: 1, maximum: 256), default: "one per CPU core",
                "Threads the data plane serves on (its listeners, the connections to model servers, the supervisor), like nginx's `worker_processes`. Fewer than the cores leaves CPU to model servers on the same machine, and cuts the gateway's CPU per request (fewer wakeups between threads) at the cost of its peak throughput (Benchmarks/README.md, hot path slice 8: one loop on 2 cores, 0.87x the CPU per request and 0.92x the requests a second)."),
            FieldSchema(
                "gatewayEngine", .enumeration(ServeConfig.GatewayEngine.allCases.map(\.rawValue)), default: "`epoll`",
                "What runs the inference listener's HTTP/1 connections and the gateway's connections to model servers: Sluice's own epoll loops and plain sockets, or SwiftNIO's channels (the earlier default, kept as a fallback), which cost a request ~12,000 more instructions and ~1.3x the CPU (Benchmarks/README.md, hot path slice 53). The admin API, the gRPC listener and the supervisor's health checks run on NIO either way."),
            FieldSchema(
                "eventLoopScheduling", .enumeration(ServeConfig.EventLoopScheduling.allCases.map(\.rawValue)), default: "`batch`",
                "How Linux schedules the gateway's own event loops (`gatewayEngine: epoll`). `batch` (SCHED_BATCH): a loop woken by a request does not preempt what runs on its core, so at a moderate load it finds more events a wakeup: ~7% less CPU a request in the gateway benchmark, no change at full load, the same added p99 (Benchmarks/README.md, hot path slice 61). `normal` (SCHED_OTHER): a woken loop may preempt at once, e.g. a model server computing on the same core; choose it when every core is busy and the gateway's hop must never wait for a time slice."),
            FieldSchema("monitoring", .object(monitoring), "Monitoring buckets (sketches of inputs and outputs, counts, labels) the controller collects."),
            FieldSchema(
                "feedback", .object(feedback), default: "a generated token",
                "Who may post ground truth to `POST /v2/models/{model}/feedback`."),
            FieldSchema("metrics", .object(serveMetrics), default: "open", "Who may read `GET /metrics` on the inference listener."),
            FieldSchema("limits", .object(limits), "What each listener allows before any authentication."),
        ])

    static let admin = ObjectSchema(
        name: "ServeAdmin", plural: "admin sections",
        description: "The data plane's admin API.",
        fields: [
            FieldSchema(
                "listen", .text(nil), default: "`127.0.0.1:8081`",
                "The admin listener: `HOST:PORT` or `unix:/path/to.sock` (created mode 0600)."),
            tokenEnv("The admin bearer token"),
            tokenFile("The admin bearer token", generated: "admin-token"),
        ],
        exclusive: [["tokenEnv", "tokenFile"]])

    static let monitoring = ObjectSchema(
        name: "ServeMonitoring", plural: "monitoring sections",
        description: "Monitoring buckets: sketches of inputs and outputs, counts, labels.",
        fields: [
            FieldSchema(
                "bucket", .string(.duration), default: "`10s`",
                "Length of one bucket, whole seconds from 1s to 1h: the finest span monitor windows are built from."),
            FieldSchema(
                "retain", .string(.duration), default: "`10m`",
                "How long ended buckets wait for the controller to collect them: at least one bucket, at most 24h."),
            FieldSchema(
                "predictions", .integer(minimum: 0, maximum: 10_000_000), default: "`100000`",
                "Predictions remembered by request id so that labels posted later can be joined to them (0: feedback off, answers not read for it)."),
            FieldSchema(
                "sketchedPerSecond", .integer(minimum: 1, maximum: 1_000_000), default: "`200`",
                "Requests per second and version whose features all go into the sketches; above that every k-th (k growing with traffic), so a busy version's cost stays flat. Counts, errors and latency always cover every request."),
        ])

    static let feedback = ObjectSchema(
        name: "ServeFeedback", plural: "feedback sections",
        description: "Access to the feedback endpoint.",
        fields: [
            FieldSchema(
                "open", .boolean, default: "`false`",
                "`true`: anyone who can reach the inference listener may post labels. Refused together with `tokenEnv`/`tokenFile`."),
            tokenEnv("The feedback bearer token"),
            tokenFile("The feedback bearer token", generated: "feedback-token"),
        ],
        exclusive: [["tokenEnv", "tokenFile"]])

    static let serveMetrics = ObjectSchema(
        name: "ServeMetrics", plural: "metrics sections",
        description: "Access to `GET /metrics` of the data plane.",
        fields: [
            FieldSchema("tokenEnv", .text(nil), "An environment variable holding the bearer token `/metrics` then requires."),
            FieldSchema("tokenFile", .text(nil), "A file (mode 0600) whose first line is the bearer token `/metrics` then requires."),
        ],
        exclusive: [["tokenEnv", "tokenFile"]])

    static let limits = ObjectSchema(
        name: "ServeLimits", plural: "limits sections",
        description: "Per listener, before any authentication (docs/serve-config.md).",
        fields: [
            FieldSchema(
                "maxConnections", .integer(minimum: 1, maximum: 1_000_000), default: "`1024`",
                "Connections each listener holds at once; further ones are closed as soon as they are accepted."),
            FieldSchema(
                "idleTimeout", .string(.duration), default: "`60s`",
                "A connection with no request in progress is closed (100ms to 1h)."),
            FieldSchema(
                "headerTimeout", .string(.duration), default: "`10s`",
                "A request head must be complete this long after its first byte (100ms to 1h)."),
            FieldSchema(
                "bodyTimeout", .string(.duration), default: "`10s`",
                "A request body must make progress at least this often (100ms to 1h)."),
            FieldSchema(
                "bufferedMiB", .integer(minimum: 16, maximum: 65536), default: "`256`",
                "MiB of request bodies each listener holds at once; a body that would go beyond is answered 503."),
        ])

    static let runtime = ObjectSchema(
        name: "Runtime", plural: "runtimes",
        description: "How to run one kind of model server.",
        fields: [
            FieldSchema(
                "command", .list(.text(nil), minItems: 1, uniqueField: nil), default: "required unless `backend.kind` is `kubernetes`",
                "The program and its arguments; `{artifact}` (absolute path), `{port}`, `{grpcPort}` (a second port from `serve.ports`, allocated only when named: the model server's gRPC port), `{model}`, `{version}` are filled in; a value holding anything but letters, digits and `. _ - + / ~` is refused, never quoted (docs/runtimes.md)."),
            FieldSchema(
                "env", .map(keys: nil, values: .text(nil)), default: "none",
                "Extra environment (templated the same way). The process gets only `PATH`, `HOME`, `LANG`, `LC_*`, `TZ`, `TMPDIR` from `sluice serve`'s environment, this `env`, and `SLUICE_MODEL`, `SLUICE_VERSION`, `SLUICE_PORT` (and `SLUICE_GRPC_PORT` when `{grpcPort}` is named) (docs/model-servers.md)."),
            FieldSchema(
                "readinessPath", .text(nil), default: "`/v2/models/{model}/ready`",
                "A path starting with `/` (templated), polled every 100 ms while starting and every second after; a version gets traffic once it answers."),
            FieldSchema(
                "startTimeout", .string(.duration), default: "`60s`",
                "Not ready by then: the process is killed and restarted."),
            FieldSchema(
                "workingDirectory", .text(nil), default: "the config file's directory", "The working directory of the process."),
            FieldSchema(
                "kubernetes", .object(kubernetesRuntime), default: "none",
                "How the runtime runs as a container on `backend.kind: kubernetes` with the `gateway-api` driver."),
            FieldSchema(
                "kserve", .object(kserveRuntime), default: "none",
                "The KServe predictor the runtime maps to on `backend.kind: kubernetes` with the `kserve` driver."),
        ])

    static let controller = ObjectSchema(
        name: "Controller", plural: "controller sections",
        description: "The control plane.",
        fields: [
            FieldSchema("repository", .text(nil), required: true, "A local repository (working copy or bare), or a URL."),
            FieldSchema(
                "branch", .text(nil), default: "the checked-out branch, or the remote's default", "The branch to follow."),
            FieldSchema("path", .text(nil), default: "the whole repository", "The manifests' directory in the repository."),
            FieldSchema(
                "interval", .string(.duration), default: "`30s`",
                "How often git is read when nothing else triggers a pass (±10% jitter); a local branch is also watched every 100 ms."),
            FieldSchema(
                "listen", .text(nil), default: "`127.0.0.1:8090`",
                "The API (`sluice status`, `promote`, …), `POST /hooks/git` and `/metrics`: `HOST:PORT`."),
            tokenEnv("The API bearer token (an `admin` named `controller-token`)"),
            tokenFile("The API bearer token (an `admin` named `controller-token`)", generated: "controller-token"),
            FieldSchema(
                "tokens", .list(.object(apiToken), minItems: 0, uniqueField: "name"), default: "none",
                "More API tokens, each with a name (the actor the history records) and a role: `viewer`, `operator` or `admin` (docs/controller.md, *Roles*)."),
            FieldSchema(
                "webhookSecretEnv", .text(nil),
                "An environment variable holding the webhook secret (GitHub HMAC key or GitLab token); enables `POST /hooks/git`."),
            FieldSchema("webhookSecretFile", .text(nil), "A file (mode 0600) holding the webhook secret; enables `POST /hooks/git`."),
            FieldSchema(
                "stateDirectory", .text(nil), default: "`.sluice/controller`",
                "The SQLite store, the clone cache and the artifacts read from git."),
            FieldSchema(
                "dataPlane", .text(nil), default: "`serve.admin.listen` of this file",
                "The data plane's admin API: `http://HOST:PORT` or `unix:PATH`; its token is sent nowhere else."),
            FieldSchema(
                "dataPlaneTokenEnv", .text(nil), default: "the token `serve.admin` describes",
                "An environment variable holding the data plane's admin token."),
            FieldSchema(
                "dataPlaneTokenFile", .text(nil), default: "the token `serve.admin` describes",
                "A file (mode 0600) holding the data plane's admin token."),
            FieldSchema("allowEmpty", .boolean, default: "`false`", "Whether an empty manifest set may prune every model."),
            FieldSchema(
                "windows", .list(.object(ManifestSchema.window), minItems: 0, uniqueField: nil), default: "none",
                "Change windows for every model, beside each manifest's `spec.windows`: `deny` windows hold new rollouts and promotions; with `allow` windows they happen only inside one. Rollbacks and aborts always happen (docs/windows.md)."),
            FieldSchema("gitTokenEnv", .text(nil), "An environment variable holding an HTTPS token for a remote repository."),
            FieldSchema("monitors", .object(monitors), "Collecting monitoring buckets, and the monitors' webhooks."),
            FieldSchema(
                "notifications", .list(.object(notificationTarget), minItems: 0, uniqueField: "name"), default: "none",
                "Where rollout results and alerts are reported: Slack, a generic JSON receiver, GitHub or GitLab commit statuses (docs/notifications.md)."),
            FieldSchema("metricsTokenEnv", .text(nil), default: "open", "An environment variable holding the bearer token `GET /metrics` then requires."),
            FieldSchema("metricsTokenFile", .text(nil), default: "open", "A file (mode 0600) holding the bearer token `GET /metrics` then requires."),
            FieldSchema("viewerTokenEnv", .text(nil), default: "none", "An environment variable holding a read-only token for the web dashboard at `/ui`."),
            FieldSchema("viewerTokenFile", .text(nil), default: "none", "A file (mode 0600) holding a read-only token for the web dashboard at `/ui`."),
            FieldSchema(
                "prometheus", .object(prometheus), default: "none (`metric: prometheus` is an Error)",
                "The Prometheus that `metric: prometheus` checks and monitors query (see Prometheus below the table)."),
            FieldSchema("artifacts", .object(artifacts), default: "defaults", "Fetching and caching artifacts outside git: S3, HTTPS, MLflow."),
            FieldSchema("git", .object(controllerGit), default: "defaults", "The commits the controller writes (`rollout.onAbort: revert`)."),
            FieldSchema(
                "verify", .object(verify), default: "off (any commit is applied)",
                "Apply only commits signed by the operator's keys; an unverified head keeps the last verified state (docs/controller.md, Signed commits)."),
        ],
        exclusive: [
            ["tokenEnv", "tokenFile"], ["webhookSecretEnv", "webhookSecretFile"], ["dataPlaneTokenEnv", "dataPlaneTokenFile"],
            ["metricsTokenEnv", "metricsTokenFile"], ["viewerTokenEnv", "viewerTokenFile"],
        ])

    static let apiToken = ObjectSchema(
        name: "APIToken", plural: "API tokens",
        description: "A named token of the controller's API and dashboard.",
        fields: [
            FieldSchema(
                "name", .text(nil), required: true,
                "Who holds the token: letters, digits, `.`, `_`, `@`, `-` (at most 64); unique. The history and notifications name it as the actor."),
            FieldSchema(
                "role", .enumeration(APIRole.allCases.map(\.rawValue)), required: true,
                "`viewer` reads, `operator` also promotes, aborts, retries and approves, `admin` may do everything."),
            FieldSchema("tokenEnv", .text(nil), "An environment variable holding the token (one of `tokenEnv`, `tokenFile`)."),
            FieldSchema("tokenFile", .text(nil), "A file (mode 0600) whose first line is the token."),
        ],
        exclusive: [["tokenEnv", "tokenFile"]])

    static let monitors = ObjectSchema(
        name: "ControllerMonitors", plural: "monitors sections",
        description: "The controller's side of monitoring.",
        fields: [
            FieldSchema(
                "interval", .string(.duration), default: "`10s`",
                "How often monitoring buckets are collected and windows judged (at least 1s)."),
            FieldSchema("alertWebhook", .text(nil), "`http://HOST:PORT/PATH` POSTed on firing and resolving (plain http)."),
            FieldSchema("retrainWebhook", .text(nil), "`http://HOST:PORT/PATH` POSTed after `sluice approve MODEL --monitor NAME`."),
            FieldSchema("webhookTokenEnv", .text(nil), "An environment variable holding a bearer token sent to both webhooks."),
            FieldSchema("webhookTokenFile", .text(nil), "A file (mode 0600) holding a bearer token sent to both webhooks."),
        ],
        exclusive: [["webhookTokenEnv", "webhookTokenFile"]])

    static let notificationTarget = ObjectSchema(
        name: "NotificationTarget", plural: "notification targets",
        description: "A receiver of rollout results (docs/notifications.md).",
        fields: [
            FieldSchema("name", .text(nil), required: true, "The target's name, unique; deliveries are kept per name."),
            FieldSchema("type", .enumeration(NotificationTarget.Kind.allCases.map(\.rawValue)), required: true, "What the target speaks."),
            FieldSchema("urlEnv", .text(nil), "`slack`, `generic`: an environment variable holding the webhook URL (a secret)."),
            FieldSchema("urlFile", .text(nil), "`slack`, `generic`: a file (mode 0600) holding the webhook URL (a secret)."),
            FieldSchema(
                "api", .text(nil), default: "`https://api.github.com`, `https://gitlab.com/api/v4`",
                "`github`, `gitlab`: the API base URL."),
            FieldSchema("repository", .text(nil), "`github`: `OWNER/REPO`; `gitlab`: the project's id or `GROUP/PROJECT`."),
            FieldSchema("tokenEnv", .text(nil), "`github`, `gitlab`: an environment variable holding the API token."),
            FieldSchema("tokenFile", .text(nil), "`github`, `gitlab`: a file (mode 0600) holding the API token."),
            FieldSchema("caFile", .text(nil), default: "the system's trust store only", "A PEM file of CA certificates trusted in addition."),
            FieldSchema("dashboardURL", .text(nil), "A link sent with messages and as the statuses' `target_url`."),
            FieldSchema(
                "events", .list(.enumeration(NotificationEvent.allCases.map(\.rawValue)), minItems: 1, uniqueField: nil), default: "all",
                "The events reported."),
            FieldSchema(
                "delivery", .object(notificationDelivery), default: "defaults",
                "How notifications are paced, retried and given up (docs/notifications.md, *Delivery*)."),
            FieldSchema(
                "pullRequestComment", .boolean, default: "`false`",
                "`github`: also comment on the pull requests associated with a rollout's commit when it is promoted or aborted."),
        ],
        exclusive: [["urlEnv", "urlFile"], ["tokenEnv", "tokenFile"]])

    static let notificationDelivery = ObjectSchema(
        name: "NotificationDelivery", plural: "delivery sections",
        description: "How a notification target's deliveries are paced and retried.",
        fields: [
            FieldSchema(
                "ratePerMinute", .integer(minimum: 1, maximum: 6000), default: "`60`",
                "Requests per minute at most; a burst beyond it waits in the outbox, in order, and is not dropped."),
            FieldSchema(
                "retryInitial", .string(.duration), default: "`2s`",
                "The delay before the first retry of a failed delivery (at least 1s); each later one doubles."),
            FieldSchema("retryMax", .string(.duration), default: "`10m`", "The longest delay between two attempts (at least `retryInitial`)."),
            FieldSchema(
                "giveUpAfter", .string(.duration), default: "`24h`",
                "A notification still undeliverable this long after it was queued is dropped with a log line (at least 1m)."),
        ])

    static let controllerGit = ObjectSchema(
        name: "ControllerGit", plural: "git sections",
        description: "The commits the controller writes.",
        fields: [
            FieldSchema(
                "author", .object(gitAuthor), default: "`Sluice <sluice@HOSTNAME>` (this host's name)",
                "The author and committer of `onAbort: revert` commits; the host's git `user.name` and `user.email` are never used."),
            FieldSchema(
                "signing", .object(gitSigning), default: "unsigned",
                "The key `onAbort: revert` commits are signed with, so that they pass `controller.verify` (its public half must be among the allowed keys)."),
        ])

    static let gitSigning = ObjectSchema(
        name: "GitSigning", plural: "signing sections",
        description: "The key the controller signs its commits with.",
        fields: [
            FieldSchema(
                "format", .enumeration(SignatureFormat.allCases.map(\.rawValue)), required: true,
                "`ssh` (signed with `ssh-keygen -Y sign -n git`) or `gpg` (`gpg --detach-sign --armor` in a throwaway GnuPG home)."),
            FieldSchema(
                "keyFile", .text(nil), required: true,
                "The private key (mode 0600, no passphrase): an SSH private key, or an OpenPGP secret key exported with `gpg --export-secret-keys`. Only its path is passed to the tool."),
        ])

    static let verify = ObjectSchema(
        name: "ControllerVerify", plural: "verify sections",
        description: "Which commits the controller applies: those signed by the operator's keys.",
        fields: [
            FieldSchema(
                "mode", .enumeration(VerificationMode.allCases.map(\.rawValue)), default: "`all`",
                "`all`: the head and every commit since the last verified head must be signed; `head`: only the head (for teams that squash)."),
            FieldSchema("gpg", .object(verifyGPG), default: "none", "OpenPGP signatures, checked with `gpg --verify`."),
            FieldSchema("ssh", .object(verifySSH), default: "none", "SSH signatures, checked with `ssh-keygen -Y verify`."),
        ])

    static let verifyGPG = ObjectSchema(
        name: "ControllerVerifyGPG", plural: "gpg sections",
        description: "The OpenPGP keys commits may be signed with.",
        fields: [
            FieldSchema(
                "keyring", .text(nil), required: true,
                "A file of OpenPGP public keys (`gpg --export [--armor] KEYID…`), imported at start into a throwaway GnuPG home; the user's own keyring is never read."),
        ])

    static let verifySSH = ObjectSchema(
        name: "ControllerVerifySSH", plural: "ssh sections",
        description: "The SSH keys commits may be signed with.",
        fields: [
            FieldSchema(
                "allowedSigners", .text(nil), required: true,
                "An allowed-signers file (git's `gpg.ssh.allowedSignersFile` format: `PRINCIPALS [OPTIONS] KEYTYPE BASE64KEY` per line), read at start."),
        ])

    static let gitAuthor = ObjectSchema(
        name: "GitAuthor", plural: "authors",
        description: "Who a commit Sluice writes is by.",
        fields: [
            FieldSchema("name", .text(nil), required: true, "The name: not empty, on one line, without `<` or `>`."),
            FieldSchema("email", .text(nil), required: true, "The email address: not empty, without spaces, `<` or `>`."),
        ])

    private static func tokenEnv(_ what: String) -> FieldSchema {
        FieldSchema("tokenEnv", .text(nil), "An environment variable holding \(what.lowercasedFirst). The token is never logged.")
    }

    private static func tokenFile(_ what: String, generated: String) -> FieldSchema {
        FieldSchema(
            "tokenFile", .text(nil), default: "generated",
            "A file (mode 0600) whose first line is \(what.lowercasedFirst). With neither `tokenEnv` nor `tokenFile`, a random token is written to `stateDirectory/\(generated)` (mode 0600) at first start.")
    }

    /// The JSON Schema (draft 2020-12) of `sluice.yaml`.
    public static func jsonSchema() -> JSONValue {
        JSONSchemaGenerator.schema(of: document, id: id, title: "Sluice operator config (sluice.yaml)")
    }

    /// The reference table of `sluice.yaml`, for docs/serve-config.md.
    public static func markdown() -> String { ReferenceGenerator.markdown(of: document) }
}

extension String {
    fileprivate var lowercasedFirst: String { prefix(1).lowercased() + dropFirst() }
}
