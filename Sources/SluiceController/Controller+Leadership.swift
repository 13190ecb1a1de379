import Logging
import SluiceCore
import SluiceStore

extension Controller {
    /// Whether this replica may act now. On becoming leader it first takes over the rollout
    /// states the previous leader kept in the backend (``RolloutStateReplica``), so rollouts
    /// resume where they stood rather than from this replica's older store; until that read
    /// succeeds it does not act.
    func mayAct() async -> Bool {
        guard let leadership else { return true }
        guard leadership.isLeader else {
            if leading {
                leading = false
                logger.warning("leadership lost: this replica stops acting until it holds the lease again")
            }
            return false
        }
        guard !leading else { return true }
        if let replica = backend as? any RolloutStateReplica {
            do {
                let kept = try await replica.rolloutStates()
                // The backend's copies are the truth across replicas; with none (the first
                // leader, or one upgraded from a release that kept none) this store's stand.
                if !kept.isEmpty {
                    let stale = states.keys.filter { kept[$0] == nil }
                    try store.save(states: Array(kept.values), removed: stale, at: clock.now())
                    states = kept
                }
                replicated = kept.mapValues(\.replicaForm)
            } catch {
                lastPassError = "taking over the rollout states kept in the backend failed: \(error)"
                logger.error("\(lastPassError ?? "")")
                return false
            }
        }
        // The spec in force is read again: the previous leader may have changed it.
        lastApplied = nil
        leading = true
        logger.notice("leadership acquired: this replica acts now (\(replicated.count) rollout state(s) taken over)")
        return true
    }

    /// Whether this replica acts (always, without leader election).
    public func isActing() -> Bool {
        leadership?.isLeader ?? true
    }

    /// Copies the rollout states that changed since the last copy into the backend (when it
    /// keeps them), and forgets those of models that are gone. Cost follows the change.
    func replicateStates() async throws(DataPlaneError) {
        guard let replica = backend as? any RolloutStateReplica else { return }
        // What git asks for is read again by every pass, so it is not copied: a new commit
        // then rewrites only the states of the models it changed.
        let changed = states.values.map(\.replicaForm).filter { replicated[$0.name] != $0 }
        let gone = replicated.keys.filter { states[$0] == nil }
        if !changed.isEmpty { try await replica.storeRolloutStates(changed.sorted { $0.name < $1.name }) }
        if !gone.isEmpty { try await replica.removeRolloutStates(gone.sorted()) }
        for state in changed { replicated[state.name] = state }
        for name in gone { replicated[name] = nil }
    }
}

extension RolloutState {
    /// The state without what each pass derives again from git (the desired revision and
    /// digest), as it is kept in the backend for another replica.
    var replicaForm: RolloutState {
        var copy = self
        copy.desiredRevision = nil
        copy.desiredDigest = nil
        return copy
    }
}
