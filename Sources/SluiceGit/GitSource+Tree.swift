internal import CLibGit2

extension GitSource {
    /// Whether a path is a manifest: `*.yaml` or `*.yml`, no hidden segment (`.github/…`).
    public static func isManifestPath(_ path: String) -> Bool {
        (path.hasSuffix(".yaml") || path.hasSuffix(".yml"))
            && !path.split(separator: "/").contains { $0.hasPrefix(".") }
    }

    /// The manifest files under `directory` at `commit`, as path → blob id. Reads tree objects
    /// only; symbolic links are skipped, so a manifest path can never lead outside the repository.
    /// - Throws: ``GitError`` `notFound` when the directory does not exist at that commit.
    public func snapshot(at commit: CommitID, under directory: String = "") throws(GitError) -> TreeSnapshot {
        let directory = Self.normalize(directory)
        var files: [String: BlobID] = [:]
        if let tree = try subtree(of: commit, at: directory) {
            try collectFiles(tree.pointer, prefix: directory.isEmpty ? "" : directory + "/", into: &files)
        } else if !directory.isEmpty {
            throw GitError(code: .notFound, message: "'\(directory)' does not exist at \(commit.short)", function: "git_tree_entry_bypath")
        }
        return TreeSnapshot(commit: commit, directory: directory, files: files)
    }

    /// The manifest paths that differ between two commits under `directory`, with renames
    /// detected. Unchanged subtrees are skipped by id, so the cost follows the change.
    public func changes(from old: CommitID, to new: CommitID, under directory: String = "") throws(GitError) -> [PathChange] {
        let directory = Self.normalize(directory)
        let oldTree = try subtree(of: old, at: directory)
        let newTree = try subtree(of: new, at: directory)
        var options = git_diff_options()
        try Libgit2.check("git_diff_options_init", git_diff_options_init(&options, UInt32(GIT_DIFF_OPTIONS_VERSION)))
        var diff: OpaquePointer?
        try Libgit2.check(
            "git_diff_tree_to_tree", git_diff_tree_to_tree(&diff, repository.pointer, oldTree?.pointer, newTree?.pointer, &options))
        guard let diff else { return [] }
        defer { git_diff_free(diff) }
        var find = git_diff_find_options()
        try Libgit2.check("git_diff_find_options_init", git_diff_find_options_init(&find, UInt32(GIT_DIFF_FIND_OPTIONS_VERSION)))
        find.flags = GIT_DIFF_FIND_RENAMES.rawValue
        try Libgit2.check("git_diff_find_similar", git_diff_find_similar(diff, &find))
        let prefix = directory.isEmpty ? "" : directory + "/"
        var changes: [PathChange] = []
        for index in 0..<git_diff_num_deltas(diff) {
            guard let delta = git_diff_get_delta(diff, index)?.pointee else { continue }
            let oldPath = delta.old_file.path.map { prefix + String(cString: $0) }
            let newPath = delta.new_file.path.map { prefix + String(cString: $0) }
            let newBlob = BlobID(hex: delta.new_file.id.hex)
            let oldIsManifest = oldPath.map(Self.isManifestPath) ?? false
            let newIsManifest = newPath.map(Self.isManifestPath) ?? false
            switch delta.status {
            case GIT_DELTA_ADDED where newIsManifest:
                changes.append(PathChange(kind: .added, oldPath: nil, newPath: newPath, newBlob: newBlob))
            case GIT_DELTA_DELETED where oldIsManifest:
                changes.append(PathChange(kind: .deleted, oldPath: oldPath, newPath: nil, newBlob: nil))
            case GIT_DELTA_MODIFIED, GIT_DELTA_TYPECHANGE:
                if newIsManifest { changes.append(PathChange(kind: .modified, oldPath: oldPath, newPath: newPath, newBlob: newBlob)) }
            case GIT_DELTA_RENAMED:
                // A rename into or out of manifest names is an addition or a deletion for us.
                if oldIsManifest && newIsManifest {
                    changes.append(PathChange(kind: .renamed, oldPath: oldPath, newPath: newPath, newBlob: newBlob))
                } else if newIsManifest {
                    changes.append(PathChange(kind: .added, oldPath: nil, newPath: newPath, newBlob: newBlob))
                } else if oldIsManifest {
                    changes.append(PathChange(kind: .deleted, oldPath: oldPath, newPath: nil, newBlob: nil))
                }
            default:
                break
            }
        }
        return changes
    }

    /// Reads blobs by id. A blob larger than ``maxBlobBytes`` is returned with its size only:
    /// its header is read, never its content.
    public func readBlobs(_ ids: [BlobID]) throws(GitError) -> [BlobID: BlobContent] {
        var odb: OpaquePointer?
        try Libgit2.check("git_repository_odb", git_repository_odb(&odb, repository.pointer))
        guard let odb else { return [:] }
        defer { git_odb_free(odb) }
        var result: [BlobID: BlobContent] = [:]
        result.reserveCapacity(ids.count)
        for id in ids where result[id] == nil {
            var oid = try git_oid(hex: id.hex)
            var size = 0
            var type = GIT_OBJECT_ANY
            try Libgit2.check("git_odb_read_header", git_odb_read_header(&size, &type, odb, &oid))
            if size > maxBlobBytes {
                result[id] = BlobContent(bytes: nil, size: size)
                continue
            }
            var blob: OpaquePointer?
            try Libgit2.check("git_blob_lookup", git_blob_lookup(&blob, repository.pointer, &oid))
            guard let blob else { continue }
            defer { git_blob_free(blob) }
            let length = Int(git_blob_rawsize(blob))
            let bytes = length == 0 ? [] : Array(UnsafeBufferPointer(start: git_blob_rawcontent(blob)?.assumingMemoryBound(to: UInt8.self), count: length))
            result[id] = BlobContent(bytes: bytes, size: length)
        }
        return result
    }

