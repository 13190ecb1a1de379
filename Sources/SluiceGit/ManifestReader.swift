import Dispatch
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

/// The manifests that differ between two commits, for an incremental plan: the files that
/// changed, at each revision, plus the few unchanged files a plan must still see (those that
/// declare a model a changed file also declares, and invalid ones).
public struct ManifestChangeSet: Sendable {
    /// The files to plan from, at the base revision.
    public var before: [ManifestFile]
    /// The files to plan to, at the target revision.
    public var after: [ManifestFile]
    /// Models declared at the base in files left out (identical at both revisions).
    public var unchangedBefore: Int
    /// Models declared at the target in files left out.
    public var unchangedAfter: Int
    /// How many files had to be read and validated (the rest came from the cache).
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
    /// Names and validity of the files validated on their own (no aliases), read or loaded from
    /// an on-disk index: enough to plan around an unchanged file without reading it.
    private var summaries: [CacheKey: ManifestSummary] = [:]
    /// The on-disk index, looked up where it lies (not copied into `summaries`).
    private var indexed: ManifestIndex.Contents?
    /// Files read at a target through ``changedManifests(from:to:)``, which remembers no
    /// snapshot of it: kept in the on-disk index too, so that the same plan again learns nothing.
    private var changedKeys: Set<CacheKey> = []
    private var snapshots: [CommitID: TreeSnapshot] = [:]
    private var indexes: [CommitID: NameIndex] = [:]
    private var recentCommits: [CommitID] = []

    /// Which files declare which model names at one commit, and which files are invalid.
    private struct NameIndex {
        /// The first file declaring each name; `morePathsByName` has the others (rare: a
        /// duplicate), so that 10,000 files cost 10,000 strings, not 10,000 sets.
        var pathByName: [String: String] = [:]
        var morePathsByName: [String: [String]] = [:]
        var invalidPaths: Set<String> = []
        var modelCount = 0

        mutating func add(path: String, names: [String], isValid: Bool) {
            for name in names {
                if let first = pathByName.updateValue(path, forKey: name) {
                    pathByName[name] = first
                    morePathsByName[name, default: []].append(path)
                }
            }
            modelCount += names.count
            if !isValid { invalidPaths.insert(path) }
        }

        func paths(declaring name: String) -> [String] {
            guard let first = pathByName[name] else { return [] }
            return [first] + (morePathsByName[name] ?? [])
        }
    }

    private typealias CacheKey = ManifestIndex.IndexKey

    /// Creates a reader.
    public init(source: GitSource, directory: String = "", validator: ManifestValidator = ManifestValidator()) {
        self.source = source
        self.directory = directory
        self.validator = validator
    }

    /// The validated manifests at `commit`. When a commit was read before, only the paths that
    /// differ from it are read; otherwise the tree is listed and every manifest read.
    public func read(at commit: CommitID, relativeTo base: CommitID? = nil) async throws(GitError) -> ManifestSet {
        var filesRead = try await load(at: commit, relativeTo: base)
        let snapshot = snapshots[commit]!
        filesRead += try await readUncached(snapshot.files.map { CacheKey(path: $0.key, blob: $0.value) })
        let files = snapshot.files.keys.sorted().compactMap { path in cache[CacheKey(path: path, blob: snapshot.files[path]!)] }
        return ManifestSet(snapshot: snapshot, files: files, filesRead: filesRead)
    }

    /// Reads and validates what is not cached yet of the manifests at `commit`, without
    /// listing them; returns how many files were read. A later ``changedManifests(from:to:)``
    /// from this commit then costs only the change.
    @discardableResult
    public func load(at commit: CommitID, relativeTo base: CommitID? = nil) async throws(GitError) -> Int {
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
        // A file summarized (by an earlier read or the on-disk index) is read only when a plan
        // needs it; the name index is built in the same pass, one lookup per file.
        var nameIndex = NameIndex()
        var unsummarized: [CacheKey] = []
        if let known = indexes[snapshot.commit] {
            nameIndex = known
        } else {
            for (path, blob) in snapshot.files {
                let key = CacheKey(path: path, blob: blob)
                if let summary = summary(for: key) {
                    nameIndex.add(path: path, names: summary.names, isValid: summary.isValid)
                } else {
                    unsummarized.append(key)
                }
            }
        }
        let read = try await readUncached(unsummarized)
        if indexes[snapshot.commit] == nil {
            for key in unsummarized {
                if let summary = summary(for: key) {
                    nameIndex.add(path: key.path, names: summary.names, isValid: summary.isValid)
                } else if let file = cache[key] {
                    nameIndex.add(path: key.path, names: file.entries.compactMap(\.name), isValid: file.isValid)
                }
            }
            indexes[snapshot.commit] = nameIndex
        }
        trimCache(keeping: snapshot)
        return read
    }

