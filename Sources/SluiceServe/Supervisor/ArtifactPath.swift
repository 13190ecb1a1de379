import Foundation

/// Artifact paths from a runtime spec, kept inside the artifact root: a manifest in git
/// must not make the data plane read `/etc/shadow` or `../../secrets`.
enum ArtifactPath {
    /// The absolute path of `artifact` under `root`.
    static func resolve(_ artifact: String, root: String) -> String {
        let url = artifact.hasPrefix("/") ? URL(fileURLWithPath: artifact) : URL(fileURLWithPath: root).appendingPathComponent(artifact)
        return url.standardizedFileURL.path
    }

    /// Whether `artifact` stays under `root`, following symbolic links that exist.
    static func check(_ artifact: String, root: String) -> Result<String, ArtifactPathError> {
        let rootPath = URL(fileURLWithPath: root).standardizedFileURL.resolvingSymlinksInPath().path
        let resolved = URL(fileURLWithPath: resolve(artifact, root: root)).resolvingSymlinksInPath().path
        guard resolved == rootPath || resolved.hasPrefix(rootPath.hasSuffix("/") ? rootPath : rootPath + "/") else {
            return .failure(ArtifactPathError(message: "artifact '\(artifact)' resolves outside the artifact root \(root)"))
        }
        return .success(resolved)
    }
}

/// An artifact path that leaves the artifact root.
struct ArtifactPathError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
