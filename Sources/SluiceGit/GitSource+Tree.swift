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

    /// The manifest paths that differ between two commits under `directory`. Subtrees whose
    /// ids are equal are skipped without being read, so the cost follows the change, not the
    /// repository. A file deleted in one place and added with the same content in another is
    /// reported as a rename.
    public func changes(from old: CommitID, to new: CommitID, under directory: String = "") throws(GitError) -> [PathChange] {
        let directory = Self.normalize(directory)
        let oldTree = try subtree(of: old, at: directory)
        let newTree = try subtree(of: new, at: directory)
        var added: [(path: String, blob: BlobID)] = []
        var deleted: [(path: String, blob: BlobID)] = []
        var modified: [PathChange] = []
        try compare(oldTree?.pointer, newTree?.pointer, prefix: directory.isEmpty ? "" : directory + "/",
                    added: &added, deleted: &deleted, modified: &modified)
        var changes = modified
        var unmatched = deleted
        for addition in added {
            if let index = unmatched.firstIndex(where: { $0.blob == addition.blob }) {
                let origin = unmatched.remove(at: index)
                changes.append(PathChange(kind: .renamed, oldPath: origin.path, newPath: addition.path, newBlob: addition.blob))
            } else {
                changes.append(PathChange(kind: .added, oldPath: nil, newPath: addition.path, newBlob: addition.blob))
            }
        }
        changes += unmatched.map { PathChange(kind: .deleted, oldPath: $0.path, newPath: nil, newBlob: nil) }
        return changes
    }

    /// Walks two trees side by side (git keeps entries sorted), descending only into subtrees
    /// whose ids differ.
    private func compare(
        _ old: OpaquePointer?, _ new: OpaquePointer?, prefix: String,
        added: inout [(path: String, blob: BlobID)], deleted: inout [(path: String, blob: BlobID)], modified: inout [PathChange]
    ) throws(GitError) {
        let oldEntries = entries(of: old), newEntries = entries(of: new)
        var oldIndex = 0, newIndex = 0
        while oldIndex < oldEntries.count || newIndex < newEntries.count {
            let oldEntry = oldIndex < oldEntries.count ? oldEntries[oldIndex] : nil
            let newEntry = newIndex < newEntries.count ? newEntries[newIndex] : nil
            if let o = oldEntry, let n = newEntry, o.name == n.name {
                oldIndex += 1
                newIndex += 1
                if o.kind == n.kind && Self.sameID(o.id, n.id) { continue }
                let path = prefix + n.name
                if o.kind == .blob && n.kind == .blob {
                    if Self.isManifestPath(path) {
                        modified.append(PathChange(kind: .modified, oldPath: path, newPath: path, newBlob: n.blob))
                    }
                    continue
                }
                // The kind changed (file, directory, link or submodule): what went, went; what came, came.
                if o.kind == .tree || n.kind == .tree {
                    try walkPair(o.kind == .tree ? o : nil, n.kind == .tree ? n : nil, prefix: path + "/",
                                 added: &added, deleted: &deleted, modified: &modified)
                }
                if o.kind == .blob, Self.isManifestPath(path) { deleted.append((path, o.blob)) }
                if n.kind == .blob, Self.isManifestPath(path) { added.append((path, n.blob)) }
            } else if let o = oldEntry, newEntry == nil || Self.treeOrder(o, before: newEntry!) {
                oldIndex += 1
                if o.kind == .tree {
                    try walkPair(o, nil, prefix: prefix + o.name + "/", added: &added, deleted: &deleted, modified: &modified)
                } else if o.kind == .blob, Self.isManifestPath(prefix + o.name) {
                    deleted.append((prefix + o.name, o.blob))
                }
            } else if let n = newEntry {
                newIndex += 1
                if n.kind == .tree {
                    try walkPair(nil, n, prefix: prefix + n.name + "/", added: &added, deleted: &deleted, modified: &modified)
                } else if n.kind == .blob, Self.isManifestPath(prefix + n.name) {
                    added.append((prefix + n.name, n.blob))
                }
            }
        }
    }

    private func walkPair(
        _ old: TreeEntry?, _ new: TreeEntry?, prefix: String,
        added: inout [(path: String, blob: BlobID)], deleted: inout [(path: String, blob: BlobID)], modified: inout [PathChange]
    ) throws(GitError) {
        let oldTree = try old.map { (entry) throws(GitError) in try lookupTree(entry.id) }
        let newTree = try new.map { (entry) throws(GitError) in try lookupTree(entry.id) }
        try compare(oldTree?.pointer, newTree?.pointer, prefix: prefix, added: &added, deleted: &deleted, modified: &modified)
    }

    /// One entry of a tree, as a value.
    struct TreeEntry {
        enum Kind { case tree, blob, other }
        var name: String
        var id: git_oid
        var kind: Kind
        var blob: BlobID { BlobID(hex: id.hex) }
    }

    private func entries(of tree: OpaquePointer?) -> [TreeEntry] {
        guard let tree else { return [] }
        var result: [TreeEntry] = []
        result.reserveCapacity(git_tree_entrycount(tree))
        for index in 0..<git_tree_entrycount(tree) {
            guard let entry = git_tree_entry_byindex(tree, index) else { continue }
            let name = String(cString: git_tree_entry_name(entry))
            if name.hasPrefix(".") { continue }
            let mode = git_tree_entry_filemode(entry)
            let kind: TreeEntry.Kind =
                git_tree_entry_type(entry) == GIT_OBJECT_TREE ? .tree
                : (mode == GIT_FILEMODE_BLOB || mode == GIT_FILEMODE_BLOB_EXECUTABLE) ? .blob : .other
            result.append(TreeEntry(name: name, id: git_tree_entry_id(entry).pointee, kind: kind))
        }
        return result
    }

    private static func sameID(_ lhs: git_oid, _ rhs: git_oid) -> Bool {
        var left = lhs, right = rhs
        return git_oid_cmp(&left, &right) == 0
    }

    /// Git's tree order: by name, with a tree's name compared as if it ended in '/'.
    private static func treeOrder(_ lhs: TreeEntry, before rhs: TreeEntry) -> Bool {
        let left = Array(lhs.name.utf8) + (lhs.kind == .tree ? [UInt8(ascii: "/")] : [])
        let right = Array(rhs.name.utf8) + (rhs.kind == .tree ? [UInt8(ascii: "/")] : [])
        return left.lexicographicallyPrecedes(right)
    }

    private func lookupTree(_ id: git_oid) throws(GitError) -> Owned {
        var oid = id
        var tree: OpaquePointer?
        try Libgit2.check("git_tree_lookup", git_tree_lookup(&tree, repository.pointer, &oid))
        guard let tree else { throw GitError(code: .notFound, message: "no tree", function: "git_tree_lookup") }
        return Owned(tree) { git_tree_free($0) }
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

    /// The whole content of one blob, however large (up to `limit`): model artifacts, which
    /// the manifest size cap does not apply to.
    public func artifactBytes(_ id: BlobID, limit: Int = 4 << 30) throws(GitError) -> [UInt8] {
        var oid = try git_oid(hex: id.hex)
        var blob: OpaquePointer?
        try Libgit2.check("git_blob_lookup", git_blob_lookup(&blob, repository.pointer, &oid))
        guard let blob else { return [] }
        defer { git_blob_free(blob) }
        let length = Int(git_blob_rawsize(blob))
        guard length <= limit else {
            throw GitError(code: .refused, message: "blob \(id.hex.prefix(12)) is \(length) bytes, over the \(limit)-byte artifact limit", function: "git_blob_rawsize")
        }
        return length == 0 ? [] : Array(UnsafeBufferPointer(start: git_blob_rawcontent(blob)?.assumingMemoryBound(to: UInt8.self), count: length))
    }

    /// Hands the content of one blob (up to `limit` bytes) to `body` where libgit2 holds it,
    /// so that an artifact of gigabytes is written out from that one copy, never duplicated.
    public func withArtifactContent<R: Sendable>(
        _ id: BlobID, limit: Int, _ body: @Sendable (UnsafeRawBufferPointer) throws -> R
    ) throws -> R {
        var oid = try git_oid(hex: id.hex)
        var blob: OpaquePointer?
        try Libgit2.check("git_blob_lookup", git_blob_lookup(&blob, repository.pointer, &oid))
        guard let blob else { throw GitError.refused("blob \(id.hex.prefix(12)) cannot be read") }
        defer { git_blob_free(blob) }
        let length = Int(git_blob_rawsize(blob))
        guard length <= limit else {
            throw GitError(code: .refused, message: "blob \(id.hex.prefix(12)) is \(length) bytes, over the \(limit)-byte artifact limit", function: "git_blob_rawsize")
        }
        return try body(UnsafeRawBufferPointer(start: length == 0 ? nil : git_blob_rawcontent(blob), count: length))
    }

    /// The blob of the regular file at `path` in `commit`, nil when the path does not exist
    /// there. A symbolic link is refused, not followed: its blob is only the link's text, and
    /// nothing read from git may lead to a file of the host.
    public func fileBlob(at commit: CommitID, path: String) throws(GitError) -> BlobID? {
        try withEntry(at: commit, path: path) { entry throws(GitError) in
            let mode = git_tree_entry_filemode(entry)
            guard mode == GIT_FILEMODE_BLOB || mode == GIT_FILEMODE_BLOB_EXECUTABLE else {
                let what = mode == GIT_FILEMODE_LINK ? "a symbolic link" : git_tree_entry_type(entry) == GIT_OBJECT_TREE ? "a directory" : "not a regular file"
                throw GitError.refused("'\(path)' is \(what) at \(commit.short); an artifact must be a regular file in the repository")
            }
            return BlobID(hex: git_tree_entry_id(entry).pointee.hex)
        }
    }

    /// Every regular file under the directory `path` in `commit`, by path relative to it (an
    /// artifact kept as a tree, such as an MLServer model folder). Nil when nothing is at
    /// `path`. A symbolic link, a submodule or more than `maxFiles` files are refused: nothing
    /// read from git may lead to a file of the host, and a listing stays bounded.
    public func directoryFiles(at commit: CommitID, path: String, maxFiles: Int = 100_000) throws(GitError) -> [String: BlobID]? {
        let directory = Self.normalize(path)
        guard let tree = try subtree(of: commit, at: directory) else {
            if try blob(at: commit, path: directory) != nil {
                throw GitError.refused("'\(directory)' is a file at \(commit.short); write it without the trailing '/' to use it as a file")
            }
            return nil
        }
        var files: [String: BlobID] = [:]
        try collectArtifactFiles(tree.pointer, directory: directory, prefix: "", into: &files, limit: maxFiles, commit: commit)
        return files
    }

    private func collectArtifactFiles(
        _ tree: OpaquePointer, directory: String, prefix: String, into files: inout [String: BlobID], limit: Int, commit: CommitID
    ) throws(GitError) {
        for index in 0..<git_tree_entrycount(tree) {
            guard let entry = git_tree_entry_byindex(tree, index) else { continue }
            let name = String(cString: git_tree_entry_name(entry))
            let mode = git_tree_entry_filemode(entry)
            switch git_tree_entry_type(entry) {
            case GIT_OBJECT_TREE:
                var child: OpaquePointer?
                try Libgit2.check("git_tree_lookup", git_tree_lookup(&child, repository.pointer, git_tree_entry_id(entry)))
                guard let child else { continue }
                defer { git_tree_free(child) }
                try collectArtifactFiles(child, directory: directory, prefix: prefix + name + "/", into: &files, limit: limit, commit: commit)
            case GIT_OBJECT_BLOB where mode == GIT_FILEMODE_BLOB || mode == GIT_FILEMODE_BLOB_EXECUTABLE:
                guard files.count < limit else {
                    throw GitError.refused("'\(directory)/' holds more than \(limit) files at \(commit.short)")
                }
                files[prefix + name] = BlobID(hex: git_tree_entry_id(entry).pointee.hex)
            default:
                let what = mode == GIT_FILEMODE_LINK ? "a symbolic link" : mode == GIT_FILEMODE_COMMIT ? "a submodule" : "not a regular file"
                throw GitError.refused("'\(directory)/\(prefix)\(name)' is \(what) at \(commit.short); an artifact directory may hold only regular files and directories")
            }
        }
    }

    /// The blob at `path` in `commit`, nil when the path does not exist there.
    public func blob(at commit: CommitID, path: String) throws(GitError) -> BlobID? {
        try withEntry(at: commit, path: path) { entry in
            git_tree_entry_type(entry) == GIT_OBJECT_BLOB ? BlobID(hex: git_tree_entry_id(entry).pointee.hex) : nil
        }
    }

    /// Runs `body` on the tree entry at `path` in `commit`; nil when the path does not exist.
    private func withEntry<T>(
        at commit: CommitID, path: String, _ body: (OpaquePointer) throws(GitError) -> T?
    ) throws(GitError) -> T? {
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
        return try body(entry)
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
