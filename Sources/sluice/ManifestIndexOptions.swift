import ArgumentParser
import Foundation
import SluiceCore
import SluiceGit

/// Where `sluice plan` keeps its on-disk manifest index, or that it keeps none.
struct ManifestIndexOptions: ParsableArguments {
    @Option(help: "Where the manifest index is kept (a CI cache can keep this directory between jobs).", completion: .directory)
    var indexDir: String = ManifestIndexOptions.defaultDirectory

    @Flag(help: "Neither read nor write the manifest index: read every manifest of the base commit.")
    var noIndex = false

    static var defaultDirectory: String { RepositoryOptions.cacheHome + "/sluice/index" }

    /// The index of `repository`'s manifests as `validator` judges them; nil with --no-index.
    func index(for repository: RepositoryOptions, validator: ManifestValidator) -> ManifestIndex? {
        guard !noIndex else { return nil }
        let address = (try? repository.location()).map { $0.isRemote ? $0.address : URL(fileURLWithPath: $0.address).standardizedFileURL.path } ?? repository.repo
        return ManifestIndex(
            cacheDirectory: URL(fileURLWithPath: indexDir), repositoryPath: address, directory: repository.manifestsDirectory,
            fingerprint: Self.fingerprint(validator))
    }

    /// What a summary depends on besides the file: this build of sluice (its version and the
    /// executable's identity, so a rebuilt binary with other rules ignores an old index) and
    /// the validator's settings.
    static func fingerprint(_ validator: ManifestValidator) -> String {
        "sluice \(SluiceVersion.current); build \(executableIdentity); limits \(validator.limits); models \(validator.decodesModels)"
            + "; artifact warnings \(validator.artifactWarnings); rollout warnings \(validator.rolloutWarnings)"
    }

    /// Size and modification time (to the second) of the running executable: cheap to read,
    /// different for every build, and kept when a CI cache restores the binary (an inode or a
    /// nanosecond would not be). Unknown: a fingerprint no index can match.
    private static var executableIdentity: String {
        var status = stat()
        guard stat("/proc/self/exe", &status) == 0 else { return "unknown-\(UInt64.random(in: 0...UInt64.max))" }
        return "\(status.st_size)@\(status.st_mtim.tv_sec)"
    }
}
