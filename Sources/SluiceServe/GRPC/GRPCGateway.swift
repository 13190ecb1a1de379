import NIOCore
import NIOHPACK
import SluiceConfig
import SluiceCore

/// The gRPC side of the inference gateway: `inference.GRPCInferenceService` calls routed
/// exactly as the HTTP gateway routes (the same routing table and picker: `model_version` as
/// the explicit version, then the pin metadata `serve.pinHeader`, route pins and sticky keys
/// read from metadata, then weights), forwarded to the chosen replica's gRPC port, counted
/// per version (with their gRPC status codes) and mirrored like HTTP requests.
final class GRPCGateway: GRPCResponder {
    private let routes: RoutingTableBox
    private let client: GRPCUpstreamClient
    private let statistics: TrafficStatistics
    private let pinHeader: String
    private let timeout: TimeAmount
    private let maxMirroredInFlight: Int
    private let onConnectFailure: @Sendable (UpstreamTarget) -> Void

    /// Request metadata never passed on: pseudo-headers and what the gateway sets itself,
    /// and HTTP/2's connection-specific headers (RFC 9113 §8.2.2).
    private static let notForwarded: Set<String> = [
        "content-type", "te", "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "host",
        "content-length", "x-request-id",
        // Replaced by the time left when the call is sent on.
        "grpc-timeout",
    ]

    init(routes: RoutingTableBox, client: GRPCUpstreamClient, statistics: TrafficStatistics, config: ServeConfig,
         onConnectFailure: @escaping @Sendable (UpstreamTarget) -> Void) {
        self.routes = routes
        self.client = client
        self.statistics = statistics
        pinHeader = config.pinHeader
        timeout = .milliseconds(config.upstreamTimeout.milliseconds)
        maxMirroredInFlight = config.maxMirroredInFlight
        self.onConnectFailure = onConnectFailure
    }

    func respond(to call: GRPCCall) -> EventLoopFuture<GRPCReply> {
        let loop = call.eventLoop
        guard let method = GRPCMethod(path: call.path) else {
            return loop.makeSucceededFuture(.status(.unimplemented, "method '\(call.path)' is not served by the gateway (it serves inference.GRPCInferenceService)"))
        }
        switch method {
        case .serverLive:
            return loop.makeSucceededFuture(.message(ProtobufFields.booleanMessage(true)))
        case .serverReady:
            return loop.makeSucceededFuture(.message(ProtobufFields.booleanMessage(routes.current.modelsWithoutReadyVersion.isEmpty)))
        case .modelReady, .modelMetadata, .modelInfer:
            return forward(call, method: method)
        }
    }

    /// The model and explicit version a request names, or the INVALID_ARGUMENT answer.
    private static func read(_ call: GRPCCall, method: GRPCMethod) -> Result<(model: String, version: String?), GRPCRefusal> {
        do {
            let message = try GRPCMessageFraming.singleMessage(in: call.body)
            let fields = try ProtobufFields.strings(in: message, fields: [1, 2])
            guard let model = fields[1], !model.isEmpty else {
                return .failure(GRPCRefusal(.invalidArgument, "\(method.requestName) has no model name (field 1)"))
            }
            return .success((model, fields[2].flatMap { $0.isEmpty ? nil : $0 }))
        } catch GRPCMessageFraming.Problem.compressed {
            return .failure(GRPCRefusal(.unimplemented, GRPCMessageFraming.Problem.compressed.description))
        } catch let problem as GRPCMessageFraming.Problem {
            return .failure(GRPCRefusal(.invalidArgument, problem.description))
        } catch let problem as ProtobufFields.Problem {
            return .failure(GRPCRefusal(.invalidArgument, "\(method.requestName): \(problem)"))
        } catch {
            return .failure(GRPCRefusal(.invalidArgument, "\(method.requestName): \(error)"))
        }
    }

    /// How long a call may take: the caller's `grpc-timeout` when it is shorter than
    /// `serve.upstreamTimeout`, else that.
    struct CallBudget {
        var deadline: NIODeadline
        var amount: TimeAmount
        var setByCaller: Bool

        /// What the caller is told when it passed.
        func reason(model: String, version: String) -> String {
            let milliseconds = amount.nanoseconds / 1_000_000
            let limit = setByCaller ? "the caller's grpc-timeout (\(milliseconds) ms)" : "\(milliseconds) ms (serve.upstreamTimeout)"
            return "model '\(model)' version '\(version)' did not answer within \(limit)"
        }
    }

