internal import CLibGit2
import Foundation

/// A tree written to the object database but not yet committed.
public struct TreeID: Hashable, Sendable, CustomStringConvertible {
    /// The full hex id.
    public let hex: String
    public var description: String { hex }
}

extension GitSource {
    /// The tree of `base` with `path` as it would be after reverting `commit`'s change to it
    /// (a three-way merge, like `git revert`, scoped to that one path; other paths stay as in `base`).
    /// - Throws: ``GitError`` `refused` when the revert does not apply cleanly to `path`.
    public func revertedTree(of commit: CommitID, path: String, onto base: CommitID) throws(GitError) -> TreeID {
        let reverted = try lookupCommit(commit)
        let ours = try lookupCommit(base)
        var index: OpaquePointer?
        let mainline: UInt32 = git_commit_parentcount(reverted.pointer) > 1 ? 1 : 0
        try Libgit2.check("git_revert_commit", git_revert_commit(&index, repository.pointer, reverted.pointer, ours.pointer, mainline, nil))
        guard let index else { throw GitError(code: .generic, message: "no index", function: "git_revert_commit") }
        defer { git_index_free(index) }
        var ancestor: UnsafePointer<git_index_entry>?, mine: UnsafePointer<git_index_entry>?, theirs: UnsafePointer<git_index_entry>?
        if git_index_conflict_get(&ancestor, &mine, &theirs, index, path) == 0 {
            throw .refused(
                "reverting \(commit.short) does not apply cleanly to \(path): later commits changed the same lines; resolve it by hand or use --to REV to restore the file as it was")
        }
        let entry = git_index_get_bypath(index, path, 0)
        return try tree(of: base, replacing: path, with: entry)
    }

    /// The tree of `base` with `path` as it was at `source` (removed when it did not exist there).
    public func restoredTree(path: String, from source: CommitID, onto base: CommitID) throws(GitError) -> TreeID {
        guard let blob = try blob(at: source, path: path) else {
            return try tree(of: base, replacing: path, with: nil)
        }
        var entry = git_index_entry()
        entry.mode = UInt32(GIT_FILEMODE_BLOB.rawValue)
        entry.id = try git_oid(hex: blob.hex)
        // The index copies the entry, so the path only has to live for the call.
        let cPath = strdup(path)
        defer { free(cPath) }
        entry.path = UnsafePointer(cPath)
        return try tree(of: base, replacing: path, with: &entry)
    }

    private func tree(of base: CommitID, replacing path: String, with entry: UnsafePointer<git_index_entry>?) throws(GitError) -> TreeID {
        let commit = try lookupCommit(base)
        var baseTree: OpaquePointer?
        try Libgit2.check("git_commit_tree", git_commit_tree(&baseTree, commit.pointer))
        guard let baseTree else { throw GitError(code: .generic, message: "no tree", function: "git_commit_tree") }
        defer { git_tree_free(baseTree) }
        var index: OpaquePointer?
        try Libgit2.check("git_index_new", git_index_new(&index))
        guard let index else { throw GitError(code: .generic, message: "no index", function: "git_index_new") }
        defer { git_index_free(index) }
        try Libgit2.check("git_index_read_tree", git_index_read_tree(index, baseTree))
        if let entry {
            try Libgit2.check("git_index_add", git_index_add(index, entry))
        } else if git_index_get_bypath(index, path, 0) != nil {
            try Libgit2.check("git_index_remove_bypath", git_index_remove_bypath(index, path))
        }
        var oid = git_oid()
        try Libgit2.check("git_index_write_tree_to", git_index_write_tree_to(&oid, index, repository.pointer))
        return TreeID(hex: oid.hex)
    }

    /// The manifest files of a tree that is not committed yet, for validating before committing.
    public func files(of tree: TreeID, under directory: String = "") throws(GitError) -> [String: BlobID] {
        var oid = try git_oid(hex: tree.hex)
        var pointer: OpaquePointer?
        try Libgit2.check("git_tree_lookup", git_tree_lookup(&pointer, repository.pointer, &oid))
        guard let pointer else { return [:] }
        let root = Owned(pointer) { git_tree_free($0) }
        let directory = Self.normalize(directory)
        guard let subtree = try subtree(of: root, at: directory) else { return [:] }
        var files: [String: BlobID] = [:]
        try collectFiles(subtree.pointer, prefix: directory.isEmpty ? "" : directory + "/", into: &files)
        return files
    }

