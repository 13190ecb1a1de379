import Crypto
#if canImport(CDispatch)
// On Linux, once Hummingbird is in the module graph, `struct stat` is found in CDispatch.
import CDispatch
#endif
import Foundation
import SluiceCore
import SluiceGit

/// Writes model artifacts read from git at a commit into a content-addressed directory,
/// so the data plane runs exactly what the commit says, whatever the working copy holds.
///
/// A file is named by its git blob id plus a sanitized extension (`<blob>.json`): nothing of
/// the name written in git reaches the path a runtime's command receives. It is written by
/// stream from libgit2's one copy, fsynced and renamed into place; a file found there is
/// reused only after its content hashes to its name again. Its sha256 (and sha512 when the
/// manifest pins one) is computed as it is written or checked, and a `digest:` pin that
/// differs keeps the version from starting.
struct ArtifactStore: Sendable {
    let directory: String

    /// Largest artifact read from git.
    static let maxArtifactBytes = 4 << 30
    /// Bytes hashed and written per step.
    static let chunkSize = 1 << 20

    /// A materialized artifact.
    struct Materialized: Sendable, Hashable {
        /// Where the data plane reads it.
        var path: String
        /// Its sha256 (`sha256:<hex>`), computed from its content.
        var sha256: String
        /// What the model's spec digest folds in for this artifact: its blob id with the name
        /// and place the previous release gave it (`DIR/<blob prefix>-<file name>`). Only hashed,
        /// never used as a path; kept in that form so that a rollout in progress keeps its
        /// digest across the upgrade that renamed the files, and resumes instead of restarting.
        var identity: String
    }

    /// The path of `artifact` (repository-relative) at `commit`, written if missing, its
    /// content checked against `digest` when the manifest pins one.
    func materialize(_ artifact: String, digest: SluiceCore.Digest?, at commit: CommitID, source: GitSource) async throws -> Materialized {
        guard let blob = try await source.fileBlob(at: commit, path: artifact) else {
            throw ArtifactError(.notInRepository, "artifact '\(artifact)' is not in the repository at \(commit.short)")
        }
        let path = "\(directory)/\(blob.hex)\(Self.sanitizedExtension(of: artifact))"
        let wanted = digest?.algorithm
        var sums: ArtifactDigests?
        if FileManager.default.fileExists(atPath: path) {
            // Reused only when its content still hashes to its name: a file changed on disk
            // (by accident or on purpose) is written again from git.
            if let found = try? Self.hashFile(at: path, blob: blob, also: wanted), found.gitID == blob.hex {
                sums = found
            } else {
                unlink(path)
            }
        }
        if sums == nil { sums = try await write(blob, to: path, also: wanted, source: source) }
        guard let sums else { throw ArtifactError(.writeFailed, "artifact '\(artifact)' could not be written") }
        if let digest, let actual = sums.hex(for: digest.algorithm), actual != digest.hex {
            throw ArtifactError(
                .digestMismatch,
                "artifact '\(artifact)' has \(digest.algorithm.rawValue):\(actual), but its digest pins \(digest.description); the version is not started")
        }
        let identity = "\(directory)/\(blob.hex.prefix(16))-\((artifact as NSString).lastPathComponent)"
        return Materialized(path: path, sha256: "sha256:" + sums.sha256, identity: identity)
    }

    /// Streams the blob from libgit2's copy into a temporary file, hashing as it goes, then
    /// fsyncs it and renames it into place (and fsyncs the directory, so the name survives
    /// a crash too).
    func write(_ blob: BlobID, to path: String, also wanted: SluiceCore.Digest.Algorithm?, source: GitSource) async throws -> ArtifactDigests {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let temporary = "\(path).\(getpid()).\(UInt32.random(in: 0 ... .max)).tmp"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard descriptor >= 0 else {
            throw ArtifactError(.writeFailed, "cannot create \(temporary): \(String(cString: strerror(errno)))")
        }
        var closed = false
        defer {
            if !closed { close(descriptor) }
            unlink(temporary)
        }
        let sums = try await source.withArtifactContent(blob, limit: Self.maxArtifactBytes) { content in
            var hasher = ArtifactHasher(blob: nil, also: wanted)
            var offset = 0
            while offset < content.count {
                let chunk = UnsafeRawBufferPointer(rebasing: content[offset..<min(offset + Self.chunkSize, content.count)])
                hasher.update(chunk)
                try Self.writeAll(chunk, to: descriptor, path: temporary)
                offset += chunk.count
            }
            guard fsync(descriptor) == 0 else {
                throw ArtifactError(.writeFailed, "cannot fsync \(temporary): \(String(cString: strerror(errno)))")
            }
            return hasher.finish()
        }
        close(descriptor)
        closed = true
        guard rename(temporary, path) == 0 else {
            throw ArtifactError(.writeFailed, "cannot move \(temporary) to \(path): \(String(cString: strerror(errno)))")
        }
        let directoryDescriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directoryDescriptor >= 0 {
            fsync(directoryDescriptor)
            close(directoryDescriptor)
        }
        return sums
    }

