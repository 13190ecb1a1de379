import NIOConcurrencyHelpers

/// Tells a forwarded call that its caller went away before the answer (it reset its stream,
/// or its connection closed), so the model server's stream is reset at once instead of
/// running to its deadline. Cancelling twice, or after the answer, does nothing.
final class GRPCCallCancellation: Sendable {
    private struct State {
        var cancelled = false
        var handlers: [@Sendable () -> Void] = []
    }

    private let state = NIOLockedValueBox(State())

    var isCancelled: Bool { state.withLockedValue { $0.cancelled } }

    /// Runs `handler` when the call is cancelled (at once when it already was).
    func onCancel(_ handler: @escaping @Sendable () -> Void) {
        let now = state.withLockedValue { state -> Bool in
            if state.cancelled { return true }
            state.handlers.append(handler)
            return false
        }
        if now { handler() }
    }

    /// Cancels the call: every registered handler runs once.
    func cancel() {
        let handlers = state.withLockedValue { state -> [@Sendable () -> Void] in
            guard !state.cancelled else { return [] }
            state.cancelled = true
            defer { state.handlers = [] }
            return state.handlers
        }
        for handler in handlers { handler() }
    }
}

/// A forwarded call ended because its caller cancelled it (counted as CANCELLED).
struct GRPCCallCancelled: Error, CustomStringConvertible {
    var description: String { "the caller cancelled the call" }
}
