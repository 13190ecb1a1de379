import SluiceCore

/// The manifests of a repository at a commit, validated.
public struct ManifestSet: Sendable {
    /// Which files were read, by blob.
    public var snapshot: TreeSnapshot
    /// Every manifest file's validation result, in path order.
    public var files: [ManifestFile]
    /// How many files had to be read and validated for this set (the rest came from the cache).
    public var filesRead: Int
}

/// Reads and validates the manifests at a commit, caching each file's result by path and blob
/// id. Reading a commit after its parent (or any commit read before) diffs the two trees and
/// reads only the files that changed, so the cost follows the change, not the repository.
public actor ManifestReader {
    /// The git source read from.
    public let source: GitSource
    /// The directory holding manifests ("" for the whole repository).
    public let directory: String
    private let validator: ManifestValidator
    private var cache: [CacheKey: ManifestFile] = [:]
    private var snapshots: [CommitID: TreeSnapshot] = [:]
    private var recentCommits: [CommitID] = []

    private struct CacheKey: Hashable {
        let path: String
        let blob: BlobID
    }

    /// Creates a reader.
    public init(source: GitSource, directory: String = "", validator: ManifestValidator = ManifestValidator()) {
        self.source = source
        self.directory = directory
        self.validator = validator
    }

    /// The validated manifests at `commit`. When a commit was read before, only the paths that
    /// differ from it are read; otherwise the tree is listed and every manifest read.
    public func read(at commit: CommitID, relativeTo base: CommitID? = nil) async throws(GitError) -> ManifestSet {
        let snapshot: TreeSnapshot
        if let cached = snapshots[commit] {
            snapshot = cached
        } else if let base = base ?? recentCommits.last, let previous = snapshots[base] {
            var files = previous.files
            for change in try await source.changes(from: base, to: commit, under: directory) {
                if let old = change.oldPath { files[old] = nil }
                if let new = change.newPath, let blob = change.newBlob { files[new] = blob }
            }
            snapshot = TreeSnapshot(commit: commit, directory: previous.directory, files: files)
        } else {
            snapshot = try await source.snapshot(at: commit, under: directory)
        }
        remember(snapshot)
        let missing = snapshot.files.filter { cache[CacheKey(path: $0.key, blob: $0.value)] == nil }
        if !missing.isEmpty {
            let contents = try await source.readBlobs(Array(Set(missing.values)))
            for (path, blob) in missing {
                guard let content = contents[blob] else { continue }
                cache[CacheKey(path: path, blob: blob)] = validate(content, path: path)
            }
        }
        let files = snapshot.files.keys.sorted().compactMap { path in cache[CacheKey(path: path, blob: snapshot.files[path]!)] }
        trimCache(keeping: snapshot)
        return ManifestSet(snapshot: snapshot, files: files, filesRead: missing.count)
    }

    /// The validated content of one blob (for history walks), cached like the rest.
    public func file(path: String, blob: BlobID) async throws(GitError) -> ManifestFile? {
        let key = CacheKey(path: path, blob: blob)
        if let cached = cache[key] { return cached }
        guard let content = try await source.readBlobs([blob])[blob] else { return nil }
        let file = validate(content, path: path)
        cache[key] = file
        return file
    }

    private func validate(_ content: BlobContent, path: String) -> ManifestFile {
        guard let bytes = content.bytes else {
            return ManifestFile(
                path: path, entries: [], diagnostics: [validator.limits.oversizedDiagnostic(file: path, size: content.size)])
        }
        return validator.validate(bytes: bytes, path: path)
    }

    /// Keeps the snapshots of the last few commits, the ones later reads diff against.
    private func remember(_ snapshot: TreeSnapshot) {
        snapshots[snapshot.commit] = snapshot
        recentCommits.removeAll { $0 == snapshot.commit }
        recentCommits.append(snapshot.commit)
        while recentCommits.count > 4 { snapshots[recentCommits.removeFirst()] = nil }
    }

    /// Drops cached files no remembered snapshot refers to, once the cache has grown well
    /// beyond them, so memory stays proportional to the repository.
    private func trimCache(keeping snapshot: TreeSnapshot) {
        let live = snapshots.values.reduce(0) { $0 + $1.files.count }
        guard cache.count > 2 * live + 1024 else { return }
        var keep = Set<CacheKey>()
        for remembered in snapshots.values {
            for (path, blob) in remembered.files { keep.insert(CacheKey(path: path, blob: blob)) }
        }
        cache = cache.filter { keep.contains($0.key) }
    }
}
