import NIOCore
import NIOHTTP1
import SluiceConfig
import SluiceCore

/// The inference listener: Open Inference Protocol v2 over REST, routed per request by
/// explicit version, pin header, route pins, sticky key or weight. It has no admin routes.
final class Gateway: HTTPResponder {
    private let routes: RoutingTableBox
    let client: UpstreamClient
    let statistics: TrafficStatistics
    let monitoring: MonitoringRecorder
    let predictions: PredictionLog
    private let pinHeader: String
    let timeout: TimeAmount
    /// Mirrored copies each version may have in flight (`serve.maxMirroredInFlight`).
    let maxMirroredInFlight: Int
    let onConnectFailure: @Sendable (UpstreamTarget) -> Void
    private let metricsText: @Sendable () -> String
    /// The token feedback needs; nil when `serve.feedback.open` is set.
    private let feedbackToken: BearerToken?
    /// The token `/metrics` needs; nil when it is open.
    private let metricsToken: BearerToken?

    /// Feedback bodies are small: a label per prediction, up to 10,000.
    static let maximumFeedbackBody = 1 << 20

    /// Hop-by-hop headers, never forwarded (RFC 9110 §7.6.1).
    static let hopByHop: Set<String> = [
        "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection",
        "te", "trailer", "transfer-encoding", "upgrade", "host", "content-length",
    ]

    init(
        routes: RoutingTableBox,
        client: UpstreamClient,
        statistics: TrafficStatistics,
        monitoring: MonitoringRecorder,
        predictions: PredictionLog,
        config: ServeConfig,
        feedbackToken: String?,
        metricsToken: String?,
        onConnectFailure: @escaping @Sendable (UpstreamTarget) -> Void,
        metricsText: @escaping @Sendable () -> String
    ) {
        self.routes = routes
        self.client = client
        self.statistics = statistics
        self.monitoring = monitoring
        self.predictions = predictions
        pinHeader = config.pinHeader
        timeout = .milliseconds(config.upstreamTimeout.milliseconds)
        maxMirroredInFlight = config.maxMirroredInFlight
        self.onConnectFailure = onConnectFailure
        self.metricsText = metricsText
        self.feedbackToken = feedbackToken.map(BearerToken.init)
        self.metricsToken = metricsToken.map(BearerToken.init)
    }

    /// Feedback and (when configured) `/metrics` need their token, checked on the head so
    /// an anonymous caller never gets a body read; feedback bodies are capped at 1 MiB.
    func screen(_ head: RequestHead) -> HeadDecision {
        let segments = head.segments
        if segments.count == 1, segments.segment(0, is: "metrics") {
            if let metricsToken, !metricsToken.admits(authorization: head.fields.first("authorization")) { return .refuse(BearerToken.unauthorized(realm: "sluice-metrics")) }
        } else if segments.count == 4, segments.segment(0, is: "v2"), segments.segment(1, is: "models"), segments.segment(3, is: "feedback") {
            if let feedbackToken, !feedbackToken.admits(authorization: head.fields.first("authorization")) { return .refuse(BearerToken.unauthorized(realm: "sluice-feedback")) }
            return .accept(maximumBody: Self.maximumFeedbackBody)
        }
        return .accept(maximumBody: nil)
    }

    func respond(to request: ServerRequest) -> EventLoopFuture<ServerResponse> {
        let promise = request.eventLoop.makePromise(of: ServerResponse.self)
        respond(to: request, receiver: PromiseReceiver(promise))
        return promise.futureResult
    }

