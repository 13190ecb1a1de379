import Foundation
import Logging
import NIOPosix
import SluiceArtifacts
import SluiceConfig
import SluiceCore
import SluiceGit
import SluiceServe
import SluiceStore

/// A model whose artifacts were written for the data plane.
struct MaterializedModel: Sendable {
    /// The manifest file.
    var path: String
    /// The manifest's own spec digest (before artifacts were folded in).
    var sourceDigest: String
    var model: DesiredState.Model
}

/// The control plane: reads the desired state from git, compares it with what the data
/// plane runs and what the store remembers, decides with the rollout engine, and applies
/// the result as one complete runtime spec. Level-triggered: every pass starts from the
/// facts, so running it twice changes nothing.
public actor Controller {
    let config: ControllerConfig
    let store: ControllerStore
    let source: GitSource
    let reader: ManifestReader
    let backend: any DataPlaneBackend
    let clock: any WallClock
    let artifacts: ArtifactStore
    let logger: Logger
    let metrics = ControllerMetrics()
    /// What `metric: prometheus` checks and monitors query; nil when none is configured.
    let metricsProvider: MetricsProvider?

    var states: [String: RolloutState] = [:]
    var desired: DesiredState?
    var desiredCommit: CommitID?
    /// Models left out of the spec at the desired commit (artifacts not ready, runtime not
    /// defined), with why.
    var modelProblems: [String: ModelProblem] = [:]
    /// Fetches remote artifacts for the local backend; nil on a cluster (its runtime fetches).
    let artifactFetcher: ArtifactFetcher?
    /// Remote artifacts fetched, or being fetched, in the background.
    var remoteFetches = RemoteArtifactFetches()
    /// Set when a background fetch ended: the next pass reads the manifests again.
    var artifactsArrived = false
    /// Models with their artifacts written, by name, reused while nothing they use changes.
    var materializedModels: [String: MaterializedModel] = [:]
    var lastApplied: RuntimeSpec?
    var lastPassError: String?
    /// Failed passes in a row; a reconcile error is recorded at the second (the first may be
    /// the data plane starting beside the controller, retried a second later).
    var consecutivePassFailures = 0
    /// Whether a `reconcileError` was recorded and no `reconcileRecovered` since (persisted,
    /// so a restart during an outage does not report it again).
    var reconcileErrorReported = false
    /// The loop's inbox while `run()` runs: passes, monitor collections and commands are
    /// handled one at a time, so nothing interleaves at a suspension point.
    var inbox: AsyncStream<Message>.Continuation?
    /// The trigger of the pass waiting in the inbox: triggers that arrive meanwhile join it.
    var queuedTrigger: Trigger?
    /// Whether a monitor collection waits in the inbox (a slow pass must not pile them up).
    var monitorCollectionQueued = false

    /// Monitor windows being filled from the data plane's buckets.
    var monitorWindows = MonitorWindows()
    /// The start of the newest bucket collected (persisted, so a restart does not count one twice).
    var monitorCursor: Int64?
    /// Each monitor's status per version, by model then `monitor/version`.
    var monitorStatuses: [String: [String: MonitorStatus]] = [:]
    /// Baseline files read from git, by blob id and test (content-addressed, so never stale).
    var baselines: [String: MonitorEvaluator.Reference] = [:]
    /// Per model, the input features the data plane is told to sketch (``sketchedInputs(of:)``).
    var sketchedInputs: [String: [String]] = [:]
    let webhooks: WebhookSender
    /// Whether this replica holds the lease; nil: it always acts.
    let leadership: (any LeadershipGate)?
    /// Whether this replica acted as leader in its last pass.
    var leading = false
    /// The rollout states last copied into the backend (``RolloutStateReplica``), by model.
    var replicated: [String: RolloutState] = [:]
    /// Where the scale events recorded into history end (loaded from the store).
    var scaleCursor: ScaleEventCursor?
    /// Each model's versions' replicas as the data plane last reported them (model → version).
    var observedReplicas: [String: [String: ObservedReplicas]] = [:]
    /// The plan of the head commit the dashboard shows, kept until the head moves.
    var headPlanCache: (commit: CommitID, plan: Plan)?
    /// Checks commit signatures before a head is applied (`controller.verify`); nil: no check.
    let verifier: CommitVerifier?
    /// Signs the revert commits the controller writes (`controller.git.signing`).
    let signer: CommitSigner?
    /// What the signature check said of the head last read; nil without `controller.verify`.
    var verification: HeadVerification?
    /// The newest head that passed the check (persisted: a restart checks from there).
    var verifiedHead: CommitID?

    /// What the loop handles, one at a time.
    enum Message: Sendable {
        /// A reconcile pass (its trigger is `queuedTrigger`).
        case reconcile
        /// Collecting monitoring buckets and judging closed windows.
        case collectMonitors
        /// A person's command, answered through `reply`.
        case command(Command, reply: CheckedContinuation<CommandOutcome, Never>)
    }

    /// Builds the controller from its collaborators and loads what the store remembers.
    public init(environment: ControllerEnvironment) throws {
        config = environment.config
        logger = environment.logger
        store = environment.store
        source = environment.source
        backend = environment.backend
        clock = environment.clock
        metricsProvider = environment.metricsProvider
        leadership = environment.leadership
        reader = ManifestReader(source: source, directory: config.path)
        artifacts = ArtifactStore(directory: config.artifactDirectory)
        artifactFetcher = environment.artifactFetcher
        verifier = environment.verifier
        signer = environment.signer
        let group = MultiThreadedEventLoopGroup.singleton
        webhooks = WebhookSender(client: UpstreamClient(group: group), eventLoop: group.next(), readToken: environment.webhookToken)
        states = try store.states()
        for (model, statuses) in try store.monitorStatuses() {
            monitorStatuses[model] = Dictionary(uniqueKeysWithValues: statuses.map { ("\($0.monitor)/\($0.version)", $0) })
        }
        monitorCursor = try store.setting("monitorCursor").flatMap { Int64($0) }
        scaleCursor = ScaleEventCursor(setting: try store.setting(ScaleEventCursor.settingKey))
        reconcileErrorReported = try store.setting(ControllerStore.reconcileErrorSetting) == "reported"
        verifiedHead = try store.setting(Self.verifiedHeadSetting).map(CommitID.init(hex:))
    }

    /// Asks for a pass as soon as possible (a webhook, a command, a new commit). Triggers
    /// that arrive while one waits join it; without a running loop this does nothing.
    public func trigger(_ trigger: Trigger) {
        guard let inbox else { return }
        if let queued = queuedTrigger {
            queuedTrigger = queued.merged(with: trigger)
        } else {
            queuedTrigger = trigger
            inbox.yield(.reconcile)
        }
    }

    /// Runs passes until the task is cancelled: on every interval (with jitter), and at
    /// once when triggered (``BranchWatcherService`` triggers on a local repository's commits,
    /// ``MonitorLoopService`` asks for monitor collections). Passes, monitor collections and
    /// commands are handled one at a time, in arrival order.
    public func run() async {
        let (stream, continuation) = AsyncStream<Message>.makeStream()
        inbox = continuation
        let ticker = Task {
            while !Task.isCancelled {
                let base = Double(self.config.interval.milliseconds) / 1000
                try? await Task.sleep(for: .seconds(base * Double.random(in: 0.9...1.1)))
                self.trigger(.interval)
            }
        }
        // Rollouts need frequent passes (steps, analysis intervals, readiness).
        let rolloutTicker = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(500))
                if self.hasActiveRollout { self.trigger(.rolloutTick) }
            }
        }
        trigger(.start)
        var retry: Task<Void, Never>?
        for await message in stream {
            if Task.isCancelled { break }
            switch message {
            case .reconcile:
                let trigger = queuedTrigger ?? .interval
                queuedTrigger = nil
                if trigger == .retry { retry = nil }
                _ = await reconcile(trigger)
                // A pass that could not reach git or the data plane (e.g. both planes starting
                // together) is tried again in a second, not only at the next interval.
                if lastPassError != nil, retry == nil {
                    retry = Task {
                        try? await Task.sleep(for: .seconds(1))
                        self.trigger(.retry)
                    }
                } else if lastPassError == nil {
                    retry = nil
                }
            case .collectMonitors:
                monitorCollectionQueued = false
                // A follower's readings would be judged twice (alerts, rollbacks): only the leader collects.
                if await mayAct() { await monitorPass() }
            case .command(let command, let reply):
                guard await mayAct() else {
                    reply.resume(returning: .unavailable("this controller replica is not the leader; send the command to the leader (its readiness probe /v1/leader is the one that passes)"))
                    continue
                }
                reply.resume(returning: await execute(command))
            }
        }
        inbox = nil
        continuation.finish()
        retry?.cancel()
        ticker.cancel()
        rolloutTicker.cancel()
    }

    var hasActiveRollout: Bool {
        states.values.contains { $0.candidate != nil || $0.health == .progressing }
    }

    func resolveHead(fetch: Bool) async throws -> CommitID {
        if fetch, config.repositoryLocation.isRemote {
            // Only the branch followed: no tags, no other branches' ref updates.
            try await source.fetch(branch: config.branch)
        }
        if let branch = config.branch { return try await source.resolve(branch) }
        return try await source.resolve("HEAD")
    }

    /// The states of every model, for the API.
    public func status() -> [RolloutState] {
        states.values.sorted { $0.name < $1.name }
    }

    /// The state of one model.
    public func status(of model: String) -> RolloutState? { states[model] }

    /// A model's versions' replicas as the data plane last reported them (empty from a data
    /// plane that does not report replicas).
    public func replicas(of model: String) -> [String: ObservedReplicas] { observedReplicas[model] ?? [:] }

    /// The error of the last pass, if it failed as a whole (git or data plane unreachable).
    public func lastError() -> String? { lastPassError }

    /// The audit trail of a model.
    public func history(of model: String) throws -> [ControllerStore.HistoryEntry] {
        try store.history(of: model)
    }

    /// The measurements of a model.
    public func measurements(of model: String) throws -> [ControllerStore.MeasurementEntry] {
        try store.measurements(of: model)
    }

    /// The newest `limit` monitor readings of a model, oldest first (the dashboard charts them).
    public func monitorReadings(of model: String, limit: Int = 500) throws -> [MonitorReading] {
        try store.monitorReadings(of: model, limit: limit)
    }

    /// The steps of `model`'s rollout in progress, as the desired manifest declares them;
    /// nil when no rollout runs or the manifest no longer describes it.
    public func rolloutSteps(of model: String) -> [RolloutStep]? {
        guard let candidate = states[model]?.candidate, let desired = desired?.models[model],
              desired.specDigest == candidate.target.digest else { return nil }
        return desired.deployment.rollout?.steps
    }

    /// Prometheus text.
    public func metricsText() -> String {
        metrics.text(states: status())
    }
}
