import SluiceCore

/// A mirrored copy of a forwarded request: counted apart, never retried, its answer seen
/// by nobody but the pair it settles.
final class MirrorExchange: UpstreamExchange, @unchecked Sendable {
    private let gateway: Gateway
    private let copy: MirrorCopy
    private let attempt: UpstreamAttempt

    init(gateway: Gateway, copy: MirrorCopy, attempt: UpstreamAttempt) {
        self.gateway = gateway
        self.copy = copy
        self.attempt = attempt
    }

    func upstreamFinished(_ result: Result<UpstreamResponse, UpstreamFailure>) {
        // A copy feeds no samples or sketches: no request body or sketched inputs to read.
        let micros = gateway.record(attempt, result, requestID: nil, body: nil, sketchInputs: [])
        gateway.statistics.release(copy.slot)
        if let pair = copy.pair { gateway.settle(pair, of: copy, candidate: Gateway.shadowAnswer(result.mapError { $0 }, micros: micros)) }
    }
}
