import Logging
import SluiceConfig
import SluiceCore

/// What makes a running version distinct: a change to any part starts a new process
/// (the old one keeps serving until the new one is ready).
struct InstanceKey: Hashable, Sendable, CustomStringConvertible {
    var model: String
    var version: String
    var runtime: String?
    var artifact: String?
    var digest: String?
    var endpoint: String?

    init(model: String, version: VersionRuntime) {
        self.model = model
        self.version = version.name
        runtime = version.runtime
        artifact = version.artifact
        digest = version.digest
        endpoint = version.endpoint
    }

    var description: String { "\(model)/\(version)" }

    /// The model and version as log metadata.
    var metadata: Logger.Metadata { ["model": "\(model)", "version": "\(version)"] }
}

/// The life of one replica's process of a version (or its external endpoint), owned by the
/// supervisor.
final class ManagedInstance {
    /// Where an instance is in its life.
    enum Phase: String {
        /// Started, waiting for readiness.
        case starting = "Starting"
        /// Ready: may get traffic.
        case ready = "Ready"
        /// Running but failing its readiness probe: no traffic.
        case unready = "Unready"
        /// Exited or failed to become ready; waiting to start again.
        case backoff = "BackOff"
        /// Failing repeatedly; still retried, with the longest backoff.
        case crashLoop = "CrashLoopBackOff"
        /// Cannot be started at all (unknown runtime, program missing).
        case failed = "Failed"
        /// Being stopped.
        case stopping = "Stopping"
    }

    let key: InstanceKey
    /// The replica's index within its version, from 0 (an endpoint has only 0).
    let replica: Int
    /// How to run it; nil for an external endpoint.
    let definition: RuntimeDefinition?
    /// The resolved artifact path handed to the command.
    let artifactPath: String?
    var phase: Phase = .starting
    var desired = true
    var pid: Int32?
    /// The cgroup holding the process and its descendants, when cgroups are usable.
    var cgroup: Cgroup?
    var port: Int?
    /// The second port, for the model server's gRPC listener (a runtime naming `{grpcPort}`).
    var grpcPort: Int?
    var target: UpstreamTarget?
    var restarts = 0
    var consecutiveFailures = 0
    var lastExit: String?
    /// Why the supervisor killed the process, reported instead of the bare exit status.
    var killReason: String?
    var message: String?
    var startedAt: ContinuousClock.Instant?
    var readySince: ContinuousClock.Instant?
    var nextStart: ContinuousClock.Instant?
    var lastProbe: ContinuousClock.Instant?
    var probeFailures = 0
    var drainDeadline: ContinuousClock.Instant?
    var killDeadline: ContinuousClock.Instant?
    /// Requests of the current target already added to its version's completed count.
    var countedCompleted = 0
    /// Ready to start but held back: the process cap (`serve.maxProcesses`) is reached,
    /// by replicas still finishing their requests.
    var awaitingSlot = false

    init(key: InstanceKey, replica: Int = 0, definition: RuntimeDefinition?, artifactPath: String?) {
        self.key = key
        self.replica = replica
        self.definition = definition
        self.artifactPath = artifactPath
    }

    /// Whether the gateway may route to it.
    var isReady: Bool { phase == .ready && target != nil }

    /// Its model and version by name.
    var versionName: VersionName { VersionName(model: key.model, version: key.version) }

    /// `model/version` for replica 0 (as before replicas existed), `model/version#N` otherwise.
    var name: String { replica == 0 ? key.description : "\(key)#\(replica)" }

    /// The model and version as log metadata, and the replica from 1 on (replica 0 logs as a
    /// version did before replicas).
    var metadata: Logger.Metadata {
        var metadata = key.metadata
        if replica > 0 { metadata["replica"] = "\(replica)" }
        return metadata
    }

    /// The log file name: `model--version.log` for replica 0 (the path kept from before
    /// replicas), `model--version--rN.log` for the others.
    var logFileName: String {
        replica == 0 ? "\(key.model)--\(key.version).log" : "\(key.model)--\(key.version)--r\(replica).log"
    }

    /// Orders replicas for reporting and for keeping: ready first, then starting, then
    /// waiting to restart, then failed.
    var rank: Int {
        switch phase {
        case .ready: isReady ? 0 : 1
        case .starting, .unready: 1
        case .backoff, .crashLoop: 2
        case .failed: 3
        case .stopping: 4
        }
    }

    /// The backoff before the next start after `failures` consecutive failures:
    /// 0.5 s doubling to 30 s.
    static func backoff(after failures: Int) -> Swift.Duration {
        let exponent = min(max(failures - 1, 0), 6)
        return min(.milliseconds(500 * (1 << exponent)), .seconds(30))
    }

    /// Consecutive failures after which the instance is reported as crash-looping.
    static let crashLoopThreshold = 3
}