    /// Commits `tree` on `branch` with `parent` as its only parent, moving the branch only if it
    /// still points at `parent` (so a branch that moved underneath is never overwritten). In a
    /// working copy whose HEAD is that branch, the working files follow the new commit; the
    /// touched path must have no uncommitted changes.
    /// With a `signer`, the commit carries its signature (`gpgsig`), made over the commit
    /// object libgit2 built.
    /// - Throws: ``GitError`` `refused` when the branch moved or the path has local changes,
    ///   or signing failed.
    public func commit(
        tree: TreeID, parent: CommitID, branch: String, message: String, identity: GitIdentity, touching path: String,
        signer: CommitSigner? = nil
    ) async throws(GitError) -> CommitID {
        let reference = "refs/heads/" + branch
        let followsWorkingCopy = remoteURL == nil && git_repository_is_bare(repository.pointer) == 0 && headIs(reference)
        if followsWorkingCopy {
            var flags: UInt32 = 0
            let status = git_status_file(&flags, repository.pointer, path)
            if status == 0, flags != GIT_STATUS_CURRENT.rawValue, flags & GIT_STATUS_IGNORED.rawValue == 0 {
                throw .refused("\(path) has uncommitted changes in the working copy; commit or stash them first")
            }
        }
        var signature: UnsafeMutablePointer<git_signature>?
        try Libgit2.check("git_signature_now", git_signature_now(&signature, identity.name, identity.email))
        defer { git_signature_free(signature) }
        var treeOID = try git_oid(hex: tree.hex)
        var treePointer: OpaquePointer?
        try Libgit2.check("git_tree_lookup", git_tree_lookup(&treePointer, repository.pointer, &treeOID))
        guard let treePointer else { throw GitError(code: .generic, message: "no tree", function: "git_tree_lookup") }
        defer { git_tree_free(treePointer) }
        let parentCommit = try lookupCommit(parent)
        var parents: [OpaquePointer?] = [parentCommit.pointer]
        var newOID = git_oid()
        if let signer {
            newOID = try await signedCommit(
                signer: signer, author: signature, message: message, tree: treePointer, parent: parentCommit.pointer)
        } else {
            try Libgit2.check(
                "git_commit_create",
                git_commit_create(&newOID, repository.pointer, nil, signature, signature, nil, message, treePointer, 1, &parents))
        }
        var expected = try git_oid(hex: parent.hex)
        var created: OpaquePointer?
        let result: Int32
        if remoteURL != nil {
            // In a cache clone the local branch only stages the push; the remote decides at push time.
            result = git_reference_create(&created, repository.pointer, reference, &newOID, 1, "sluice: \(message)")
        } else {
            result = git_reference_create_matching(&created, repository.pointer, reference, &newOID, 1, &expected, "sluice: \(message)")
        }
        if result == GIT_EMODIFIED.rawValue || (result == GIT_ENOTFOUND.rawValue && remoteURL == nil) {
            throw .refused("branch \(branch) moved while the change was prepared (it no longer points at \(parent.short)); run again")
        }
        try Libgit2.check("git_reference_create", result)
        if let created { git_reference_free(created) }
        if followsWorkingCopy {
            var options = git_checkout_options()
            try Libgit2.check("git_checkout_options_init", git_checkout_options_init(&options, UInt32(GIT_CHECKOUT_OPTIONS_VERSION)))
            options.checkout_strategy = GIT_CHECKOUT_SAFE.rawValue
            // HEAD already names the new commit, so the files to update are judged against the
            // parent's tree: those still as the parent had them follow; local edits are kept.
            var parentTree: OpaquePointer?
            try Libgit2.check("git_commit_tree", git_commit_tree(&parentTree, parentCommit.pointer))
            defer { git_tree_free(parentTree) }
            options.baseline = parentTree
            try Libgit2.check("git_checkout_head", git_checkout_head(repository.pointer, &options))
        }
        return CommitID(hex: newOID.hex)
    }

    /// Writes a signed commit object (no reference moves): the buffer `git_commit_create`
    /// would write, signed by `signer`, stored with `git_commit_create_with_signature`.
    private func signedCommit(
        signer: CommitSigner, author: UnsafeMutablePointer<git_signature>?, message: String, tree: OpaquePointer, parent: OpaquePointer
    ) async throws(GitError) -> git_oid {
        var buffer = git_buf()
        defer { git_buf_dispose(&buffer) }
        var parents: [OpaquePointer?] = [parent]
        try Libgit2.check(
            "git_commit_create_buffer",
            git_commit_create_buffer(&buffer, repository.pointer, author, author, nil, message, tree, 1, &parents))
        let content = buffer.ptr.map { String(cString: $0) } ?? ""
        let armored: [UInt8]
        do {
            armored = try await signer.sign(Array(content.utf8))
        } catch {
            throw .refused("the commit was not written: \(error)")
        }
        var oid = git_oid()
        try Libgit2.check(
            "git_commit_create_with_signature",
            git_commit_create_with_signature(&oid, repository.pointer, content, String(decoding: armored, as: UTF8.self), nil))
        return oid
    }

