// Glibc first: it must own <sys/stat.h>'s declarations before Dispatch (through
// SluiceArtifacts' dependencies) loads them, or `stat` members go missing module-wide.
#if canImport(Glibc)
import Glibc
#endif
import Foundation
import SluiceArtifacts
import SluiceCore
import SluiceFileDigest

/// `sluice validate --check-artifacts`: every version's artifact is read (a path in the
/// repository, from the working tree) or fetched (s3://, https://, models:/, through the
/// fetcher) and compared with its `digest:` pin. Each failure is a diagnostic at the
/// `artifact` field; an artifact only a cluster runtime fetches is a warning, not checked.
enum ArtifactChecker {
    /// The files with the check's diagnostics added, and the texts to quote under them.
    static func check(_ files: [ManifestFile], found: [ManifestFinder.Found], configPath: String?) async
        -> (files: [ManifestFile], texts: [String: [UInt8]])
    {
        let roots = Dictionary(found.map { ($0.path, $0.root) }, uniquingKeysWith: { first, _ in first })
        let validator = ManifestValidator(decodesModels: false)
        var checked = files
        var texts: [String: [UInt8]] = [:]
        var session: ArtifactFetchSession?
        var fetched: [String: Result<SluiceCore.Digest, ArtifactFetchError>] = [:]
        var count = 0
        for index in checked.indices where checked[index].isValid {
            let path = checked[index].path
            guard case .success(let bytes) = ManifestSource.contents(of: path, root: roots[path] ?? ".", maxBytes: validator.limits.maxFileBytes)
            else { continue }
            let tree = workingTree(of: path)
            for use in validator.compose(bytes: bytes, path: path).artifactUses {
                count += 1
                var problem: (code: DiagnosticCode, severity: Diagnostic.Severity, message: String)?
                switch use.reference {
                case .repositoryFile(let relative), .repositoryDirectory(let relative):
                    problem = checkLocal(relative, isDirectory: use.reference.isDirectory, digest: use.digest, tree: tree)
                case .s3, .https, .mlflow:
                    let key = use.text + " " + (use.digest?.description ?? "")
                    if fetched[key] == nil {
                        if session == nil {
                            do {
                                session = try ArtifactFetchSession(configPath: configPath)
                            } catch {
                                ArtifactCommandSupport.fail("sluice validate", "\(error)", status: 2)
                            }
                        }
                        do {
                            fetched[key] = .success(try await session!.fetcher.materialize(use.reference, digest: use.digest).digest)
                        } catch let error as ArtifactFetchError {
                            fetched[key] = .failure(error)
                        } catch {
                            fetched[key] = .failure(ArtifactFetchError(.io, "\(error)"))
                        }
                    }
                    if case .failure(let error) = fetched[key] {
                        let shown = ArtifactRedaction.display(use.text)
                        problem = error.kind == .digestMismatch
                            ? (.digestMismatch, .error, "'\(shown)' does not match its digest: \(error.message)")
                            : (.artifactUnavailable, .error, "'\(shown)' could not be fetched: \(error.message)")
                    }
                case .clusterOnly(let scheme, _):
                    problem = (.clusterOnlyArtifact, .warning, "not checked: \(scheme):// artifacts are fetched only by a cluster runtime (the kubernetes backend)")
                case .unsupported:
                    continue
                }
                guard let problem else { continue }
                checked[index].diagnostics.append(
                    Diagnostic(
                        file: path, location: use.location, severity: problem.severity, code: problem.code,
                        fieldPath: "artifact", message: problem.message))
                texts[path] = bytes
            }
            checked[index].diagnostics.sort()
        }
        await session?.close()
        FileHandle.standardError.write(Data("sluice validate: checked \(count) artifact\(count == 1 ? "" : "s") (\(fetched.count) fetched)\n".utf8))
        return (checked, texts)
    }

    /// A path in the repository, read from the working tree: it exists, is what the manifest
    /// says (a file, or a directory written with a trailing `/`), stays inside the tree, and
    /// matches its pin.
    static func checkLocal(_ relative: String, isDirectory: Bool, digest: SluiceCore.Digest?, tree: String)
        -> (code: DiagnosticCode, severity: Diagnostic.Severity, message: String)?
    {
        let full = URL(fileURLWithPath: tree).appendingPathComponent(relative)
        let resolved = full.resolvingSymlinksInPath().path
        let root = URL(fileURLWithPath: tree).resolvingSymlinksInPath().path
        guard resolved == root || resolved.hasPrefix(root + "/") else {
            return (.pathEscape, .error, "'\(relative)' leads out of the repository through a symbolic link")
        }
        var directory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: resolved, isDirectory: &directory) else {
            return (.artifactUnavailable, .error, "'\(relative)' is not in the working tree at \(tree)")
        }
        if directory.boolValue != isDirectory {
            return (.artifactUnavailable, .error, isDirectory
                ? "'\(relative)/' is written as a directory but is a file; drop the trailing '/'"
                : "'\(relative)' is a directory; write '\(relative)/' for a directory artifact")
        }
        guard let digest else { return nil }
        do {
            let actual: SluiceCore.Digest
            if isDirectory {
                actual = try DirectoryHasher.digest(ofPath: resolved).digest
            } else {
                actual = try DirectoryHasher.fileDigest(atPath: resolved, algorithm: digest.algorithm).digest
            }
            guard actual == digest else {
                return (.digestMismatch, .error, "'\(relative)' has the digest \(actual), not the pinned \(digest)")
            }
            return nil
        } catch {
            return (.artifactUnavailable, .error, "'\(relative)': \(error.message)")
        }
    }

    /// The working tree of the git repository holding `manifest`, else the current directory.
    static func workingTree(of manifest: String) -> String {
        var directory = URL(fileURLWithPath: manifest).standardizedFileURL.deletingLastPathComponent()
        while true {
            if FileManager.default.fileExists(atPath: directory.appendingPathComponent(".git").path) { return directory.path }
            let parent = directory.deletingLastPathComponent()
            if parent.path == directory.path { break }
            directory = parent
        }
        return FileManager.default.currentDirectoryPath
    }
}
