/// Receives the outcome of one upstream exchange. A protocol, not a closure: the gateway's
/// exchange object is its own receiver, where each closure handed down the path allocated a
/// context and retained every reference it captured once more (Benchmarks/README.md, "Hot
/// path, slice 37").
package protocol UpstreamExchange: AnyObject, Sendable {
    /// Called once, on the connection's event loop, with the whole response or the failure.
    func upstreamFinished(_ result: Result<UpstreamResponse, UpstreamFailure>)
}

/// An ``UpstreamCompletion`` closure as an ``UpstreamExchange``, for callers off the hot path.
final class UpstreamCompletionExchange: UpstreamExchange, @unchecked Sendable {
    private let completion: UpstreamCompletion

    /// `completion` is called where ``upstreamFinished(_:)`` is: on the connection's loop.
    init(_ completion: @escaping UpstreamCompletion) {
        self.completion = completion
    }

    func upstreamFinished(_ result: Result<UpstreamResponse, UpstreamFailure>) {
        completion(result)
    }
}
