import ArgumentParser
import Crypto
import Foundation
import SluiceCore
import SluiceGit

/// Where the manifest repository is and how to reach it; shared by `plan` and `rollback`.
struct RepositoryOptions: ParsableArguments {
    @Option(help: "A local repository path, or a remote URL (https://, ssh://, git@host:path, file://).", completion: .directory)
    var repo: String = "."

    @Option(help: "The directory of manifests inside the repository (default: the whole repository).", completion: .directory)
    var path: String = ""

    @Option(help: "Where clones of remote repositories are cached.", completion: .directory)
    var cacheDir: String = RepositoryOptions.defaultCacheDirectory

    @Option(help: "An environment variable holding an HTTPS token for the remote.")
    var tokenEnv: String?

    @Option(help: "A file whose first line is an HTTPS token for the remote.", completion: .file())
    var tokenFile: String?

    @Option(help: "An SSH private key file for the remote (default for SSH remotes: the ssh-agent).", completion: .file())
    var sshKey: String?

    @Option(help: "An environment variable holding the SSH key's passphrase.")
    var sshPassphraseEnv: String?

    /// `--path` as the repository names it: no `.`, empty or trailing segments ("" for the root).
    var manifestsDirectory: String {
        path.split(separator: "/").filter { $0 != "." && !$0.isEmpty }.joined(separator: "/")
    }

    static var defaultCacheDirectory: String { cacheHome + "/sluice/repos" }

    /// `$XDG_CACHE_HOME`, else `~/.cache`, else `/tmp`: where sluice's caches go by default.
    static var cacheHome: String {
        ProcessInfo.processInfo.environment["XDG_CACHE_HOME"]
            ?? (ProcessInfo.processInfo.environment["HOME"].map { $0 + "/.cache" } ?? "/tmp")
    }

    /// `--repo`, parsed: a local path or a remote URL.
    func location() throws(GitError) -> RepositoryLocation {
        do {
            return try RepositoryLocation(parsing: repo)
        } catch {
            throw .refused("--repo: \(error.message)")
        }
    }

    /// The credentials the options name; by default the ssh-agent for SSH remotes, none otherwise.
    func credentials(for location: RepositoryLocation) -> GitCredentials {
        if let tokenEnv { return .tokenFromEnvironment(variable: tokenEnv) }
        if let tokenFile { return .tokenFromFile(path: tokenFile) }
        if let sshKey { return .sshKey(privateKeyPath: sshKey, passphraseVariable: sshPassphraseEnv) }
        return location.defaultCredentials
    }

    /// Opens the repository: a local one in place, a remote one through its cache clone (fetched).
    func openSource() throws(GitError) -> GitSource {
        let location = try location()
        guard location.isRemote else { return try GitSource.open(path: location.address) }
        // The cache directory is named by a hash of the URL, so no credential in it shows on disk.
        let directory = cacheDir + "/" + SHA256.hexDigest(of: Array(location.address.utf8)).prefix(24)
        return try GitSource.remote(url: location.address, cacheDirectory: directory, credentials: credentials(for: location))
    }
}
