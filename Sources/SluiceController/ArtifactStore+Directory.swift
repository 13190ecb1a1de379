import Crypto
#if canImport(CDispatch)
// On Linux, once Hummingbird is in the module graph, `struct stat` is found in CDispatch.
import CDispatch
#endif
import Foundation
import SluiceCore
import SluiceGit

extension ArtifactStore {
    /// The directory `artifact` (a tree in git, `models/iris-v2/`) at `commit`, written as a
    /// directory the data plane can run (an MLServer model folder), its content checked against
    /// `digest` (``DirectoryDigest``) when the manifest pins one.
    ///
    /// It is named by a hash of its (path, blob id) listing, so the same tree at any commit
    /// is one directory. It is built under a temporary name, each file streamed from libgit2
    /// and fsynced, then renamed into place; a directory found there is reused only after every
    /// file still hashes to its blob id and nothing was added.
    func materializeDirectory(_ artifact: String, digest: SluiceCore.Digest?, at commit: CommitID, source: GitSource) async throws -> Materialized {
        let path = artifact.hasSuffix("/") ? String(artifact.dropLast()) : artifact
        guard let files = try await source.directoryFiles(at: commit, path: path) else {
            throw ArtifactError(.notInRepository, "artifact '\(artifact)' is not a directory in the repository at \(commit.short)")
        }
        guard !files.isEmpty else {
            throw ArtifactError(.notInRepository, "artifact '\(artifact)' holds no files at \(commit.short)")
        }
        if let digest, digest.algorithm != .sha256 {
            throw ArtifactError(.digestMismatch, "artifact '\(artifact)' is a directory, whose digest is sha256 (sluice artifact digest prints it); \(digest.algorithm.rawValue) cannot pin it")
        }
        let sorted = files.sorted { Array($0.key.utf8).lexicographicallyPrecedes(Array($1.key.utf8)) }
        let listing = sorted.map { "\($0.value.hex) \($0.key)\n" }.joined()
        let name = "tree-" + SHA256.hexDigest(of: Array(listing.utf8))
        let target = "\(directory)/\(name)"
        var entries = Self.verifiedTree(at: target, files: files)
        if entries == nil {
            if FileManager.default.fileExists(atPath: target) { try? FileManager.default.removeItem(atPath: target) }
            entries = try await buildTree(files, at: target, source: source)
        }
        guard let entries else { throw ArtifactError(.writeFailed, "artifact '\(artifact)' could not be written") }
        let actual = DirectoryDigest.digest(entries)
        if let digest, actual != digest {
            throw ArtifactError(
                .digestMismatch,
                "artifact '\(artifact)' has \(actual.description) (its directory digest), but its digest pins \(digest.description); the version is not started")
        }
        return Materialized(path: target, sha256: actual.description, identity: "\(directory)/\(name)")
    }

    /// Writes every file under a temporary directory, then renames it to `target`.
    private func buildTree(_ files: [String: BlobID], at target: String, source: GitSource) async throws -> [DirectoryDigest.Entry] {
        let temporary = "\(target).\(getpid()).\(UInt32.random(in: 0 ... .max)).tmp"
        try FileManager.default.createDirectory(atPath: temporary, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        var renamed = false
        defer { if !renamed { try? FileManager.default.removeItem(atPath: temporary) } }
        var entries: [DirectoryDigest.Entry] = []
        for (relative, blob) in files {
            // Paths come from git tree entries: no '..' or '/' inside a name, but checked anyway.
            guard PathRules.normalizedSegments(relative)?.joined(separator: "/") == relative else {
                throw ArtifactError(.writeFailed, "'\(relative)' is not a safe path inside the artifact")
            }
            let file = "\(temporary)/\(relative)"
            let parent = (file as NSString).deletingLastPathComponent
            try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            let sums = try await write(blob, to: file, also: nil, source: source)
            var info = stat()
            guard stat(file, &info) == 0 else { throw ArtifactError(.writeFailed, "cannot read back \(file)") }
            entries.append(DirectoryDigest.Entry(path: relative, size: Int64(info.st_size), sha256: sums.sha256))
        }
        guard rename(temporary, target) == 0 else {
            throw ArtifactError(.writeFailed, "cannot move \(temporary) to \(target): \(String(cString: strerror(errno)))")
        }
        renamed = true
        let descriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if descriptor >= 0 {
            fsync(descriptor)
            close(descriptor)
        }
        return entries
    }

    /// The entries of the tree at `target` when it holds exactly `files`, each hashing to its
    /// blob id; nil when it is missing, changed, or holds anything else.
    static func verifiedTree(at target: String, files: [String: BlobID]) -> [DirectoryDigest.Entry]? {
        guard let enumerator = FileManager.default.enumerator(atPath: target) else { return nil }
        var found = 0
        while let relative = enumerator.nextObject() as? String {
            var info = stat()
            guard lstat("\(target)/\(relative)", &info) == 0 else { return nil }
            switch info.st_mode & S_IFMT {
            case S_IFDIR: continue
            case S_IFREG: found += 1
            default: return nil
            }
        }
        guard found == files.count else { return nil }
        var entries: [DirectoryDigest.Entry] = []
        for (relative, blob) in files {
            let path = "\(target)/\(relative)"
            guard let sums = try? hashFile(at: path, blob: blob, also: nil), sums.gitID == blob.hex else { return nil }
            var info = stat()
            guard stat(path, &info) == 0 else { return nil }
            entries.append(DirectoryDigest.Entry(path: relative, size: Int64(info.st_size), sha256: sums.sha256))
        }
        return entries
    }
}
