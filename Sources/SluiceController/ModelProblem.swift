import SluiceCore

/// Why a model's desired spec cannot be given to the data plane at this revision. Typed, so
/// status can tell a download under way (Progressing) from a problem that keeps the last good
/// state (Degraded), and say which. The model is left out of the spec; the others go on.
struct ModelProblem: Error, Sendable, Equatable, CustomStringConvertible {
    enum Kind: Sendable, Equatable {
        /// A download is under way; the model keeps what runs until it is done.
        case fetching
        /// Still fetching after the rollout's progressDeadline.
        case fetchingPastDeadline
        /// The artifact cannot be made ready (missing, digest mismatch, refused).
        case failed
        /// The manifest names this runtime, which the operator's config does not define (the
        /// data plane would refuse the whole spec, every model's, for it).
        case runtimeUndefined(String)
    }

    var kind: Kind
    var message: String
    var description: String { message }

    /// The problem of a deployment whose runtime is not among `runtimes`; nil when it is, or
    /// when no runtimes are known here (a controller whose config leaves them to the data
    /// plane's own file: the data plane's check is then the only one).
    static func undefinedRuntime(of deployment: ModelDeployment, path: String, runtimes: some Collection<String>) -> ModelProblem? {
        guard !runtimes.isEmpty, !runtimes.contains(deployment.runtime) else { return nil }
        let defined = runtimes.sorted().joined(separator: ", ")
        return ModelProblem(
            kind: .runtimeUndefined(deployment.runtime),
            message: "\(path): runtime '\(deployment.runtime)' is not defined in the operator's config (runtimes: \(defined)); this spec is not applied, what runs is kept")
    }
}

extension RolloutState {
    /// Says why the desired spec cannot run yet: a fetch in progress is Progressing, any other
    /// problem Degraded; what runs is not changed.
    mutating func describe(_ problem: ModelProblem) {
        switch problem.kind {
        case .fetching:
            reason = .fetchingArtifact
            health = .progressing
        case .fetchingPastDeadline, .failed:
            reason = .artifactUnavailable
            health = .degraded
        case .runtimeUndefined:
            reason = .runtimeUndefined
            health = .degraded
        }
        message = problem.message
    }
}
