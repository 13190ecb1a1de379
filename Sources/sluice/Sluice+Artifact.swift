import ArgumentParser
import Foundation
import SluiceArtifacts
import SluiceCore
import SluiceFileDigest

extension Sluice {
    /// `sluice artifact`: digests and fetches artifacts, for pinning and CI.
    struct ArtifactCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "artifact",
            abstract: "Digest and fetch model artifacts (files, directories, s3://, https://, models:/).",
            discussion: "docs/artifacts.md describes the references, the digest and the credentials.",
            subcommands: [DigestArtifact.self, FetchArtifact.self]
        )
    }
}

extension Sluice.ArtifactCommand {
    /// `sluice artifact digest PATH|URI`: the value a `digest:` pin states.
    struct DigestArtifact: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "digest",
            abstract: "Print the digest that pins an artifact (sha256:<hex>).",
            discussion: """
                A local file gets its sha256; a local directory the directory digest (docs/artifacts.md); \
                a URI (s3://, https://, models:/) is fetched into a temporary cache first. \
                Exit status: 0 printed, 1 reading or fetching failed, 2 usage error.
                """
        )

        @Argument(help: ArgumentHelp("A local file or directory, or an artifact URI.", valueName: "path-or-uri"), completion: .file())
        var target: String

        @Option(help: ArgumentHelp("The config whose controller.artifacts says how to fetch a URI.", valueName: "file"), completion: .file(extensions: ["yaml", "yml"]))
        var config: String?

        func run() async throws {
            let command = "sluice artifact digest"
            guard let reference = try ArtifactCommandSupport.remoteReference(target, command: command) else {
                do {
                    let local = try DirectoryHasher.digest(ofPath: target)
                    print(local.digest.description)
                } catch {
                    ArtifactCommandSupport.fail(command, error.message, status: 1)
                }
                return
            }
            let artifact = try await ArtifactCommandSupport.materialize(reference, digest: nil, configPath: config, command: command) { $0 }
            print(artifact.digest.description)
        }
    }

    /// `sluice artifact fetch URI -o DIR`: the artifact as the controller would see it.
    struct FetchArtifact: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "fetch",
            abstract: "Fetch an artifact (s3://, https://, models:/) and copy it into a directory.",
            discussion: """
                The artifact is fetched and verified (against --digest when given) in a temporary cache, then \
                copied: a file to DIR/NAME (its URI's last path segment), a directory's files into DIR. \
                Nothing existing is overwritten. Prints the digest and where it was written. \
                Exit status: 0 fetched, 1 fetch failed, 2 usage error.
                """
        )

        @Argument(help: ArgumentHelp("The artifact URI.", valueName: "uri"))
        var uri: String

        @Option(name: .shortAndLong, help: ArgumentHelp("The directory to write into (created when missing).", valueName: "dir"), completion: .directory)
        var output: String?

        @Option(help: ArgumentHelp("The digest the artifact must have (sha256:<hex>).", valueName: "digest"))
        var digest: String?

        @Option(help: ArgumentHelp("The config whose controller.artifacts says how to fetch.", valueName: "file"), completion: .file(extensions: ["yaml", "yml"]))
        var config: String?

        func run() async throws {
            let command = "sluice artifact fetch"
            guard let output, !output.isEmpty else {
                ArtifactCommandSupport.fail(command, "-o DIR is required: the directory to write the artifact into", status: 2)
            }
            var pin: SluiceCore.Digest?
            if let digest {
                let parsed = SluiceCore.Digest.parse(digest)
                guard let value = parsed.value else {
                    ArtifactCommandSupport.fail(command, "--digest: \(parsed.error ?? "invalid")", status: 2)
                }
                pin = value
            }
            guard let reference = try ArtifactCommandSupport.remoteReference(uri, command: command) else {
                ArtifactCommandSupport.fail(command, "'\(ArtifactRedaction.display(uri))' is not a URI; fetch takes s3://, https:// or models:/ (`sluice artifact digest` reads local paths)", status: 2)
            }
            let written = try await ArtifactCommandSupport.materialize(reference, digest: pin, configPath: config, command: command) { artifact in
                (artifact, try ArtifactCommandSupport.copy(artifact, of: reference, into: output))
            }
            print("\(written.0.digest.description) \(written.1)")
        }
    }
}