    /// What differs between `base` and `target`, reading only the changed files (the base is
    /// read whole first if it never was). Nothing here walks the whole repository: the target is
    /// described as the base plus the change, so the cost follows the change.
    public func changedManifests(from base: CommitID, to target: CommitID) async throws(GitError) -> ManifestChangeSet {
        var filesRead = 0
        if snapshots[base] == nil { filesRead += try await load(at: base) }
        guard let baseSnapshot = snapshots[base] else {
            return ManifestChangeSet(before: [], after: [], unchangedBefore: 0, unchangedAfter: 0, filesRead: filesRead)
        }
        var changedBefore = Set<String>()
        var newBlobs: [String: BlobID] = [:]
        for change in try await source.changes(from: base, to: target, under: directory) {
            if let old = change.oldPath { changedBefore.insert(old) }
            if let new = change.newPath, let blob = change.newBlob { newBlobs[new] = blob }
        }
        let newKeys = newBlobs.map { CacheKey(path: $0.key, blob: $0.value) }
        changedKeys.formUnion(newKeys)
        filesRead += try await readUncached(newKeys)
        let after = newBlobs.compactMap { cache[CacheKey(path: $0.key, blob: $0.value)] }
        return try await changeSet(base: baseSnapshot, changedBefore: changedBefore, after: after, filesRead: filesRead)
    }

    /// The manifests the working tree changes against `head` (a local repository's uncommitted
    /// edits, additions and deletions, untracked files included), in the shape of
    /// ``changedManifests(from:to:)``: the working tree is planned as if it were committed.
    /// Files are read with the limits of blobs and validated the same way.
    public func workingTreeManifests(against head: CommitID) async throws(GitError) -> ManifestChangeSet {
        let filesRead = try await loadForWorkingTree(head)
        let (baseSnapshot, changes) = try await workingTreeDifferences(from: head)
        var after: [ManifestFile] = []
        var unread: [(path: String, blob: BlobID?, content: BlobContent)] = []
        for change in changes {
            guard let content = change.content else { continue }
            if let blob = change.blob, let cached = cache[CacheKey(path: change.path, blob: blob)] {
                after.append(cached)
            } else {
                unread.append((change.path, change.blob, content))
            }
        }
        for (item, result) in zip(unread, Self.validateAll(unread.map { ($0.path, $0.content) }, with: validator)) {
            if let blob = item.blob { keep(result, as: CacheKey(path: item.path, blob: blob)) }
            after.append(result.file)
        }
        let changedBefore = Set(changes.map(\.path).filter { baseSnapshot.files[$0] != nil })
        return try await changeSet(base: baseSnapshot, changedBefore: changedBefore, after: after, filesRead: filesRead + unread.count)
    }

    /// The manifest paths whose content in the working tree is not HEAD's (`head`); empty for
    /// a repository without a working tree.
    public func uncommittedManifestPaths(comparedWith head: CommitID) async throws(GitError) -> [String] {
        guard await source.hasWorkingTree else { return [] }
        return try await workingTreeDifferences(from: head).changes.map(\.path)
    }

    /// The working tree's manifests that differ from `head`'s: git's status narrowed to those
    /// whose content really differs (a file staged and then changed back is the same).
    private func workingTreeDifferences(from head: CommitID) async throws(GitError) -> (snapshot: TreeSnapshot, changes: [WorkingTreeChange]) {
        try await loadForWorkingTree(head)
        guard let snapshot = snapshots[head] else { return (TreeSnapshot(commit: head, directory: directory, files: [:]), []) }
        let changes = try await source.workingTreeChanges(under: directory).filter { change in
            let committed = snapshot.files[change.path]
            return change.content == nil ? committed != nil : (change.blob == nil || change.blob != committed)
        }
        return (snapshot, changes)
    }

    /// HEAD's manifests, for comparing the working tree with; a manifests directory HEAD does
    /// not have yet (created, never committed) holds nothing there.
    @discardableResult
    private func loadForWorkingTree(_ head: CommitID) async throws(GitError) -> Int {
        guard snapshots[head] == nil else { return 0 }
        guard try await source.hasDirectory(directory, at: head) else {
            remember(TreeSnapshot(commit: head, directory: directory, files: [:]))
            return 0
        }
        return try await load(at: head)
    }

