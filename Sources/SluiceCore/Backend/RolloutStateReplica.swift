/// A backend that keeps the controller's rollout states beside what it runs, so that a
/// controller replica taking over (leader election on a cluster) resumes each rollout where
/// the previous leader left it instead of starting from its own, older store.
///
/// The leader writes every changed state before it applies the spec those states imply;
/// a replica that becomes leader reads them all before its first pass.
public protocol RolloutStateReplica: Sendable {
    /// Stores `states` (only those that changed), replacing earlier copies.
    func storeRolloutStates(_ states: [RolloutState]) async throws(DataPlaneError)
    /// Forgets the states of models that are gone.
    func removeRolloutStates(_ models: [String]) async throws(DataPlaneError)
    /// Every stored state, by model name.
    func rolloutStates() async throws(DataPlaneError) -> [String: RolloutState]
}