    private static func writeAll(_ bytes: UnsafeRawBufferPointer, to descriptor: Int32, path: String) throws {
        var written = 0
        while written < bytes.count {
            let count = Foundation.write(descriptor, bytes.baseAddress! + written, bytes.count - written)
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else {
                throw ArtifactError(.writeFailed, "cannot write \(path): \(String(cString: strerror(errno)))")
            }
            written += count
        }
    }

    /// Hashes a file by stream: its git blob id (to check it against its name), its sha256,
    /// and its sha512 when wanted.
    static func hashFile(at path: String, blob: BlobID, also wanted: SluiceCore.Digest.Algorithm?) throws -> ArtifactDigests {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard descriptor >= 0 else { throw ArtifactError(.writeFailed, "cannot open \(path)") }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            throw ArtifactError(.writeFailed, "\(path) is not a regular file")
        }
        var hasher = ArtifactHasher(blob: (blob, Int(info.st_size)), also: wanted)
        var buffer = [UInt8](repeating: 0, count: chunkSize)
        var total = 0
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress!, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { throw ArtifactError(.writeFailed, "cannot read \(path)") }
            if count == 0 { break }
            buffer.withUnsafeBytes { hasher.update(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
            total += count
        }
        // A file that grew or shrank while read hashes to another blob id; checked by the caller.
        return total == Int(info.st_size) ? hasher.finish() : ArtifactDigests(gitID: nil, sha256: "", sha512: nil)
    }

    /// `.json` for `models/b$(x).json`, `.tar.gz` for `m.tar.gz`, "" when the name has no
    /// plain extension: letters and digits only, so the path stays free of shell characters.
    static func sanitizedExtension(of artifact: String) -> String {
        let name = artifact.split(separator: "/").last.map(String.init) ?? ""
        let parts = name.split(separator: ".", omittingEmptySubsequences: false).dropFirst()
        func plain(_ part: Substring) -> Bool {
            (1...16).contains(part.count) && part.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0)) }
        }
        guard let last = parts.last, plain(last) else { return "" }
        if parts.count >= 2, parts[parts.endIndex - 2].lowercased() == "tar" { return ".tar." + last.lowercased() }
        return "." + last.lowercased()
    }
}

/// The sums of one artifact's content.
struct ArtifactDigests: Sendable {
    /// The git blob id the content hashes to (only when checking a file against its name).
    var gitID: String?
    /// Lowercase hex sha256.
    var sha256: String
    /// Lowercase hex sha512, when it was asked for.
    var sha512: String?

    func hex(for algorithm: SluiceCore.Digest.Algorithm) -> String? {
        switch algorithm {
        case .sha256: sha256
        case .sha512: sha512
        }
    }
}

/// Feeds content to every hash wanted at once, so an artifact is read a single time.
struct ArtifactHasher {
    private var sha256 = Crypto.SHA256()
    private var sha512: Crypto.SHA512?
    private var gitSHA1: Insecure.SHA1?
    private var gitSHA256: Crypto.SHA256?

    /// `blob`: the id and size to recompute the git blob id of (git hashes `blob <size>\0`
    /// then the content, with SHA-1 or, in a sha256 repository, SHA-256).
    init(blob: (id: BlobID, size: Int)?, also wanted: SluiceCore.Digest.Algorithm?) {
        if wanted == .sha512 { sha512 = Crypto.SHA512() }
        if let blob {
            let header = Array("blob \(blob.size)\0".utf8)
            if blob.id.hex.count == 64 {
                gitSHA256 = Crypto.SHA256()
                gitSHA256?.update(data: header)
            } else {
                gitSHA1 = Insecure.SHA1()
                gitSHA1?.update(data: header)
            }
        }
    }

    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        sha256.update(bufferPointer: bytes)
        sha512?.update(bufferPointer: bytes)
        gitSHA1?.update(bufferPointer: bytes)
        gitSHA256?.update(bufferPointer: bytes)
    }

    func finish() -> ArtifactDigests {
        let git = gitSHA1.map { $0.finalize().hex } ?? gitSHA256.map { $0.finalize().hex }
        return ArtifactDigests(gitID: git, sha256: sha256.finalize().hex, sha512: sha512.map { $0.finalize().hex })
    }
}

/// Why an artifact could not be made ready for the data plane.
struct ArtifactError: Error, CustomStringConvertible {
    /// The kind of failure.
    enum Kind: Sendable {
        /// The path names nothing in the commit.
        case notInRepository
        /// The content differs from the manifest's `digest:`.
        case digestMismatch
        /// The file could not be written or read back.
        case writeFailed
        /// A file in git, on a backend that runs models where git files cannot reach (a cluster).
        case notReachable
    }

    var kind: Kind
    var message: String
    var description: String { message }

    init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }
}
