import SluiceConfig
import SluiceCore
import SluiceGit
import SluiceStore

extension Controller {
    /// `rollout.onAbort: revert`: after an abort, writes a commit that reverts the failed
    /// change to the model's manifest, so that git says what runs. Returns the event to record
    /// and what the model's status says of the revert.
    func revertAfterAbort(model: String, failedRevision: String) async -> (event: RolloutEvent, revert: RolloutOutcome.Revert) {
        do {
            let branch: String
            if let configured = config.branch {
                branch = configured
            } else if let current = await source.currentBranch() {
                branch = current
            } else if let remoteDefault = await source.defaultBranch() {
                branch = remoteDefault
            } else {
                return Self.revertFailed("no branch to commit to (set controller.branch)", revision: failedRevision)
            }
            // `controller.git.author`, never the host's git identity: the commit says Sluice wrote it.
            let rollback = ManifestRollback(
                model: model, branch: branch, commitToRevert: failedRevision, identity: config.gitAuthor, push: source.remoteURL != nil,
                signer: signer)
            guard try await rollback.isPending(reader: reader) else {
                let why = "\(branch) no longer holds the failed change (already reverted or superseded)"
                return (RolloutEvent(.revertSkipped, "onAbort: revert: \(why)", revision: failedRevision), .init(status: .skipped, message: why))
            }
            let outcome = try await rollback.run(reader: reader)
            trigger(.revertWritten(outcome.commit))
            let written = "committed \(outcome.commit.short) on \(branch) (\(outcome.path))"
            return (
                RolloutEvent(.reverted, "onAbort: revert: \(written)", revision: outcome.commit.hex),
                .init(status: .written, commit: outcome.commit.hex, message: written))
        } catch {
            return Self.revertFailed("\(error)", revision: failedRevision)
        }
    }

    private static func revertFailed(_ why: String, revision: String) -> (event: RolloutEvent, revert: RolloutOutcome.Revert) {
        (RolloutEvent(.revertFailed, "onAbort: revert: \(why)", revision: revision), .init(status: .failed, message: why))
    }
}
