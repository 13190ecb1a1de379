/// One side's answer to a mirrored request: the answer the caller got, or the answer the
/// candidate gave its copy.
public struct ShadowAnswer: Sendable, Hashable {
    /// The HTTP status, or 0 when no response came (no connection, a timeout, a broken one).
    public var status: Int
    /// From forwarding the request to the whole response, in microseconds.
    public var latencyMicros: UInt64
    /// The values of the first output tensor (``InferenceTensors/firstOutput(in:)``); nil
    /// when the answer had none that could be read.
    public var firstOutput: [FeatureValue]?

    public init(status: Int, latencyMicros: UInt64, firstOutput: [FeatureValue]?) {
        self.status = status
        self.latencyMicros = latencyMicros
        self.firstOutput = firstOutput
    }

    /// Whether the answer is a 2xx.
    public var succeeded: Bool { (200..<300).contains(status) }
}

/// One mirrored request while its two answers come in, in either order: the caller's (from
/// the version that served it) and the copy's (from the shadow step's candidate). Settling
/// the second half yields the request's ``ShadowPairOutcome``, once.
public struct ShadowPair: Sendable, Hashable {
    /// The caller's answer, once it came.
    public private(set) var stable: ShadowAnswer?
    /// The candidate's answer to the copy, once it came.
    public private(set) var candidate: ShadowAnswer?

    public init() {}

    /// Records the caller's answer; the outcome when the candidate's was already in, else
    /// nil (also for a second call: a half is settled once).
    public mutating func settleStable(_ answer: ShadowAnswer) -> ShadowPairOutcome? {
        guard stable == nil else { return nil }
        stable = answer
        return candidate.map { Self.outcome(stable: answer, candidate: $0) }
    }

    /// Records the candidate's answer; the outcome when the caller's was already in, else
    /// nil (also for a second call).
    public mutating func settleCandidate(_ answer: ShadowAnswer) -> ShadowPairOutcome? {
        guard candidate == nil else { return nil }
        candidate = answer
        return stable.map { Self.outcome(stable: $0, candidate: answer) }
    }

    /// How a mirrored request ended: a candidate 5xx or no answer is a candidate error
    /// (whatever the caller got: the error rate of the copies does not depend on it); else a
    /// caller answer other than 2xx leaves nothing to compare with; else a pair, whose
    /// outputs are incomparable (a disagreement, outside the MAE) when the candidate answered
    /// other than 2xx or either side had no readable first output.
    public static func outcome(stable: ShadowAnswer, candidate: ShadowAnswer) -> ShadowPairOutcome {
        if candidate.status == 0 || candidate.status >= 500 { return .candidateFailed }
        guard stable.succeeded else { return .stableFailed }
        let comparison: OutputComparison
        if candidate.succeeded, let stableOutput = stable.firstOutput, let candidateOutput = candidate.firstOutput {
            comparison = OutputComparison.compare(stable: stableOutput, candidate: candidateOutput)
        } else {
            comparison = .incomparable
        }
        return .paired(comparison, candidateMicros: candidate.latencyMicros, stableMicros: stable.latencyMicros)
    }
}