/// What the artifact commands and `validate --check-artifacts` share: reading a reference,
/// a fetcher over a temporary cache, copying out of it, failing with a status.
enum ArtifactCommandSupport {
    /// Writes `message` to standard error and exits with `status`.
    static func fail(_ command: String, _ message: String, status: Int32) -> Never {
        FileHandle.standardError.write(Data("\(command): \(message)\n".utf8))
        Foundation.exit(status)
    }

    /// The reference `text` names when it is a URI (exits 2 when it is a URI Sluice cannot
    /// read), nil when it is a local path.
    static func remoteReference(_ text: String, command: String) throws -> ArtifactReference? {
        let looksLikeURI = text.hasPrefix("models:") || PathRules.remoteScheme(of: text) != nil
        guard looksLikeURI else { return nil }
        let reference = ArtifactReference.parse(text)
        if let problem = reference.problem { fail(command, problem, status: 2) }
        if case .clusterOnly(let scheme, _) = reference {
            fail(command, "\(scheme):// artifacts are fetched only by a cluster runtime (the kubernetes backend); sluice cannot fetch them here", status: 1)
        }
        return reference
    }

    /// Runs `body` with the artifact materialized in a temporary cache (removed afterwards);
    /// a failed fetch exits 1 with its reason, a bad config 2.
    static func materialize<T>(
        _ reference: ArtifactReference, digest: SluiceCore.Digest?, configPath: String?, command: String,
        _ body: (MaterializedArtifact) throws -> T
    ) async throws -> T {
        let session: ArtifactFetchSession
        do {
            session = try ArtifactFetchSession(configPath: configPath)
        } catch let error as ExitCode {
            throw error
        } catch {
            fail(command, "\(error)", status: 2)
        }
        let outcome: Result<T, any Error>
        do {
            let artifact = try await session.fetcher.materialize(reference, digest: digest)
            outcome = .success(try body(artifact))
        } catch {
            outcome = .failure(error)
        }
        await session.close()
        switch outcome {
        case .success(let value): return value
        case .failure(let error): fail(command, "\(error)", status: 1)
        }
    }

    /// Copies a materialized artifact out of the cache: a file to `directory/NAME`, a
    /// directory's contents into `directory`. Refuses to overwrite anything.
    static func copy(_ artifact: MaterializedArtifact, of reference: ArtifactReference, into directory: String) throws -> String {
        let files = FileManager.default
        try files.createDirectory(atPath: directory, withIntermediateDirectories: true)
        if artifact.isDirectory {
            let existing = try files.contentsOfDirectory(atPath: directory)
            guard existing.isEmpty else { throw CopyRefusal(description: "\(directory) is not empty; fetch a directory artifact into an empty or new directory") }
            for name in try files.contentsOfDirectory(atPath: artifact.path) {
                try files.copyItem(atPath: artifact.path + "/" + name, toPath: directory + "/" + name)
            }
            return directory
        }
        let destination = directory + "/" + fileName(of: reference)
        guard !files.fileExists(atPath: destination) else { throw CopyRefusal(description: "\(destination) exists; nothing was overwritten") }
        try files.copyItem(atPath: artifact.path, toPath: destination)
        return destination
    }

    /// The name a fetched file gets: the last segment of its key or URL path.
    static func fileName(of reference: ArtifactReference) -> String {
        let path: String
        switch reference {
        case .s3(_, let key): path = key
        case .https(let url): path = String(url.split(separator: "?", maxSplits: 1)[0])
        default: path = ""
        }
        let last = path.split(separator: "/").last.map(String.init) ?? ""
        // Percent-escapes stay as written: a name is never decoded into `/` or `..`.
        return last.isEmpty || last == "." || last == ".." ? "artifact" : last
    }

    struct CopyRefusal: Error, CustomStringConvertible {
        var description: String
    }
}