    /// The blob at `path` in `commit`, nil when the path does not exist there.
    public func blob(at commit: CommitID, path: String) throws(GitError) -> BlobID? {
        let handle = try lookupCommit(commit)
        var tree: OpaquePointer?
        try Libgit2.check("git_commit_tree", git_commit_tree(&tree, handle.pointer))
        guard let tree else { return nil }
        defer { git_tree_free(tree) }
        var entry: OpaquePointer?
        let result = git_tree_entry_bypath(&entry, tree, path)
        if result == GIT_ENOTFOUND.rawValue { return nil }
        try Libgit2.check("git_tree_entry_bypath", result)
        guard let entry else { return nil }
        defer { git_tree_entry_free(entry) }
        guard git_tree_entry_type(entry) == GIT_OBJECT_BLOB else { return nil }
        return BlobID(hex: git_tree_entry_id(entry).pointee.hex)
    }

    /// Walks first parents back from `tip` and returns the commits whose version of `path`
    /// differs from their parent's (newest first), with the blob each left behind (nil when
    /// the commit deleted the path). Stops after `limit` such commits or `maxCommits` commits.
    public func history(of path: String, from tip: CommitID, limit: Int, maxCommits: Int = 1000) throws(GitError) -> [(commit: CommitID, blob: BlobID?)] {
        var found: [(commit: CommitID, blob: BlobID?)] = []
        var current: CommitID? = tip
        var currentBlob = try blob(at: tip, path: path)
        var walked = 0
        while let commit = current, found.count < limit, walked < maxCommits {
            walked += 1
            let parent = try firstParent(of: commit)
            let parentBlob = try parent.map { (parent) throws(GitError) in try blob(at: parent, path: path) } ?? nil
            if parentBlob != currentBlob { found.append((commit, currentBlob)) }
            current = parent
            currentBlob = parentBlob
        }
        return found
    }

    func subtree(of commit: CommitID, at directory: String) throws(GitError) -> Owned? {
        let handle = try lookupCommit(commit)
        var root: OpaquePointer?
        try Libgit2.check("git_commit_tree", git_commit_tree(&root, handle.pointer))
        guard let root else { return nil }
        let rootTree = Owned(root) { git_tree_free($0) }
        return try subtree(of: rootTree, at: directory)
    }

    func subtree(of root: Owned, at directory: String) throws(GitError) -> Owned? {
        if directory.isEmpty { return root }
        var entry: OpaquePointer?
        let result = git_tree_entry_bypath(&entry, root.pointer, directory)
        if result == GIT_ENOTFOUND.rawValue { return nil }
        try Libgit2.check("git_tree_entry_bypath", result)
        guard let entry else { return nil }
        defer { git_tree_entry_free(entry) }
        guard git_tree_entry_type(entry) == GIT_OBJECT_TREE else { return nil }
        var tree: OpaquePointer?
        try Libgit2.check("git_tree_lookup", git_tree_lookup(&tree, repository.pointer, git_tree_entry_id(entry)))
        return tree.map { Owned($0) { git_tree_free($0) } }
    }

    func collectFiles(_ tree: OpaquePointer, prefix: String, into files: inout [String: BlobID]) throws(GitError) {
        for index in 0..<git_tree_entrycount(tree) {
            guard let entry = git_tree_entry_byindex(tree, index) else { continue }
            let name = String(cString: git_tree_entry_name(entry))
            if name.hasPrefix(".") { continue }
            switch git_tree_entry_type(entry) {
            case GIT_OBJECT_TREE:
                var child: OpaquePointer?
                try Libgit2.check("git_tree_lookup", git_tree_lookup(&child, repository.pointer, git_tree_entry_id(entry)))
                guard let child else { continue }
                defer { git_tree_free(child) }
                try collectFiles(child, prefix: prefix + name + "/", into: &files)
            case GIT_OBJECT_BLOB:
                let mode = git_tree_entry_filemode(entry)
                guard mode == GIT_FILEMODE_BLOB || mode == GIT_FILEMODE_BLOB_EXECUTABLE,
                    name.hasSuffix(".yaml") || name.hasSuffix(".yml")
                else { continue }
                files[prefix + name] = BlobID(hex: git_tree_entry_id(entry).pointee.hex)
            default:
                continue
            }
        }
    }

    static func normalize(_ directory: String) -> String {
        directory.split(separator: "/").filter { $0 != "." && !$0.isEmpty }.joined(separator: "/")
    }
}
