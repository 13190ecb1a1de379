import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import SluiceCore

/// A mirrored copy of one request about to be sent: where to, its slot against
/// `serve.maxMirroredInFlight`, and (for a paired mirror) the pair its answer joins.
struct MirrorCopy: Sendable {
    let target: UpstreamTarget
    let slot: MirrorSlot
    /// Lives while the copy or the caller's request is in flight, and only then.
    let pair: NIOLockedValueBox<ShadowPair>?
}

extension MirrorCopy {
    /// The copy of a request served by `servedBy` that the route's mirror asks for, if any:
    /// none when the draw says no, the mirror target is the version serving it or not ready
    /// (or, for gRPC, has no gRPC port), or it already has its cap of copies in flight (then
    /// the copy is counted as shed). `paired: false` sends an unpaired copy even when the
    /// route pairs (gRPC answers are not compared).
    static func draw(
        _ routes: ModelRoutes, model: String, servedBy: String, statistics: TrafficStatistics, cap: Int, paired: Bool = true,
        usable: (UpstreamTarget) -> Bool = { _ in true }
    ) -> MirrorCopy? {
        let tolerances = paired ? routes.mirrorTolerances : nil
        guard let mirror = routes.spec.route.mirror, mirror.version != servedBy, FastRandom.percent() < mirror.percent,
              let target = routes.ready[mirror.version]?.pick(), usable(target),
              let slot = statistics.admitMirror(model: model, version: mirror.version, cap: cap, tolerances: tolerances)
        else { return nil }
        return MirrorCopy(target: target, slot: slot, pair: tolerances == nil ? nil : NIOLockedValueBox(ShadowPair()))
    }
}

extension Gateway {
    /// The copy of a request served by `servedBy` that the route's mirror asks for, if any (``MirrorCopy/draw``).
    func mirrorCopy(_ routes: ModelRoutes, model: String, servedBy: String) -> MirrorCopy? {
        MirrorCopy.draw(routes, model: model, servedBy: servedBy, statistics: statistics, cap: maxMirroredInFlight)
    }

    /// Settles the caller's half of a paired copy; counts the outcome when it was the second.
    func settle(_ pair: NIOLockedValueBox<ShadowPair>, of copy: MirrorCopy, stable answer: ShadowAnswer) {
        if let outcome = pair.withLockedValue({ $0.settleStable(answer) }) { statistics.recordShadow(outcome, for: copy.slot) }
    }

    /// Settles the candidate's half of a paired copy; counts the outcome when it was the second.
    func settle(_ pair: NIOLockedValueBox<ShadowPair>, of copy: MirrorCopy, candidate answer: ShadowAnswer) {
        if let outcome = pair.withLockedValue({ $0.settleCandidate(answer) }) { statistics.recordShadow(outcome, for: copy.slot) }
    }

    /// One side's answer as a pair sees it: the status (0 without a response), the time, and
    /// for a 2xx the first output tensor's values.
    static func shadowAnswer(_ result: Result<UpstreamResponse, any Error>, micros: UInt64) -> ShadowAnswer {
        guard case .success(let response) = result else { return ShadowAnswer(status: 0, latencyMicros: micros, firstOutput: nil) }
        let status = Int(response.status.code)
        var output: [FeatureValue]?
        if (200..<300).contains(status) { output = InferenceTensors.firstOutput(inJSON: response.body) }
        return ShadowAnswer(status: status, latencyMicros: micros, firstOutput: output)
    }
}
