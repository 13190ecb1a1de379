import SluiceCore

/// Rolls one model back in git: a revert of the last commit that changed its manifest, or its
/// manifest restored as it was at a revision. The result is validated before anything is
/// committed, and the branch is only moved if nobody moved it meanwhile.
public struct ManifestRollback: Sendable {
    /// What was done.
    public struct Outcome: Sendable {
        /// The new commit.
        public var commit: CommitID
        /// The commit that was reverted, for a revert.
        public var reverted: CommitID?
        /// The revision the manifest was restored from, for `--to`.
        public var restoredFrom: CommitID?
        /// The manifest file changed.
        public var path: String
        /// The commit message.
        public var message: String
        /// Whether it was pushed.
        public var pushed: Bool
    }

    /// The model to roll back.
    public var model: String
    /// The branch to commit on.
    public var branch: String
    /// Restore the manifest as it was at this revision instead of reverting the last change.
    public var target: String?
    /// Revert this commit's change to the manifest instead of the last one (may conflict).
    public var commitToRevert: String?
    /// Who commits.
    public var identity: GitIdentity
    /// Push to `origin` afterwards (required for a remote cache).
    public var push: Bool
    /// Signs the commit with the operator's key (`controller.git.signing`); nil: unsigned.
    public var signer: CommitSigner?

    /// Creates a rollback request.
    public init(
        model: String, branch: String, target: String? = nil, commitToRevert: String? = nil, identity: GitIdentity, push: Bool,
        signer: CommitSigner? = nil
    ) {
        self.signer = signer
        self.model = model
        self.branch = branch
        self.target = target
        self.commitToRevert = commitToRevert
        self.identity = identity
        self.push = push
    }

    /// Performs the rollback.
    /// - Throws: ``GitError`` `refused` with a message for the user when the model is unknown,
    ///   the revert conflicts, the result would be invalid, or the branch moved.
    public func run(reader: ManifestReader) async throws(GitError) -> Outcome {
        let source = reader.source
        if source.remoteURL != nil, !push {
            throw .refused("a rollback of a remote repository is only useful pushed: add --push")
        }
        let tip = try await source.resolve(branch)
        let current = try await reader.read(at: tip)
        let change: (tree: TreeID, path: String, reverted: CommitID?, restoredFrom: CommitID?, message: String)
        if let target {
            change = try await restore(from: target, onto: tip, reader: reader)
        } else {
            change = try await revert(onto: tip, current: current, reader: reader)
        }
        try await validate(tree: change.tree, path: change.path, current: current, reader: reader)
        let commit = try await source.commit(
            tree: change.tree, parent: tip, branch: branch, message: change.message, identity: identity, touching: change.path,
            signer: signer)
        if push { try await source.push(branch: branch) }
        return Outcome(
            commit: commit, reverted: change.reverted, restoredFrom: change.restoredFrom, path: change.path,
            message: change.message, pushed: push)
    }

    /// Whether the branch tip still declares the model as `commitToRevert` left it. False once
    /// that change was reverted or superseded by a newer commit, so a revert retried after a
    /// crash (its intent still pending) writes no second commit. Always true without
    /// `commitToRevert`.
    public func isPending(reader: ManifestReader) async throws(GitError) -> Bool {
        guard let commitToRevert else { return true }
        let source = reader.source
        let tip = try await source.resolve(branch)
        let current = try await reader.read(at: tip)
        guard let path = Self.path(declaring: model, in: current.files) else { return false }
        let failed = try await source.resolve(commitToRevert)
        return try await source.blob(at: tip, path: path) == (try await source.blob(at: failed, path: path))
    }

    private func restore(from target: String, onto tip: CommitID, reader: ManifestReader) async throws(GitError)
        -> (tree: TreeID, path: String, reverted: CommitID?, restoredFrom: CommitID?, message: String)
    {
        let source = reader.source
        let revision = try await source.resolve(target)
        let then = try await reader.read(at: revision)
        guard let path = Self.path(declaring: model, in: then.files) else {
            throw .refused("model '\(model)' is not declared at \(target) (\(revision.short))")
        }
        let tree = try await source.restoredTree(path: path, from: revision, onto: tip)
        let summary = try await source.summary(of: revision)
        let message = "Roll back \(model) to its manifest at \(revision.short)\n\nRestores \(path) as it was at \(revision.hex)\n(\(summary))."
        return (tree, path, nil, revision, message)
    }

    private func revert(onto tip: CommitID, current: ManifestSet, reader: ManifestReader) async throws(GitError)
        -> (tree: TreeID, path: String, reverted: CommitID?, restoredFrom: CommitID?, message: String)
    {
        let source = reader.source
        guard let path = Self.path(declaring: model, in: current.files) else {
            throw .refused("model '\(model)' is not declared on \(branch); to bring it back, name a revision with --to")
        }
        let commit: CommitID
        if let commitToRevert {
            commit = try await source.resolve(commitToRevert)
            guard try await blobBefore(commit, path: path, source: source) != (try await source.blob(at: commit, path: path)) else {
                throw .refused("commit \(commit.short) did not change \(path), which declares \(model)")
            }
        } else {
            guard let last = try await source.history(of: path, from: tip, limit: 1).first else {
                throw .refused("no commit on \(branch) changed \(path)")
            }
            commit = last.commit
        }
        guard try await blobBefore(commit, path: path, source: source) != nil else {
            throw .refused(
                "the change to \(path) in \(commit.short) created it; reverting it would remove \(model). Delete the file in a commit if that is meant")
        }
        let tree = try await source.revertedTree(of: commit, path: path, onto: tip)
        let summary = try await source.summary(of: commit)
        let message = "Revert \"\(summary)\" for \(model)\n\nThis reverts commit \(commit.hex)\nfor model \(model) (\(path))."
        return (tree, path, commit, nil, message)
    }

    private func blobBefore(_ commit: CommitID, path: String, source: GitSource) async throws(GitError) -> BlobID? {
        guard let parent = try await source.firstParent(of: commit) else { return nil }
        return try await source.blob(at: parent, path: path)
    }

    /// Refuses a result that changes nothing or is invalid (the file itself, or the repository
    /// rules it takes part in).
    private func validate(tree: TreeID, path: String, current: ManifestSet, reader: ManifestReader) async throws(GitError) {
        let newFiles = try await reader.source.files(of: tree, under: reader.directory)
        if newFiles == current.snapshot.files {
            throw .refused("rolling back \(model) would change nothing: \(path) is already in that state")
        }
        var files = current.files.filter { $0.path != path }
        if let blob = newFiles[path], let file = try await reader.file(path: path, blob: blob) {
            files.append(file)
        }
        let report = ValidationReport(files: files)
        let problems = report.diagnostics.filter { $0.severity == .error && $0.file == path }
        guard problems.isEmpty else {
            let list = problems.prefix(5).map { "\($0.file):\($0.location.line):\($0.location.column): \($0.message)" }
            throw .refused("the rolled-back manifest would be invalid, so nothing was committed:\n  " + list.joined(separator: "\n  "))
        }
    }

    static func path(declaring model: String, in files: [ManifestFile]) -> String? {
        files.first { file in file.entries.contains { $0.name == model } }?.path
    }
}
