import NIOCore
import NIOHTTP1
import SluiceCore

/// One forwarded request, from the routes' pick to the caller's answer: its current attempt,
/// the one retry elsewhere when nothing answered, and the settling of its mirrored copy's
/// pair. One object per request where closures handed down the path each allocated a
/// context and retained what they captured again (Benchmarks/README.md, "Hot path, slice 37"),
/// and itself the request sent upstream (and mirrored): a second object a request cost its
/// allocation, its release and its references' (slice 59). Touched only on the request's loop.
/// `package` only as its superclass is: an internal subclass of a package class draws a false
/// "infinite recursion" warning from Swift 6.3.
package final class ForwardExchange: UpstreamRequest, UpstreamExchange, @unchecked Sendable {
    private let gateway: Gateway
    private let model: String
    /// The routes the request was picked from (their sketched inputs, and the retry's
    /// fallback when the model has left the table since).
    private let routes: ModelRoutes
    /// Whether the caller named the version (path or pin header): a retry stays on it.
    private let pinned: Bool
    private let requestID: RequestID
    private let clientID: String?
    /// The inference body as checked (the request's `body` is its bytes, sent upstream).
    private let checkedBody: CheckedJSONObject?
    private let loop: any EventLoop
    private let copy: MirrorCopy?
    /// Gets the caller's answer.
    private let receiver: any ResponseReceiver
    // Touched only on the request's loop, by reads and assignments: the runtime's
    // exclusivity checks are left out (as in ``RequestHandler``).
    /// Nil once finished: moved out, not copied (a copy retains and releases each of its
    /// references once more).
    @exclusivity(unchecked) private var attempt: UpstreamAttempt?
    @exclusivity(unchecked) private var retried = false

    /// `method`, `uri`, `forwarded`, `own` and `requestBody` make the request sent upstream.
    init(
        gateway: Gateway, method: HTTPMethod, uri: String, forwarded: ForwardedFields, own: consuming OwnFields,
        requestBody: ByteBuffer, model: String, routes: ModelRoutes, pinned: Bool,
        requestID: RequestID, clientID: String?, body: CheckedJSONObject?, loop: any EventLoop, copy: MirrorCopy?,
        attempt: UpstreamAttempt, receiver: any ResponseReceiver
    ) {
        self.gateway = gateway
        self.model = model
        self.routes = routes
        self.pinned = pinned
        self.requestID = requestID
        self.clientID = clientID
        self.checkedBody = body
        self.loop = loop
        self.copy = copy
        self.attempt = attempt
        self.receiver = receiver
        super.init(method: method, uri: uri, forwarded: forwarded, own: own, body: requestBody)
    }

    /// Sends the request to the current attempt's target.
    func start() {
        guard let target = attempt?.target else { return }
        gateway.dispatch(self, to: target, loop: loop, exchange: self)
    }

    package func upstreamFinished(_ result: Result<UpstreamResponse, UpstreamFailure>) {
        guard let attempt = self.attempt.take() else { return }
        let micros = gateway.record(attempt, result, requestID: requestID, body: checkedBody, sketchInputs: routes.sketchInputs)
        // Nothing was answered: try once more where ``ModelRoutes/retryTarget`` says, with
        // the routes as they are now (the spec may have moved on while the request was in
        // flight: a version removed and stopped at its drain timeout).
        if !retried, case .failure(let failure) = result, failure.unanswered {
            let current = gateway.currentRoutes(model) ?? routes
            // The caller's fields, for the retry's sticky key: the request forwards them (a
            // reference of their own here cost two retains and releases a request).
            let fields = forwarded?.lines ?? .empty
            if let retry = current.retryTarget(after: attempt.target, pinned: pinned, header: { fields.first($0) }) {
                retried = true
                self.attempt = gateway.beginAttempt(to: retry, mirrored: false, inference: checkedBody != nil)
                start()
                return
            }
        }
        let answer = result.mapError { $0 as any Error }
        receiver.receive(gateway.response(to: answer, from: attempt.target, model: model, requestID: requestID, clientID: clientID))
        // Only once the caller has its answer: read it for the copy to be compared with.
        if let copy, let pair = copy.pair { gateway.settle(pair, of: copy, stable: Gateway.shadowAnswer(answer, micros: micros)) }
    }
}