    /// Answers on the request's loop: at once for everything but a forwarded request, and
    /// for that from the upstream exchange's completion, which runs on the same loop.
    func respond(to request: ServerRequest, receiver: any ResponseReceiver) {
        let segments = request.head.segments
        let method = request.head.method
        switch (method, segments.count) {
        case (.GET, 3) where segments.segment(0, is: "v2") && segments.segment(1, is: "health"):
            if segments.segment(2, is: "live") { return receiver.receive(.json(.ok, "{\"live\":true}")) }
            if segments.segment(2, is: "ready") { return receiver.receive(serverReady()) }
        case (.GET, 1) where segments.segment(0, is: "v2"):
            return receiver.receive(.json(.ok, "{\"name\":\"sluice\",\"version\":\"1\",\"extensions\":[]}"))
        case (.GET, 1) where segments.segment(0, is: "metrics"):
            if let metricsToken, !metricsToken.admits(authorization: request.head.fields.first("authorization")) {
                return receiver.receive(BearerToken.unauthorized(realm: "sluice-metrics"))
            }
            var headers = HTTPHeaders()
            headers.add(name: "content-type", value: "text/plain; version=0.0.4")
            return receiver.receive(ServerResponse(status: .ok, headers: headers, body: ByteBuffer(string: metricsText())))
        default:
            break
        }
        guard segments.count >= 3, segments.segment(0, is: "v2"), segments.segment(1, is: "models") else {
            return receiver.receive(.error(.notFound, "no route for \(method) \(request.path)"))
        }
        let model = segments.string(2)
        var restStart = 3
        var explicit: String?
        if segments.segment(3, is: "versions") {
            guard segments.count >= 5 else { return receiver.receive(.error(.notFound, "no route for \(request.path)")) }
            explicit = segments.string(4)
            restStart = 5
        }
        guard segments.count - restStart <= 1 else { return receiver.receive(.error(.notFound, "no route for \(request.path)")) }
        let action = ModelAction(segments, at: restStart)
        switch (method, action) {
        case (.POST, .infer):
            forward(request, model: model, explicit: explicit, sample: true, receiver: receiver)
        case (.POST, .feedback) where explicit == nil:
            if let feedbackToken, !feedbackToken.admits(authorization: request.head.fields.first("authorization")) {
                return receiver.receive(BearerToken.unauthorized(realm: "sluice-feedback"))
            }
            receiver.receive(feedback(request, model: model))
        case (.GET, .ready):
            receiver.receive(modelReady(model, explicit: explicit))
        case (.GET, .metadata):
            forward(request, model: model, explicit: explicit, sample: false, receiver: receiver)
        case (_, .feedback) where explicit != nil:
            receiver.receive(.error(.notFound, "no route for \(request.path)"))
        case (_, .infer), (_, .ready), (_, .metadata), (_, .feedback):
            var headers = HTTPHeaders()
            headers.add(name: "allow", value: action == .infer || action == .feedback ? "POST" : "GET")
            receiver.receive(.error(.methodNotAllowed, "\(method) is not allowed on \(request.path)", headers: headers))
        case (_, .unknown):
            receiver.receive(.error(.notFound, "no route for \(request.path)"))
        }
    }

    /// What a path under `/v2/models/<model>[/versions/<version>]` asks for, read from its
    /// last segment's bytes (no `String` made per request to compare).
    private enum ModelAction {
        /// No further segment: the model's (or version's) metadata.
        case metadata
        case infer
        case feedback
        case ready
        case unknown

        init(_ segments: PathSegments, at index: Int) {
            if segments.count == index {
                self = .metadata
            } else if segments.segment(index, is: "infer") {
                self = .infer
            } else if segments.segment(index, is: "feedback") {
                self = .feedback
            } else if segments.segment(index, is: "ready") {
                self = .ready
            } else {
                self = .unknown
            }
        }
    }

    // MARK: - readiness and metadata

    private func serverReady() -> ServerResponse {
        let unready = routes.current.modelsWithoutReadyVersion
        if unready.isEmpty { return .json(.ok, "{\"ready\":true}") }
        return .json(.serviceUnavailable, "{\"ready\":false,\"error\":\(JSONText.quote("models without a ready version: \(unready.joined(separator: ", "))"))}")
    }

