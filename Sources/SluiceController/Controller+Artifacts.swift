import Logging
import SluiceArtifacts
import SluiceCore
import SluiceGit

extension Controller {
    /// The data plane's copy of one version's artifact, by what the manifest names: a file or
    /// a directory read from git at `head`, or a remote artifact fetched in the background.
    func materialize(_ version: ModelVersion, deployment: ModelDeployment, at head: CommitID) async throws -> ArtifactStore.Materialized {
        let reference = ArtifactReference.parse(version.artifact)
        switch reference {
        case .repositoryFile:
            return try await artifacts.materialize(version.artifact, digest: version.digest, at: head, source: source)
        case .repositoryDirectory:
            return try await artifacts.materializeDirectory(version.artifact, digest: version.digest, at: head, source: source)
        case .s3, .https, .mlflow:
            let deadline = deployment.rollout.map { Double($0.progressDeadline.milliseconds) / 1000 }
            return try remoteArtifact(version.artifact, reference: reference, digest: version.digest, deadline: deadline)
        case .clusterOnly(let scheme, _):
            throw ModelProblem(
                kind: .failed,
                message: "artifact '\(ArtifactRedaction.display(version.artifact))': \(scheme):// is fetched by a cluster's runtime (the kubernetes backend); the local backend cannot fetch it")
        case .unsupported(_, let reason):
            throw ModelProblem(kind: .failed, message: "artifact '\(ArtifactRedaction.display(version.artifact))': \(reason)")
        }
    }

    /// Whether every artifact `deployment` reads from git is the same at `head` as at
    /// `previous`: the same blob, or for a directory the same files. Only ids are compared, no
    /// content is read. A model file committed anew under the same path is a change.
    func repositoryArtifactsUnchanged(_ deployment: ModelDeployment, from previous: CommitID, to head: CommitID) async -> Bool {
        for version in deployment.versions {
            switch ArtifactReference.parse(version.artifact) {
            case .repositoryFile:
                guard let before = try? await source.fileBlob(at: previous, path: version.artifact),
                      before == (try? await source.fileBlob(at: head, path: version.artifact)) else { return false }
            case .repositoryDirectory:
                let path = version.artifact.hasSuffix("/") ? String(version.artifact.dropLast()) : version.artifact
                guard let before = try? await source.directoryFiles(at: previous, path: path),
                      before == (try? await source.directoryFiles(at: head, path: path)) else { return false }
            case .s3, .https, .mlflow, .clusterOnly, .unsupported:
                continue
            }
        }
        return true
    }

    /// The local copy of a remote artifact once its fetch is done. Until then the fetch runs
    /// in the background (started once; a failed one again after a minute) and this throws
    /// a ``ModelProblem`` saying so; its end triggers a pass that reads the manifests again.
    func remoteArtifact(_ artifact: String, reference: ArtifactReference, digest: SluiceCore.Digest?, deadline: Double?) throws -> ArtifactStore.Materialized {
        let shown = ArtifactRedaction.display(artifact)
        guard let fetcher = artifactFetcher else {
            throw ModelProblem(kind: .failed, message: "artifact '\(shown)' is not in git, and this backend fetches no artifacts")
        }
        let key = RemoteArtifactFetches.Key(artifact: artifact, digest: digest)
        remoteFetches.touched.insert(key)
        let now = clock.now()
        switch remoteFetches.entries[key] {
        case .ready(let fetched):
            return ArtifactStore.Materialized(path: fetched.path, sha256: fetched.digest.description, identity: "fetched:\(fetched.digest.description)")
        case .running(let since):
            let elapsed = Int(now - since)
            if let deadline, now - since > deadline {
                throw ModelProblem(
                    kind: .fetchingPastDeadline,
                    message: "artifact '\(shown)' is still being fetched after \(elapsed)s, past the rollout's progressDeadline of \(Int(deadline))s")
            }
            throw ModelProblem(kind: .fetching, message: "fetching artifact '\(shown)' (for \(elapsed)s)")
        case .failed(let error, let at) where now - at < RemoteArtifactFetches.retryAfter:
            throw ModelProblem(kind: .failed, message: "artifact '\(shown)' could not be fetched: \(error.message)")
        case .failed, nil:
            break
        }
        remoteFetches.entries[key] = .running(since: now)
        logger.info("fetching artifact \(shown)")
        Task {
            let result: Result<MaterializedArtifact, ArtifactFetchError>
            do {
                result = .success(try await fetcher.materialize(reference, digest: digest))
            } catch let error as ArtifactFetchError {
                result = .failure(error)
            } catch {
                result = .failure(ArtifactFetchError(.io, "\(error)"))
            }
            self.fetchFinished(key, result)
        }
        throw ModelProblem(kind: .fetching, message: "fetching artifact '\(shown)'")
    }

    /// Records a background fetch's end and asks for a pass that reads the manifests again.
    func fetchFinished(_ key: RemoteArtifactFetches.Key, _ result: Result<MaterializedArtifact, ArtifactFetchError>) {
        let shown = ArtifactRedaction.display(key.artifact)
        switch result {
        case .success(let fetched):
            remoteFetches.entries[key] = .ready(fetched)
            logger.info("artifact \(shown) is ready: \(fetched.digest.description), \(fetched.bytes) bytes")
        case .failure(let error):
            remoteFetches.entries[key] = .failed(error, at: clock.now())
            logger.warning("artifact \(shown) could not be fetched: \(error.message)")
        }
        artifactsArrived = true
        trigger(.artifactFetched)
    }

    /// Keeps from eviction every fetched artifact that the desired state names or that a
    /// model runs or rolls out to (its stable and candidate sets); the rest may be evicted.
    func pinFetchedArtifacts() async {
        guard let fetcher = artifactFetcher else { return }
        var used = Set(desired?.models.values.flatMap { $0.deployment.versions.map(\.artifact) } ?? [])
        for state in states.values {
            for set in [state.stable, state.candidate?.target].compactMap({ $0 }) { used.formUnion(set.versions.map(\.artifact)) }
        }
        var pinned: Set<SluiceCore.Digest> = []
        for case .ready(let fetched) in remoteFetches.entries.values where used.contains(fetched.path) { pinned.insert(fetched.digest) }
        await fetcher.pin(pinned)
    }
}
