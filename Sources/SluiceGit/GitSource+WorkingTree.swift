internal import CLibGit2
import Foundation

extension GitSource {
    /// Whether the repository is a local one with a working tree (not bare, not a cache clone).
    public var hasWorkingTree: Bool {
        remoteURL == nil && git_repository_is_bare(repository.pointer) == 0 && git_repository_workdir(repository.pointer) != nil
    }

    /// Whether `directory` exists as a directory at `commit` ("" always does).
    public func hasDirectory(_ directory: String, at commit: CommitID) throws(GitError) -> Bool {
        let directory = Self.normalize(directory)
        if directory.isEmpty { return true }
        return try subtree(of: commit, at: directory) != nil
    }

    /// The manifest paths under `directory` that git's status reports as differing between
    /// HEAD and the working tree (staged or not; untracked files included, ignored ones left
    /// out, as they would not be committed), with what the working tree holds at each. Paths
    /// follow the commit reader's rules (`*.yaml`/`*.yml`, no hidden segment under the
    /// directory), and each file is read as a blob would be: a symbolic link anywhere on its
    /// path is not followed and counts as no manifest, and a file over ``maxBlobBytes`` is
    /// measured, never read. Nothing in the repository is written (not even the index).
    /// - Throws: ``GitError`` `refused` when the repository has no working tree or a file cannot be read.
    public func workingTreeChanges(under directory: String = "") throws(GitError) -> [WorkingTreeChange] {
        guard remoteURL == nil, git_repository_is_bare(repository.pointer) == 0, let workdir = git_repository_workdir(repository.pointer) else {
            throw .refused("the repository has no working tree (it is bare, or a remote's cache clone)")
        }
        let root = String(cString: workdir)
        let directory = Self.normalize(directory)
        let prefix = directory.isEmpty ? "" : directory + "/"
        var options = git_status_options()
        try Libgit2.check("git_status_options_init", git_status_options_init(&options, UInt32(GIT_STATUS_OPTIONS_VERSION)))
        options.show = GIT_STATUS_SHOW_INDEX_AND_WORKDIR
        options.flags = GIT_STATUS_OPT_INCLUDE_UNTRACKED.rawValue | GIT_STATUS_OPT_RECURSE_UNTRACKED_DIRS.rawValue
            | GIT_STATUS_OPT_EXCLUDE_SUBMODULES.rawValue
        var list: OpaquePointer?
        // Only the manifests' directory is examined: the cost follows it, not the repository.
        let pathspec = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>.allocate(capacity: 1)
        pathspec.initialize(to: directory.isEmpty ? nil : strdup(directory))
        defer {
            free(pathspec.pointee)
            pathspec.deallocate()
        }
        if pathspec.pointee != nil {
            options.pathspec = git_strarray(strings: pathspec, count: 1)
            options.flags |= GIT_STATUS_OPT_DISABLE_PATHSPEC_MATCH.rawValue  // a literal directory, not a glob
        }
        try Libgit2.check("git_status_list_new", git_status_list_new(&list, repository.pointer, &options))
        guard let list else { return [] }
        defer { git_status_list_free(list) }
        var paths = Set<String>()
        for index in 0..<git_status_list_entrycount(list) {
            guard let entry = git_status_byindex(list, index)?.pointee else { continue }
            for delta in [entry.head_to_index, entry.index_to_workdir] {
                guard let delta = delta?.pointee else { continue }
                for path in [delta.old_file.path, delta.new_file.path] {
                    if let path { paths.insert(String(cString: path)) }
                }
            }
        }
        var changes: [WorkingTreeChange] = []
        for path in paths.sorted() where path.hasPrefix(prefix) && Self.isManifestName(path.dropFirst(prefix.count)) {
            switch try WorkingTreeFile.entry(at: path, under: root, maxBytes: maxBlobBytes) {
            case .absent:
                changes.append(WorkingTreeChange(path: path, content: nil, blob: nil))
            case .file(let content):
                changes.append(WorkingTreeChange(path: path, content: content, blob: try content.bytes.map(Self.blobID)))
            }
        }
        return changes
    }

    /// A manifest's path below the manifests' directory, as ``collectFiles`` reads trees.
    private static func isManifestName(_ relative: Substring) -> Bool {
        (relative.hasSuffix(".yaml") || relative.hasSuffix(".yml")) && !relative.split(separator: "/").contains { $0.hasPrefix(".") }
    }

    /// The id git gives a blob of these bytes.
    private static func blobID(_ bytes: [UInt8]) throws(GitError) -> BlobID {
        var oid = git_oid()
        // An empty file still passes a valid pointer (with a length of 0).
        let storage = bytes.isEmpty ? [0] : bytes
        try Libgit2.check("git_odb_hash", storage.withUnsafeBytes { git_odb_hash(&oid, $0.baseAddress, bytes.count, GIT_OBJECT_BLOB) })
        return BlobID(hex: oid.hex)
    }
}
