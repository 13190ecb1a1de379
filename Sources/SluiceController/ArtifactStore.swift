import Foundation
import SluiceCore
import SluiceGit

/// Writes model artifacts read from git at a commit into a content-addressed directory,
/// so the data plane runs exactly what the commit says, whatever the working copy holds.
struct ArtifactStore: Sendable {
    let directory: String

    /// The path of `artifact` (repository-relative) at `commit`, written if missing.
    func materialize(_ artifact: String, at commit: CommitID, source: GitSource) async throws -> String {
        guard let blob = try await source.blob(at: commit, path: artifact) else {
            throw ArtifactError(message: "artifact '\(artifact)' is not in the repository at \(commit.short)")
        }
        let name = (artifact as NSString).lastPathComponent
        let path = "\(directory)/\(blob.hex.prefix(16))-\(name)"
        if FileManager.default.fileExists(atPath: path) { return path }
        let bytes = try await source.artifactBytes(blob)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let temporary = "\(path).\(getpid()).tmp"
        guard FileManager.default.createFile(atPath: temporary, contents: Data(bytes)) else {
            throw ArtifactError(message: "cannot write \(temporary)")
        }
        guard rename(temporary, path) == 0 else {
            throw ArtifactError(message: "cannot move \(temporary) to \(path)")
        }
        return path
    }
}

struct ArtifactError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