    private func modelReady(_ model: String, explicit: String?) -> ServerResponse {
        guard let routes = routes.routes(of: model) else { return .error(.notFound, "model '\(model)' is not served here") }
        let ready: Bool
        if let explicit {
            guard routes.spec.version(explicit) != nil else {
                return .error(.notFound, "model '\(model)' has no version '\(explicit)'")
            }
            ready = routes.isReady(explicit)
        } else {
            ready = routes.picker.effectiveWeights(isReady: routes.isReady).values.contains { $0 > 0 }
        }
        let body = "{\"name\":\(JSONText.quote(model)),\"ready\":\(ready)}"
        return .json(ready ? .ok : .serviceUnavailable, body)
    }

    // MARK: - inference and metadata

    /// Forwards an inference (`sample`) or metadata request to the version the routes pick,
    /// once more elsewhere when nothing answered, with the route's mirror copy beside it;
    /// `receiver` gets the caller's answer on the request's loop.
    private func forward(
        _ request: ServerRequest,
        model: String,
        explicit: String?,
        sample: Bool,
        receiver: any ResponseReceiver
    ) {
        guard let routes = routes.routes(of: model) else {
            return receiver.receive(.error(.notFound, "model '\(model)' is not served here"))
        }
        // An inference body is checked here and read later only if this request is sampled
        // or sketched: no tree is built for it, and the reading does not check it again.
        let inferenceBody: CheckedJSONObject?
        if sample {
            switch CheckedJSONObject.check(request.body) {
            case .success(let checked): inferenceBody = checked
            case .failure(let refusal): return receiver.receive(refusal.response)
            }
        } else {
            inferenceBody = nil
        }
        let fields = request.head.fields
        let (pinField, clientID, forwardedFor) = fields.first(pinHeader, "x-request-id", "x-forwarded-for")
        let pinned = explicit ?? pinField
        let target: UpstreamTarget
        switch routes.target(pinned: pinned, header: { fields.first($0) }) {
        case .success(let chosen): target = chosen
        case .failure(let refusal): return receiver.receive(.error(Self.status(of: refusal), refusal.message(model: model)))
        }
        // The gateway always issues the id predictions are remembered under; a caller's
        // own id travels beside it and can never name (and replace) another caller's.
        let requestID = RequestID.generate()
        // The caller's fields go out as the bytes it sent (``ForwardedFields``), then the gateway's.
        var own = OwnFields()
        own.add("x-request-id", requestID)
        if let clientID { own.add("x-client-request-id", clientID) }
        if let remote = request.remoteAddress {
            own.add("x-forwarded-for", forwardedFor.map { "\($0), \(remote)" } ?? remote)
        }
        let copy = sample ? mirrorCopy(routes, model: model, servedBy: target.version) : nil
        // One object for the whole exchange and the request it sends, which takes the loop, not
        // the request: each reference a kept `ServerRequest` holds would be retained and
        // released once more.
        let loop = request.eventLoop
        let exchange = ForwardExchange(
            gateway: self, method: request.head.method, uri: sample ? routes.inferPath : routes.metadataPath,
            forwarded: ForwardedFields(fields, dropping: Self.droppedFromRequests), own: own, requestBody: request.body,
            model: model, routes: routes, pinned: pinned != nil,
            requestID: requestID, clientID: clientID, body: inferenceBody, loop: loop, copy: copy,
            attempt: beginAttempt(to: target, mirrored: false, inference: sample),
            receiver: receiver)
        exchange.start()
        // After the caller's request, so that its bytes go out first; never retried.
        if let copy {
            let attempt = beginAttempt(to: copy.target, mirrored: true, inference: true)
            dispatch(exchange, to: copy.target, loop: loop, exchange: MirrorExchange(gateway: self, copy: copy, attempt: attempt))
        }
    }

    /// The model's routes as the table holds them now; nil when the model has left it.
    func currentRoutes(_ model: String) -> ModelRoutes? {
        routes.routes(of: model)
    }

