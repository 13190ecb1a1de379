import SluiceConfig
import SluiceCore
import SluiceGit
import SluiceStore

extension Controller {
    /// `rollout.onAbort: revert`: after an abort, writes a commit that reverts the failed
    /// change to the model's manifest, so that git says what runs. Returns the event to record.
    func revertAfterAbort(model: String, failedRevision: String) async -> RolloutEvent {
        do {
            let branch: String
            if let configured = config.branch {
                branch = configured
            } else if let current = await source.currentBranch() {
                branch = current
            } else if let remoteDefault = await source.defaultBranch() {
                branch = remoteDefault
            } else {
                return RolloutEvent(.revertFailed, "onAbort: revert: no branch to commit to (set controller.branch)", revision: failedRevision)
            }
            // `controller.git.author`, never the host's git identity: the commit says Sluice wrote it.
            let rollback = ManifestRollback(
                model: model, branch: branch, commitToRevert: failedRevision, identity: config.gitAuthor, push: source.remoteURL != nil)
            guard try await rollback.isPending(reader: reader) else {
                return RolloutEvent(
                    .revertSkipped, "onAbort: revert: \(branch) no longer holds the failed change (already reverted or superseded)",
                    revision: failedRevision)
            }
            let outcome = try await rollback.run(reader: reader)
            trigger(.revertWritten(outcome.commit))
            return RolloutEvent(.reverted, "onAbort: revert: committed \(outcome.commit.short) on \(branch) (\(outcome.path))", revision: outcome.commit.hex)
        } catch {
            return RolloutEvent(.revertFailed, "onAbort: revert: \(error)", revision: failedRevision)
        }
    }
}
