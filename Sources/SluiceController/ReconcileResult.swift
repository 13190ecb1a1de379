import SluiceGit
import SluiceStore

/// What one reconcile pass did, step by step: the loop logs it, tests read it.
public struct ReconcileResult: Sendable {
    /// Why the pass ran.
    public var trigger: Trigger
    /// The desired commit the pass worked from (nil before git was ever read).
    public var commit: CommitID?
    /// The step that stopped the pass, and why; nil when every step ran.
    public var failure: (step: Step, message: String)?
    /// Events recorded by the pass (decisions, self-heal, reverts).
    public var events: [ControllerStore.EventRecord] = []
    /// Whether a new runtime spec was sent to the data plane.
    public var appliedSpec = false

    /// The steps of a pass, in order.
    public enum Step: String, Sendable, Hashable {
        /// Whether this replica may act (leader election).
        case leadership
        /// Git at the head and the manifests there.
        case readGit
        /// What the backend runs.
        case observe
        /// Saving the decisions and their intents (one transaction).
        case record
        /// Sending the runtime spec.
        case apply
    }

    public init(trigger: Trigger, commit: CommitID? = nil) {
        self.trigger = trigger
        self.commit = commit
    }

    /// Whether every step ran.
    public var succeeded: Bool { failure == nil }
}