    /// The HTTP status of a request no replica can take.
    private static func status(of refusal: RouteRefusal) -> HTTPResponseStatus {
        switch refusal {
        case .unknownVersion: .notFound
        case .notReady, .noneReady: .serviceUnavailable
        }
    }

    /// The client's answer: the model server's response with Sluice's headers, or a V2
    /// error naming what failed.
    func response(
        to result: Result<UpstreamResponse, any Error>, from target: UpstreamTarget, model: String, requestID: RequestID, clientID: String?
    ) -> ServerResponse {
        switch result {
        case .success(let upstream):
            // The model server's fields go out as the bytes it sent (``ForwardedFields``), then the gateway's.
            var own = OwnFields(prepared: target.answerFields)
            own.add("x-request-id", requestID)
            if let clientID { own.add("x-client-request-id", clientID) }
            return ServerResponse(
                status: upstream.status, forwarded: ForwardedFields(upstream.fields, dropping: Self.droppedFromAnswers), own: consume own,
                body: upstream.body)
        case .failure(let error):
            var headers = HTTPHeaders()
            headers.add(name: "x-request-id", value: requestID.description)
            if let clientID { headers.add(name: "x-client-request-id", value: clientID) }
            headers.add(name: "x-sluice-version", value: target.version)
            if case UpstreamFailure.timeout = error {
                return .error(.gatewayTimeout, "model '\(model)' version '\(target.version)' did not answer within \(timeout.nanoseconds / 1_000_000) ms", headers: headers)
            }
            return .error(.badGateway, "model '\(model)' version '\(target.version)' failed: \(error)", headers: headers)
        }
    }

    /// The headers the gateway sets on requests to model servers (any the caller sent are dropped).
    static let setOnRequests = ["x-request-id", "x-client-request-id", "x-forwarded-for"]
    /// The headers the gateway sets on its answers (any the model server sent are dropped).
    static let setOnResponses = ["x-sluice-model", "x-sluice-version", "x-request-id", "x-client-request-id"]
    /// The model server's fields never forwarded to the caller: hop-by-hop and ``setOnResponses``.
    static let droppedFromAnswers = FieldNameSet(hopByHop.sorted() + setOnResponses)
    /// The caller's fields never forwarded to the model server: hop-by-hop and ``setOnRequests``.
    static let droppedFromRequests = FieldNameSet(hopByHop.sorted() + setOnRequests)

    // MARK: - feedback

    /// Joins posted ground truth to remembered predictions and counts it in the version's
    /// monitoring bucket.
    private func feedback(_ request: ServerRequest, model: String) -> ServerResponse {
        guard routes.routes(of: model) != nil else { return .error(.notFound, "model '\(model)' is not served here") }
        let items: [Feedback]
        do {
            items = try Feedback.parse(try JSONParser.parse(request.body))
        } catch let problem as Feedback.Problem {
            return .error(.badRequest, "feedback body: \(problem)")
        } catch {
            return .error(.badRequest, "feedback body is not JSON: \(error)")
        }
        return .json(.ok, predictions.join(items, model: model, into: monitoring).jsonText)
    }

    /// The 400 answer for an inference body that is not a JSON object, nil for one that is
    /// (``CheckedJSONObject/check(_:)``).
    static func refusal(ofBody body: ByteBuffer) -> ServerResponse? {
        guard case .failure(let refusal) = CheckedJSONObject.check(body) else { return nil }
        return refusal.response
    }
}

/// A promise as a ``ResponseReceiver`` (``Gateway/respond(to:)``).
private final class PromiseReceiver: ResponseReceiver {
    private let promise: EventLoopPromise<ServerResponse>

    init(_ promise: EventLoopPromise<ServerResponse>) {
        self.promise = promise
    }

    func receive(_ response: ServerResponse) {
        promise.succeed(response)
    }
}
