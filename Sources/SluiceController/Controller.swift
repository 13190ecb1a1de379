import Foundation
import Logging
import NIOCore
import NIOPosix
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
    let dataPlane: DataPlaneClient
    let artifacts: ArtifactStore
    let logger: Logger
    let metrics = ControllerMetrics()

    var states: [String: RolloutState] = [:]
    var desired: DesiredState?
    var desiredCommit: CommitID?
    var artifactPaths: [String: String] = [:]
    var artifactErrors: [String: String] = [:]
    /// Models with their artifacts written, by name, reused while nothing they use changes.
    var materializedModels: [String: MaterializedModel] = [:]
    var lastApplied: RuntimeSpec?
    var wake: AsyncStream<String>.Continuation?
    var lastPassError: String?
    /// Whether a pass or a command holds the state (they take turns: a command never
    /// interleaves with a pass at one of its suspension points).
    private var busy = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    /// Waits for the state, then holds it until `releaseState()`.
    func acquireState() async {
        if !busy {
            busy = true
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    /// Hands the state to the next waiter.
    func releaseState() {
        if waiters.isEmpty {
            busy = false
        } else {
            waiters.removeFirst().resume()
        }
    }

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

    /// Opens the repository, the store and the data plane client.
    public init(config: ControllerConfig, logger: Logger) async throws {
        self.config = config
        self.logger = logger
        store = try ControllerStore(path: config.databasePath)
        if config.repository.contains("://") || config.repository.contains("@") {
            let credentials = config.gitTokenEnv.map { GitCredentials.tokenFromEnvironment(variable: $0) } ?? .none
            source = try GitSource.remote(url: config.repository, cacheDirectory: "\(config.stateDirectory)/repos", credentials: credentials)
        } else {
            source = try GitSource.open(path: config.repository)
        }
        reader = ManifestReader(source: source, directory: config.path)
        let group = MultiThreadedEventLoopGroup.singleton
        let tokenSource = config.dataPlaneToken
        let stateDirectory = config.stateDirectory
        dataPlane = DataPlaneClient(
            address: config.dataPlane,
            readToken: { try AdminToken.resolve(tokenSource, stateDirectory: stateDirectory) },
            client: UpstreamClient(group: group), eventLoop: group.next())
        artifacts = ArtifactStore(directory: config.artifactDirectory)
        let webhookToken = config.monitorWebhookToken
        webhooks = WebhookSender(
            client: UpstreamClient(group: group), eventLoop: group.next(),
            readToken: { try webhookToken.map { try AdminToken.resolve($0, stateDirectory: stateDirectory) } })
        states = try store.states()
        for (model, statuses) in try store.monitorStatuses() {
            monitorStatuses[model] = Dictionary(uniqueKeysWithValues: statuses.map { ("\($0.monitor)/\($0.version)", $0) })
        }
        monitorCursor = try store.setting("monitorCursor").flatMap { Int64($0) }
    }

    /// Asks for a pass as soon as possible (a webhook, a command, a new commit).
    public func trigger(_ reason: String) {
        wake?.yield(reason)
    }

    /// Runs passes until the task is cancelled: on every interval (with jitter), and at
    /// once when triggered (``BranchWatcherService`` triggers on a local repository's commits).
    public func run() async {
        let (stream, continuation) = AsyncStream<String>.makeStream(bufferingPolicy: .bufferingNewest(1))
        wake = continuation
        let ticker = Task {
            while !Task.isCancelled {
                let base = Double(self.config.interval.milliseconds) / 1000
                try? await Task.sleep(for: .seconds(base * Double.random(in: 0.9...1.1)))
                continuation.yield("interval")
            }
        }
        // Rollouts need frequent passes (steps, analysis intervals, readiness).
        let rolloutTicker = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(500))
                if self.hasActiveRollout { continuation.yield("rollout") }
            }
        }
        continuation.yield("start")
        var retry: Task<Void, Never>?
        for await reason in stream {
            if Task.isCancelled { break }
            if reason == "retry" { retry = nil }
            await pass(reason: reason)
            // A pass that could not reach git or the data plane (e.g. both planes starting
            // together) is tried again in a second, not only at the next interval.
            if lastPassError != nil, retry == nil {
                retry = Task {
                    try? await Task.sleep(for: .seconds(1))
                    continuation.yield("retry")
                }
            } else if lastPassError == nil {
                retry = nil
            }
        }
        retry?.cancel()
        ticker.cancel()
        rolloutTicker.cancel()
    }

    var hasActiveRollout: Bool {
        states.values.contains { $0.candidate != nil || $0.health == .progressing }
    }

    func resolveHead(fetch: Bool) async throws -> CommitID {
        if fetch, config.repository.contains("://") || config.repository.contains("@") {
            try await source.fetch()
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

    /// Prometheus text.
    public func metricsText() -> String {
        metrics.text(states: status())
    }
}
