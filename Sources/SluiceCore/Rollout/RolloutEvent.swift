/// Something worth recording in the audit trail: what happened (``kind``), a sentence for
/// people, and the revision it concerns.
public struct RolloutEvent: Sendable, Hashable {
    /// What kind of thing happened. Extensible: the store and the API keep kinds they do not
    /// know (written by a newer Sluice) as they are. The raw values are what the audit trail
    /// stores and `sluice history` shows, so they never change.
    public struct Kind: OpenVocabulary {
        /// The word, as stored and shown.
        public var rawValue: String
        /// The word named by `rawValue`, known to this version or not.
        public init(rawValue: String) { self.rawValue = rawValue }

        // MARK: Rollouts (the rollout engine)

        /// A model's first deployment.
        public static let deployed = Kind(rawValue: "deployed")
        /// A rollout was cancelled by a newer commit or by git returning to the stable spec.
        public static let superseded = Kind(rawValue: "superseded")
        /// Git returned to a recent stable spec: switched at once, no steps, no analysis.
        public static let fastRollback = Kind(rawValue: "fastRollback")
        /// Traffic changed without any new version gaining traffic: no canary needed.
        public static let updated = Kind(rawValue: "updated")
        /// A rollout toward a new spec began.
        public static let rolloutStarted = Kind(rawValue: "rolloutStarted")
        /// A weight step moved traffic to the candidate.
        public static let step = Kind(rawValue: "step")
        /// An approval step waits for `sluice promote`.
        public static let awaitingApproval = Kind(rawValue: "awaitingApproval")
        /// An analysis run and its verdict.
        public static let analysis = Kind(rawValue: "analysis")
        /// The rollout paused on inconclusive analysis.
        public static let paused = Kind(rawValue: "paused")
        /// A person passed a step or promoted to the end.
        public static let promoteRequested = Kind(rawValue: "promoteRequested")
        /// The candidate became stable.
        public static let promoted = Kind(rawValue: "promoted")
        /// The rollout was aborted: traffic is back on stable. `onAbort: revert` acts on it.
        public static let aborted = Kind(rawValue: "aborted")
        /// A person asked to try a failed spec again.
        public static let retry = Kind(rawValue: "retry")

        // MARK: Change windows

        /// A change window holds a new rollout or a promotion; said once, when the wait begins.
        public static let windowWait = Kind(rawValue: "windowWait")
        /// A person let a change through a closed window (`sluice promote --override-window`).
        public static let windowOverridden = Kind(rawValue: "windowOverridden")

        // MARK: Passes (the controller)

        /// A model gone from git was not pruned (unreadable manifests, or an empty set).
        public static let kept = Kind(rawValue: "kept")
        /// A model gone from git was removed from the data plane.
        public static let pruned = Kind(rawValue: "pruned")
        /// The data plane ran another spec than the controller's; it was replaced.
        public static let selfHeal = Kind(rawValue: "selfHeal")
        /// The manifest names a runtime the operator's config does not define; the model was
        /// left out of the spec (what runs is kept) while the other models go on.
        public static let runtimeUndefined = Kind(rawValue: "runtimeUndefined")

        /// The data plane changed a version's replica count (load, idle time, new bounds or
        /// the operator's process cap); the message says from what to what and why.
        public static let scaled = Kind(rawValue: "scaled")
        /// A reconcile pass failed as a whole (git unreadable, manifests invalid, the data plane
        /// unreachable or refusing the spec) after passing before; recorded once per outage,
        /// under the name `_controller`, not once per failed pass.
        public static let reconcileError = Kind(rawValue: "reconcileError")
        /// A pass succeeded again after a ``reconcileError``.
        public static let reconcileRecovered = Kind(rawValue: "reconcileRecovered")

        // MARK: `onAbort: revert`

        /// The revert commit was written.
        public static let reverted = Kind(rawValue: "reverted")
        /// The branch no longer holds the failed change; nothing to revert.
        public static let revertSkipped = Kind(rawValue: "revertSkipped")
        /// The revert commit could not be written.
        public static let revertFailed = Kind(rawValue: "revertFailed")

        // MARK: Monitors

        /// A monitor crossed its threshold.
        public static let monitorFiring = Kind(rawValue: "monitorFiring")
        /// A firing monitor is back within its thresholds.
        public static let monitorResolved = Kind(rawValue: "monitorResolved")
        /// A monitor's rollback returned traffic to the previous stable spec.
        public static let monitorRollback = Kind(rawValue: "monitorRollback")
        /// A monitor asked for a rollback but there was nothing to return to.
        public static let rollbackSkipped = Kind(rawValue: "rollbackSkipped")
        /// An alert could not be delivered to its webhook.
        public static let alertFailed = Kind(rawValue: "alertFailed")
        /// A person approved retraining on a monitor.
        public static let retrainApproved = Kind(rawValue: "retrainApproved")
        /// Retraining waits for `sluice approve`.
        public static let retrainAwaitingApproval = Kind(rawValue: "retrainAwaitingApproval")
        /// Retraining was not requested: the breach is within the estimate's error.
        public static let retrainWithheld = Kind(rawValue: "retrainWithheld")
        /// The retraining request was sent.
        public static let retrainRequested = Kind(rawValue: "retrainRequested")
        /// The retraining request could not be sent.
        public static let retrainFailed = Kind(rawValue: "retrainFailed")
    }

    /// What happened.
    public var kind: Kind
    /// What happened, for people.
    public var message: String
    /// The revision it concerns, if any.
    public var revision: String?

    /// Creates an event.
    public init(_ kind: Kind, _ message: String, revision: String? = nil) {
        self.kind = kind
        self.message = message
        self.revision = revision
    }
}
