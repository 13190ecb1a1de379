internal import CLibGit2
import Foundation

/// Reads a git repository the way reviewers and CI see it: at commits, straight from the
/// object database, never through a working directory (the one exception,
/// ``workingTreeChanges(under:)``, is asked for explicitly by `sluice plan --working-tree`).
///
/// ```swift
/// let source = try GitSource.open(path: "/srv/models-repo")
/// let head = try await source.resolve("HEAD")
/// let snapshot = try await source.snapshot(at: head, under: "manifests")
/// let blobs = try await source.readBlobs(Array(snapshot.files.values))
/// ```
///
/// A remote repository is cloned bare into a cache directory; ``fetch()`` updates its refs
/// only. All libgit2 objects stay inside the actor; callers get value types. The actor runs
/// on a thread of its own (``GitThreadExecutor``), so its blocking libgit2 calls never hold a
/// thread of Swift's cooperative pool.
public actor GitSource {
    let repository: RepositoryHandle
    private nonisolated let executor = GitThreadExecutor()

    /// The git thread: every call on this actor runs there.
    public nonisolated var unownedExecutor: UnownedSerialExecutor {
        executor.asUnownedSerialExecutor()
    }
    /// The remote URL, for a cache clone; nil for a local repository.
    public nonisolated let remoteURL: String?
    let credentials: GitCredentials
    /// Blobs larger than this are reported by size and never read.
    public let maxBlobBytes: Int

    init(repository: RepositoryHandle, remoteURL: String?, credentials: GitCredentials, maxBlobBytes: Int) {
        self.repository = repository
        self.remoteURL = remoteURL
        self.credentials = credentials
        self.maxBlobBytes = maxBlobBytes
    }

    /// Opens a local repository (a working copy or a bare repository).
    /// - Throws: ``GitError`` with code `notFound` when `path` is not a repository.
    public static func open(path: String, maxBlobBytes: Int = 1 << 20) throws(GitError) -> GitSource {
        Libgit2.ensureInitialized()
        var pointer: OpaquePointer?
        try Libgit2.check("git_repository_open", git_repository_open(&pointer, path))
        guard let pointer else { throw GitError(code: .generic, message: "no repository handle", function: "git_repository_open") }
        return GitSource(repository: RepositoryHandle(pointer), remoteURL: nil, credentials: .none, maxBlobBytes: maxBlobBytes)
    }

    /// Opens the bare cache clone of `url` in `cacheDirectory`, cloning it first if needed, and fetches.
    /// - Throws: ``GitError``; its message never contains the credentials.
    public static func remote(
        url: String, cacheDirectory: String, credentials: GitCredentials = .none, maxBlobBytes: Int = 1 << 20
    ) throws(GitError) -> GitSource {
        Libgit2.ensureInitialized()
        let secrets = credentials.secrets()
        var pointer: OpaquePointer?
        if FileManager.default.fileExists(atPath: cacheDirectory + "/HEAD") {
            try Libgit2.check("git_repository_open_bare", git_repository_open_bare(&pointer, cacheDirectory))
        } else {
            try? FileManager.default.createDirectory(atPath: cacheDirectory, withIntermediateDirectories: true)
            var options = git_clone_options()
            try Libgit2.check("git_clone_options_init", git_clone_options_init(&options, UInt32(GIT_CLONE_OPTIONS_VERSION)))
            options.bare = 1
            let payload = CredentialPayload(credentials)
            payload.install(on: &options.fetch_opts.callbacks)
            let result = withExtendedLifetime(payload) { git_clone(&pointer, url, cacheDirectory, &options) }
            if result < 0 {
                let error = Libgit2.lastError(result, function: "git_clone", secrets: secrets)
                try? FileManager.default.removeItem(atPath: cacheDirectory)
                throw payload.error(error, doing: "cannot clone \(Redaction.redactURLs(url))")
            }
        }
        guard let pointer else { throw GitError(code: .generic, message: "no repository handle", function: "git_clone") }
        let source = GitSource(
            repository: RepositoryHandle(pointer), remoteURL: url, credentials: credentials, maxBlobBytes: maxBlobBytes)
        return source
    }

    /// Fetches every branch and tag of the remote into the cache (refs only, no checkout).
    /// History rewritten by a force-push replaces the old refs; branches deleted upstream are pruned.
    /// With `branch`, fetches only that branch (`+refs/heads/B:refs/remotes/origin/B`) and no
    /// tags: what a controller following one branch reads, at a fraction of the ref updates
    /// (a name git would not accept as a branch falls back to fetching everything).
    /// - Throws: ``GitError`` when the remote cannot be reached; the refs read before stay in place.
    public func fetch(branch: String? = nil) throws(GitError) {
        guard let url = remoteURL else { return }
        var remote: OpaquePointer?
        try Libgit2.check("git_remote_lookup", git_remote_lookup(&remote, repository.pointer, "origin"))
        guard let remote else { return }
        defer { git_remote_free(remote) }
        var options = git_fetch_options()
        try Libgit2.check("git_fetch_options_init", git_fetch_options_init(&options, UInt32(GIT_FETCH_OPTIONS_VERSION)))
        options.prune = GIT_FETCH_PRUNE
        // Nothing reads FETCH_HEAD; libgit2 would write it twice per fetch.
        options.update_fetchhead = 0
        let refspec = branch.flatMap(Self.branchRefspec)
        options.download_tags = refspec == nil ? GIT_REMOTE_DOWNLOAD_TAGS_ALL : GIT_REMOTE_DOWNLOAD_TAGS_NONE
        let payload = CredentialPayload(credentials)
        payload.install(on: &options.callbacks)
        let secrets = credentials.secrets()
        let result = withExtendedLifetime(payload) { () -> Int32 in
            guard let refspec else { return git_remote_fetch(remote, nil, &options, "sluice fetch") }
            return refspec.withCString { text in
                var strings: UnsafeMutablePointer<CChar>? = UnsafeMutablePointer(mutating: text)
                return withUnsafeMutablePointer(to: &strings) { pointer in
                    var array = git_strarray(strings: pointer, count: 1)
                    return git_remote_fetch(remote, &array, &options, "sluice fetch")
                }
            }
        }
        if result < 0 {
            let error = Libgit2.lastError(result, function: "git_remote_fetch", secrets: secrets)
            throw payload.error(error, doing: "cannot fetch \(Redaction.redactURLs(url))")
        }
    }

    /// The refspec that fetches one branch into its remote-tracking ref; nil for a name git
    /// does not accept as a branch.
    static func branchRefspec(_ branch: String) -> String? {
        var valid: Int32 = 0
        guard !branch.hasPrefix("-"), git_reference_name_is_valid(&valid, "refs/heads/" + branch) == 0, valid == 1 else { return nil }
        return "+refs/heads/\(branch):refs/remotes/origin/\(branch)"
    }

    /// Resolves a revision (branch, tag, commit id, `HEAD~2`, `main^`) to a commit. In a remote
    /// cache, branch names and `HEAD` mean the remote's (`origin/main`, `origin/HEAD`).
    /// - Throws: ``GitError`` with code `notFound` for a missing ref, naming it.
    public func resolve(_ revision: String) throws(GitError) -> CommitID {
        var candidates = [revision]
        if remoteURL != nil {
            let remoteForm = revision.hasPrefix("HEAD") ? "origin/" + revision : "origin/" + revision
            candidates.insert(remoteForm, at: 0)
        }
        var lastError: GitError?
        for candidate in candidates {
            do {
                return try resolveExactly(candidate)
            } catch {
                lastError = error
            }
        }
        let reason = lastError?.code == .notFound || lastError?.code == .invalidSpec || lastError?.code == .unbornBranch
            ? "no branch, tag or commit is named '\(revision)'" : (lastError?.message ?? "unknown revision")
        throw GitError(code: lastError?.code ?? .notFound, message: reason, function: "git_revparse_single")
    }

    private func resolveExactly(_ revision: String) throws(GitError) -> CommitID {
        var object: OpaquePointer?
        try Libgit2.check("git_revparse_single", git_revparse_single(&object, repository.pointer, revision))
        guard let object else { throw GitError(code: .notFound, message: "no object", function: "git_revparse_single") }
        defer { git_object_free(object) }
        var commit: OpaquePointer?
        try Libgit2.check("git_object_peel", git_object_peel(&commit, object, GIT_OBJECT_COMMIT))
        guard let commit else { throw GitError(code: .notFound, message: "not a commit", function: "git_object_peel") }
        defer { git_object_free(commit) }
        return CommitID(hex: git_object_id(commit).pointee.hex)
    }

    /// The first parent of a commit, nil for a root commit.
    public func firstParent(of commit: CommitID) throws(GitError) -> CommitID? {
        let handle = try lookupCommit(commit)
        guard git_commit_parentcount(handle.pointer) > 0, let parent = git_commit_parent_id(handle.pointer, 0) else { return nil }
        return CommitID(hex: parent.pointee.hex)
    }

    /// A commit's message summary (first line).
    public func summary(of commit: CommitID) throws(GitError) -> String {
        let handle = try lookupCommit(commit)
        return git_commit_summary(handle.pointer).map { String(cString: $0) } ?? ""
    }

    func lookupCommit(_ commit: CommitID) throws(GitError) -> Owned {
        var oid = try git_oid(hex: commit.hex)
        var pointer: OpaquePointer?
        try Libgit2.check("git_commit_lookup", git_commit_lookup(&pointer, repository.pointer, &oid))
        guard let pointer else { throw GitError(code: .notFound, message: "no commit \(commit.short)", function: "git_commit_lookup") }
        return Owned(pointer) { git_commit_free($0) }
    }
}