    /// A change set from the files that changed: `changedBefore` (paths of the base) and
    /// `after` (the files that replace or join them).
    private func changeSet(
        base baseSnapshot: TreeSnapshot, changedBefore: Set<String>, after: [ManifestFile], filesRead: Int
    ) async throws(GitError) -> ManifestChangeSet {
        let baseIndex = index(of: baseSnapshot)
        // The base's files known only by their summary are read now: the changed ones first,
        // then those the plan must see beside them.
        var filesRead = filesRead + (try await readUncached(changedBefore.compactMap { path in baseSnapshot.files[path].map { CacheKey(path: path, blob: $0) } }))
        let before = changedBefore.compactMap { cachedFile($0, in: baseSnapshot) }

        // Unchanged files a plan must still see: those sharing a model name with a changed file
        // (the duplicate rule spans files), and invalid ones (reported at either revision).
        let changedPaths = changedBefore.union(after.map(\.path))
        var related = baseIndex.invalidPaths
        let names = Set(before.flatMap { $0.entries.compactMap(\.name) } + after.flatMap { $0.entries.compactMap(\.name) })
        for name in names { related.formUnion(baseIndex.paths(declaring: name)) }
        related.subtract(changedPaths)
        filesRead += try await readUncached(related.compactMap { path in baseSnapshot.files[path].map { CacheKey(path: path, blob: $0) } })
        let unchangedRelated = related.subtracting(changedPaths).sorted().compactMap { cachedFile($0, in: baseSnapshot) }
        let models = { (files: [ManifestFile]) in files.reduce(0) { $0 + $1.entries.count { $0.name != nil } } }
        let unchangedCount = baseIndex.modelCount - models(before) - models(unchangedRelated)
        return ManifestChangeSet(
            before: (before + unchangedRelated).sorted { $0.path < $1.path },
            after: (after + unchangedRelated).sorted { $0.path < $1.path },
            unchangedBefore: unchangedCount, unchangedAfter: unchangedCount, filesRead: filesRead)
    }

    private func cachedFile(_ path: String, in snapshot: TreeSnapshot) -> ManifestFile? {
        snapshot.files[path].flatMap { cache[CacheKey(path: path, blob: $0)] }
    }

    /// The name index of a snapshot whose files are all cached or summarized, built once per commit.
    private func index(of snapshot: TreeSnapshot) -> NameIndex {
        if let known = indexes[snapshot.commit] { return known }
        var index = NameIndex()
        for (path, blob) in snapshot.files {
            let key = CacheKey(path: path, blob: blob)
            if let summary = summary(for: key) {
                index.add(path: path, names: summary.names, isValid: summary.isValid)
            } else if let file = cache[key] {
                index.add(path: path, names: file.entries.compactMap(\.name), isValid: file.isValid)
            }
        }
        indexes[snapshot.commit] = index
        return index
    }

    /// The validated content of one blob (for history walks), cached like the rest.
    public func file(path: String, blob: BlobID) async throws(GitError) -> ManifestFile? {
        let key = CacheKey(path: path, blob: blob)
        if let cached = cache[key] { return cached }
        guard let content = try await source.readBlobs([blob])[blob] else { return nil }
        let result = Self.validateAll([(path, content)], with: validator)[0]
        keep(result, as: key)
        return result.file
    }

    // MARK: - the on-disk index

    /// Takes summaries from an on-disk index: files they describe are not read by ``load(at:relativeTo:)``
    /// unless a plan needs them. Call before reading.
    public func useIndex(_ contents: ManifestIndex.Contents) {
        indexed = contents
    }

    /// A file's summary: learned by this reader, or from the on-disk index.
    private func summary(for key: CacheKey) -> ManifestSummary? {
        summaries[key] ?? indexed?.summary(path: key.path, blob: key.blob)
    }

    /// The summaries of the files of every commit read lately, to store as the on-disk index
    /// (files validated under a shared alias budget are left out).
    public func indexEntries() -> [ManifestIndex.IndexKey: ManifestSummary] {
        var entries: [ManifestIndex.IndexKey: ManifestSummary] = [:]
        for snapshot in snapshots.values {
            for (path, blob) in snapshot.files {
                let key = CacheKey(path: path, blob: blob)
                if let summary = summary(for: key) { entries[key] = summary }
            }
        }
        for key in changedKeys where entries[key] == nil {
            if let summary = summary(for: key) { entries[key] = summary }
        }
        return entries
    }

