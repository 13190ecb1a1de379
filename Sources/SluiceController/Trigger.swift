import SluiceGit

/// Why a reconcile pass runs. What a pass re-reads depends on it: timed passes fetch the
/// remote and re-read the data plane's spec (self-heal); a branch that moved only reads
/// the new commit.
public enum Trigger: Sendable, Hashable, CustomStringConvertible {
    /// The first pass after start-up.
    case start
    /// The periodic pass (`controller.interval`, ±10%).
    case interval
    /// A pass that failed as a whole is tried again a second later.
    case retry
    /// The watched local branch moved to this commit.
    case branchMoved(CommitID)
    /// A forge's push webhook.
    case webhook(forge: String)
    /// A person's command changed a rollout (promote, abort, retry, approve).
    case command
    /// A rollout is in progress: steps, analysis intervals and readiness need passes.
    case rolloutTick
    /// A monitor rolled a version back.
    case monitorRollback
    /// A revert commit was written.
    case revertWritten(CommitID)
    /// An artifact fetched in the background is ready (or failed): the manifests are read again.
    case artifactFetched

    /// Whether the pass fetches a remote repository first (the others act on what is known).
    public var fetchesRemote: Bool {
        switch self {
        case .start, .interval, .retry, .webhook: true
        case .branchMoved, .command, .rolloutTick, .monitorRollback, .revertWritten, .artifactFetched: false
        }
    }

    /// Whether the pass re-reads the data plane's own spec instead of trusting the one it
    /// applied last: this is how a data plane changed behind the controller's back heals.
    public var rereadsDataPlaneSpec: Bool {
        switch self {
        case .start, .interval: true
        default: false
        }
    }

    /// Of two triggers waiting for the same pass, the one that reads more.
    func merged(with other: Trigger) -> Trigger {
        if fetchesRemote && rereadsDataPlaneSpec { return self }
        if other.fetchesRemote && other.rereadsDataPlaneSpec { return other }
        if fetchesRemote { return self }
        return other.fetchesRemote ? other : self
    }

    public var description: String {
        switch self {
        case .start: "start"
        case .interval: "interval"
        case .retry: "retry"
        case .branchMoved(let commit): "commit \(commit.short)"
        case .webhook(let forge): "webhook \(forge)"
        case .command: "command"
        case .rolloutTick: "rollout"
        case .monitorRollback: "monitor rollback"
        case .revertWritten(let commit): "revert \(commit.short)"
        case .artifactFetched: "artifact fetched"
        }
    }
}