    /// The call's budget from its `grpc-timeout` header, or the INTERNAL answer grpc-go's
    /// server gives a malformed one ("malformed grpc-timeout: …").
    private func budget(of headers: HPACKHeaders) -> Result<CallBudget, GRPCRefusal> {
        let now = NIODeadline.now()
        guard let header = headers.first(name: "grpc-timeout") else {
            return .success(CallBudget(deadline: now + timeout, amount: timeout, setByCaller: false))
        }
        do {
            let asked = try GRPCTimeout.parse(header)
            let amount = min(asked, timeout)
            return .success(CallBudget(deadline: now + amount, amount: amount, setByCaller: asked < timeout))
        } catch {
            return .failure(GRPCRefusal(.internal, "malformed grpc-timeout: \(error)"))
        }
    }

    private func forward(_ call: GRPCCall, method: GRPCMethod) -> EventLoopFuture<GRPCReply> {
        let loop = call.eventLoop
        let budget: CallBudget
        switch self.budget(of: call.headers) {
        case .success(let found): budget = found
        case .failure(let refusal): return loop.makeSucceededFuture(refusal.reply)
        }
        let model: String
        let explicit: String?
        switch Self.read(call, method: method) {
        case .success(let named): (model, explicit) = named
        case .failure(let refusal): return loop.makeSucceededFuture(refusal.reply)
        }
        guard let routes = routes.routes(of: model) else {
            return loop.makeSucceededFuture(.status(.notFound, "model '\(model)' is not served here"))
        }
        let headers = call.headers
        let pinned = explicit ?? headers.first(name: pinHeader)
        let target: UpstreamTarget
        switch routes.target(pinned: pinned, header: { headers.first(name: $0.lowercased()) }) {
        case .success(let chosen): target = chosen
        case .failure(let refusal): return loop.makeSucceededFuture(.status(Self.code(of: refusal), refusal.message(model: model)))
        }
        let requestID = RequestID.generate().description
        var metadata = Self.relayed(headers)
        metadata.add(name: "x-request-id", value: requestID)
        let request = GRPCUpstreamRequest(path: call.path, metadata: metadata, body: call.body)
        let promise = loop.makePromise(of: GRPCReply.self)
        let finish: @Sendable (Result<GRPCUpstreamResponse, any Error>, UpstreamTarget) -> Void = { result, answered in
            promise.succeed(self.reply(to: result, from: answered, model: model, requestID: requestID, budget: budget))
        }
        send(request, to: target, model: model, loop: loop, deadline: budget.deadline, mirrored: false, cancellation: call.cancellation) { result in
            // Unanswered: another ready replica of the version, else (unless the caller named
            // the version) another ready version, once, as the HTTP gateway does.
            guard case .failure(let failure as UpstreamFailure) = result, failure.unanswered else {
                finish(result, target)
                return
            }
            let current = self.routes.routes(of: model) ?? routes
            let retry = current.retryTarget(after: target, pinned: pinned != nil, header: { headers.first(name: $0.lowercased()) })
            guard let retry else {
                finish(result, target)
                return
            }
            self.send(request, to: retry, model: model, loop: loop, deadline: budget.deadline, mirrored: false, cancellation: call.cancellation) {
                finish($0, retry)
            }
        }
        // A copy of an inference call for the route's mirror, after the caller's call; never
        // retried, never paired (gRPC answers are not compared), its answer discarded.
        if method == .modelInfer,
           let copy = MirrorCopy.draw(
               routes, model: model, servedBy: target.version, statistics: statistics, cap: maxMirroredInFlight, paired: false,
               usable: { $0.grpcAddress != nil }) {
            send(request, to: copy.target, model: model, loop: loop, deadline: budget.deadline, mirrored: true) { _ in self.statistics.release(copy.slot) }
        }
        return promise.futureResult
    }