    /// How many summaries this reader learned by validating (not from an index): a caller
    /// writes the index back only when it learned something.
    public private(set) var summariesLearned = 0

    /// Reads and validates the files of `keys` not in the cache yet; returns how many were read.
    private func readUncached(_ keys: [CacheKey]) async throws(GitError) -> Int {
        let missing = keys.filter { cache[$0] == nil }
        guard !missing.isEmpty else { return 0 }
        let contents = try await source.readBlobs(Array(Set(missing.map(\.blob))))
        let items = missing.compactMap { key in contents[key.blob].map { (key, $0) } }
        for (item, result) in zip(items, Self.validateAll(items.map { ($0.0.path, $0.1) }, with: validator)) {
            keep(result, as: item.0)
        }
        return missing.count
    }

    /// Caches a validated file, and its summary when its validation stood on its own.
    private func keep(_ result: Validated, as key: CacheKey) {
        cache[key] = result.file
        guard result.standsAlone, summary(for: key) == nil else { return }
        summaries[key] = ManifestSummary(names: result.file.entries.compactMap(\.name), isValid: result.file.isValid)
        summariesLearned += 1
    }

    /// Validates the files of one read on every core: blobs are read by the git actor one by
    /// one, but validation needs no shared state. Files with aliases are validated afterwards,
    /// in path order, under one alias budget for the whole read, so that many files each
    /// under the per-file cap cannot add up to minutes of work.
    private static func validateAll(_ items: [(path: String, content: BlobContent)], with validator: ManifestValidator) -> [Validated] {
        let results = UnsafeMutableBufferPointer<FirstPass?>.allocate(capacity: items.count)
        results.initialize(repeating: nil)
        defer { results.deinitialize().deallocate() }
        nonisolated(unsafe) let slots = results
        let compose: @Sendable (Int) -> Void = { index in
            slots[index] = firstPass(items[index].content, path: items[index].path, with: validator)
        }
        if items.count > 16 {
            DispatchQueue.concurrentPerform(iterations: items.count, execute: compose)
        } else {
            for index in items.indices { compose(index) }
        }
        var files = [Validated?](repeating: nil, count: items.count)
        var aliased: [Int] = []
        for index in items.indices {
            switch results[index]! {
            case .validated(let file): files[index] = Validated(file: file, standsAlone: true)
            case .aliased: aliased.append(index)
            }
        }
        var budget = AliasBudget(limits: validator.limits)
        for index in aliased.sorted(by: { items[$0].path < items[$1].path }) {
            guard case .aliased(let composed) = results[index]! else { continue }
            files[index] = Validated(file: validator.validate(composed, budget: &budget), standsAlone: false)
        }
        return files.map { $0! }
    }

    /// A validated file, and whether its result depends on it alone (false: judged under an
    /// alias budget shared with the other files of one read, so never summarized on disk).
    private struct Validated {
        var file: ManifestFile
        var standsAlone: Bool
    }

    /// A file validated at once (no aliases), or composed and waiting for the shared budget.
    private enum FirstPass {
        case validated(ManifestFile)
        case aliased(ComposedManifest)
    }

    private static func firstPass(_ content: BlobContent, path: String, with validator: ManifestValidator) -> FirstPass {
        guard let bytes = content.bytes else {
            return .validated(ManifestFile(
                path: path, entries: [], diagnostics: [validator.limits.oversizedDiagnostic(file: path, size: content.size)]))
        }
        let composed = validator.compose(bytes: bytes, path: path)
        guard composed.aliasNodes == 0 else { return .aliased(composed) }
        var budget = AliasBudget(limits: validator.limits)
        return .validated(validator.validate(composed, budget: &budget))
    }

    /// Keeps the snapshots of the last few commits, the ones later reads diff against.
    private func remember(_ snapshot: TreeSnapshot) {
        snapshots[snapshot.commit] = snapshot
        recentCommits.removeAll { $0 == snapshot.commit }
        recentCommits.append(snapshot.commit)
        while recentCommits.count > 4 {
            let evicted = recentCommits.removeFirst()
            snapshots[evicted] = nil
            indexes[evicted] = nil
        }
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
        summaries = summaries.filter { keep.contains($0.key) }
        changedKeys = changedKeys.filter { keep.contains($0) }
    }
}
