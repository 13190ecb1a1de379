import SluiceCore

/// Earlier specs of the models a plan changes, for fast-rollback detection: walking each
/// model's manifest history back from the base revision, newest first. Used by `sluice plan`
/// and by the controller's plan of its head commit (the dashboard).
public enum RollbackHistory {
    /// How far back to look: the largest `rollbackWindow` a manifest may set, plus the current spec.
    public static let maximumEntries = 101

    /// Model name → spec digests at earlier revisions, for ``Planner/init(history:allowEmpty:)``.
    public static func digests(
        for target: DesiredState, comparedWith base: DesiredState?, base commit: CommitID?, reader: ManifestReader
    ) async throws(GitError) -> [String: [String]] {
        guard let base, let commit else { return [:] }
        var history: [String: [String]] = [:]
        for (name, model) in target.models {
            guard let before = base.models[name], before.specDigest != model.specDigest else { continue }
            let window = (model.deployment.rollout?.rollbackWindow ?? Planner.defaultRollbackWindow) + 1
            var digests: [String] = []
            for entry in try await reader.source.history(of: before.path, from: commit, limit: min(window, maximumEntries)) {
                guard let blob = entry.blob, let file = try await reader.file(path: before.path, blob: blob),
                    let deployment = file.entries.first(where: { $0.name == name })?.deployment
                else { continue }
                digests.append(deployment.specDigest)
            }
            history[name] = digests
        }
        return history
    }
}