    /// Sends one call to `target`'s gRPC port, counting it in flight and in the version's
    /// statistics (its HTTP-equivalent status for the request counters, and for served calls
    /// its gRPC status code). A call whose deadline already passed is not sent; one its
    /// caller cancels (`cancellation`; nil for mirrored copies, which run on their own) is
    /// reset at the model server and counted CANCELLED (499, not an error of the version).
    private func send(
        _ request: GRPCUpstreamRequest, to target: UpstreamTarget, model: String, loop: any EventLoop, deadline: NIODeadline, mirrored: Bool,
        cancellation: GRPCCallCancellation? = nil, completion: @escaping @Sendable (Result<GRPCUpstreamResponse, any Error>) -> Void
    ) {
        guard let address = target.grpcAddress else {
            completion(.failure(GRPCRefusal(.failedPrecondition, "version '\(target.version)' of model '\(model)' runs a runtime without a gRPC port ({grpcPort})")))
            return
        }
        guard deadline > .now() else {
            completion(.failure(UpstreamFailure.timeout))
            return
        }
        target.begin()
        let started = NIODeadline.now()
        client.send(request, to: address, on: loop, deadline: deadline, cancellation: cancellation).whenComplete { result in
            target.end()
            let micros = UInt64(max(0, (NIODeadline.now() - started).nanoseconds / 1000))
            let code: GRPCStatusCode
            let status: Int
            switch result {
            case .success(let response):
                code = response.status
                status = code.httpEquivalent
            case .failure(let error):
                code = Self.code(for: error)
                status = error is GRPCCallCancelled ? code.httpEquivalent : 0
                if case UpstreamFailure.connect = error { self.onConnectFailure(target) }
            }
            self.statistics.record(model: model, version: target.version, status: status, latencyMicros: micros, mirrored: mirrored)
            if !mirrored { self.statistics.recordGRPC(model: model, version: target.version, code: code) }
            completion(result)
        }
    }

    /// The code of a call no replica can take.
    private static func code(of refusal: RouteRefusal) -> GRPCStatusCode {
        switch refusal {
        case .unknownVersion: .notFound
        case .notReady, .noneReady: .unavailable
        }
    }

    /// The code a caller gets when the call failed before an answer.
    private static func code(for error: any Error) -> GRPCStatusCode {
        if let refusal = error as? GRPCRefusal { return refusal.code }
        if error is GRPCCallCancelled { return .cancelled }
        if case UpstreamFailure.timeout = error { return .deadlineExceeded }
        if case UpstreamFailure.tooLarge = error { return .resourceExhausted }
        return .unavailable
    }

    /// `headers` without pseudo-headers and what the gateway sets itself.
    private static func relayed(_ headers: HPACKHeaders) -> HPACKHeaders {
        var kept = HPACKHeaders()
        for (name, value, indexing) in headers where !name.hasPrefix(":") && !notForwarded.contains(name) {
            kept.add(name: name, value: value, indexing: indexing)
        }
        return kept
    }

    /// The caller's answer: the model server's, with Sluice's metadata, or the status
    /// saying what failed.
    private func reply(
        to result: Result<GRPCUpstreamResponse, any Error>, from target: UpstreamTarget, model: String, requestID: String, budget: CallBudget
    ) -> GRPCReply {
        var metadata: HPACKHeaders = ["x-sluice-model": model, "x-sluice-version": target.version, "x-request-id": requestID]
        switch result {
        case .success(let upstream):
            var headers = Self.relayed(upstream.headers)
            headers.add(contentsOf: metadata)
            // A trailers-only answer's one HEADERS frame also holds `:status` and `content-type`.
            var trailers = Self.relayed(upstream.trailers)
            if trailers.first(name: "grpc-status") == nil { trailers.add(name: "grpc-status", value: String(GRPCStatusCode.unknown.rawValue)) }
            return GRPCReply(headers: headers, messages: upstream.messages, trailers: trailers)
        case .failure(let error):
            let code = Self.code(for: error)
            let reason: String
            switch error {
            case let refusal as GRPCRefusal: reason = refusal.message
            case UpstreamFailure.timeout: reason = budget.reason(model: model, version: target.version)
            case let cancelled as GRPCCallCancelled: reason = "\(cancelled)"
            default: reason = "model '\(model)' version '\(target.version)' failed: \(error)"
            }
            metadata.remove(name: "x-sluice-model")
            return .status(code, reason, metadata: metadata)
        }
    }
}

/// A call the gateway answers itself, with a status and a message.
struct GRPCRefusal: Error {
    var code: GRPCStatusCode
    var message: String

    init(_ code: GRPCStatusCode, _ message: String) {
        self.code = code
        self.message = message
    }

    var reply: GRPCReply { .status(code, message) }
}
