import SluiceCore

/// Why no replica of a model can take a request; each listener maps it to its own status
/// (HTTP 404/503, gRPC NOT_FOUND/UNAVAILABLE) with the same message.
enum RouteRefusal: Error, Sendable {
    /// The version asked for is not declared for the model.
    case unknownVersion(String)
    /// The version chosen or asked for has no ready replica.
    case notReady(String)
    /// No version with traffic is ready.
    case noneReady

    /// The message callers get, naming the model and the version.
    func message(model: String) -> String {
        switch self {
        case .unknownVersion(let name): "model '\(model)' has no version '\(name)'"
        case .notReady(let name): "version '\(name)' of model '\(model)' is not ready"
        case .noneReady: "model '\(model)' has no ready version"
        }
    }
}

extension ModelRoutes {
    /// The replica that serves one request: the picker's version (explicit, pins, sticky
    /// key, weights) and the least loaded of two of its ready replicas.
    func target(pinned: String?, header: (String) -> String?) -> Result<UpstreamTarget, RouteRefusal> {
        switch picker.choose(explicit: pinned, header: header, isReady: isReady, random: FastRandom.next(), weighted: weighted) {
        case .version(let chosen, _):
            guard let replicas = replicas(chosen) else { return .failure(.notReady(chosen)) }
            return .success(replicas.pick())
        case .unknownVersion(let name): return .failure(.unknownVersion(name))
        case .notReady(let name): return .failure(.notReady(name))
        case .noneReady: return .failure(.noneReady)
        }
    }

    /// Where to try once more a request that `failed` left unanswered (no connection, or it
    /// closed before a byte came back): another ready replica of the same version (also when
    /// the caller pinned it: it is the version asked for), else, unless the caller pinned a
    /// version, another ready version. Nil when there is none.
    func retryTarget(after failed: UpstreamTarget, pinned: Bool, header: (String) -> String?) -> UpstreamTarget? {
        if let sibling = replicas(failed.version)?.pick(excluding: failed) { return sibling }
        guard !pinned else { return nil }
        let choice = picker.choose(
            explicit: nil, header: header, isReady: { $0 != failed.version && self.isReady($0) }, random: FastRandom.next())
        guard case .version(let other, _) = choice else { return nil }
        return replicas(other)?.pick()
    }
}