    /// Pushes `branch` to the `origin` remote. A remote that moved meanwhile rejects it.
    /// - Throws: ``GitError`` naming the rejection; never containing credentials.
    public func push(branch: String) throws(GitError) {
        var remote: OpaquePointer?
        try Libgit2.check("git_remote_lookup", git_remote_lookup(&remote, repository.pointer, "origin"))
        guard let remote else { return }
        defer { git_remote_free(remote) }
        var options = git_push_options()
        try Libgit2.check("git_push_options_init", git_push_options_init(&options, UInt32(GIT_PUSH_OPTIONS_VERSION)))
        let payload = CredentialPayload(credentials)
        payload.install(on: &options.callbacks)
        options.callbacks.push_update_reference = { reference, status, payload in
            guard let status, let payload else { return 0 }
            let state = Unmanaged<CredentialPayload>.fromOpaque(payload).takeUnretainedValue()
            state.rejection = "\(reference.map { String(cString: $0) } ?? "ref"): \(String(cString: status))"
            return 0
        }
        let refspec = "refs/heads/\(branch):refs/heads/\(branch)"
        let secrets = credentials.secrets()
        let result: Int32 = refspec.withCString { cString in
            var strings: [UnsafeMutablePointer<CChar>?] = [UnsafeMutablePointer(mutating: cString)]
            return strings.withUnsafeMutableBufferPointer { buffer in
                var array = git_strarray(strings: buffer.baseAddress, count: 1)
                return withExtendedLifetime(payload) { git_remote_push(remote, &array, &options) }
            }
        }
        if result < 0 {
            let error = Libgit2.lastError(result, function: "git_remote_push", secrets: secrets)
            // libgit2 returns GIT_ENONFASTFORWARD for both of its non-fast-forward refusals; a
            // server's own refusal arrives through the reference callback (`rejection`) below.
            if error.code == .nonFastForward {
                throw GitError(
                    code: .refused, errorClass: error.errorClass,
                    message: "the remote branch \(branch) moved since it was fetched; fetch and run again", function: error.function)
            }
            let destination = git_remote_url(remote).map { Redaction.redactURLs(String(cString: $0)) } ?? "origin"
            throw payload.error(error, doing: "cannot push \(branch) to \(destination)")
        }
        if let rejection = payload.rejection {
            throw .refused("the remote rejected the push of \(branch) (\(Redaction.scrub(rejection, secrets: secrets))); fetch and run again")
        }
    }

    /// The branch HEAD points at, when it points at one.
    public func currentBranch() -> String? {
        var head: OpaquePointer?
        guard git_repository_head(&head, repository.pointer) == 0, let head else { return nil }
        defer { git_reference_free(head) }
        guard git_reference_is_branch(head) != 0, let name = git_reference_shorthand(head) else { return nil }
        return String(cString: name)
    }

    private func headIs(_ reference: String) -> Bool {
        var head: OpaquePointer?
        guard git_reference_lookup(&head, repository.pointer, "HEAD") == 0, let head else { return false }
        defer { git_reference_free(head) }
        guard let target = git_reference_symbolic_target(head) else { return false }
        return String(cString: target) == reference
    }
}

extension GitSource {
    /// The branch commands act on by default: the remote's default branch for a cache clone
    /// (what `origin/HEAD` names), else the branch checked out.
    public func defaultBranch() -> String? {
        guard remoteURL != nil else { return currentBranch() }
        for name in ["refs/remotes/origin/HEAD", "HEAD"] {
            var reference: OpaquePointer?
            guard git_reference_lookup(&reference, repository.pointer, name) == 0, let reference else { continue }
            defer { git_reference_free(reference) }
            guard let target = git_reference_symbolic_target(reference) else { continue }
            let full = String(cString: target)
            for prefix in ["refs/remotes/origin/", "refs/heads/"] where full.hasPrefix(prefix) {
                return String(full.dropFirst(prefix.count))
            }
        }
        return nil
    }
}
