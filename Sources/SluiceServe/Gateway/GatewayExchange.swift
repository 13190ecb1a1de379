import NIOCore
import NIOHTTP1
import SluiceCore

/// One forwarded request, from the route's pick to the caller's answer: its state in one
/// object that the upstream client calls back (``UpstreamExchange``), instead of a chain of
/// closures each capturing and retaining the same values (Benchmarks/README.md, "Hot path,
/// slice 9"). Confined to the request's event loop once ``start()`` runs there.
///
/// It sends to the picked version, once more where ``ModelRoutes/retryTarget`` says when
/// nothing answered, and answers the caller. Each attempt is counted in flight, recorded in
/// the statistics and, for inference (`body` present), feeds the sample reservoir and the
/// monitoring sketches; the prediction is remembered under `requestID` for feedback.
/// Only inputs named in the route's `sketchInputs` are sketched, and only for a request the
/// model answered with 2xx: a caller cannot crowd the real features out of a bucket with
/// made-up names, nor with requests the model refused.
final class GatewayExchange: UpstreamExchange, @unchecked Sendable {
    private let gateway: Gateway
    /// The routes when the request arrived (the retry reads them as they are by then).
    private let routes: ModelRoutes
    private let model: String
    /// The caller's headers: a retry picks by them as the first pick did.
    private let headers: HTTPHeaders
    private let pinned: Bool
    private let request: UpstreamRequest
    private let loop: any EventLoop
    /// An inference request's checked body; nil for metadata.
    private let body: CheckedJSONObject?
    private let requestID: String
    private let clientID: String?
    private let completion: @Sendable (ServerResponse) -> Void
    /// The route's mirror copy of this request, sent beside it (``MirrorExchange``).
    private let copy: MirrorCopy?

    /// The current attempt: where to, since when, and what it reads and records.
    private var target: UpstreamTarget
    private var retried = false
    private var started = NIODeadline.uptimeNanoseconds(0)
    private var ticket: SampleTicket?
    private var sketched = false
    private var readsAnswer = false
    private var inputs: [(name: String, values: [FeatureValue])] = []

    init(
        gateway: Gateway, routes: ModelRoutes, model: String, headers: HTTPHeaders, pinned: Bool, request: UpstreamRequest,
        loop: any EventLoop, body: CheckedJSONObject?, target: UpstreamTarget, requestID: String, clientID: String?,
        copy: MirrorCopy?, completion: @escaping @Sendable (ServerResponse) -> Void
    ) {
        self.gateway = gateway
        self.routes = routes
        self.model = model
        self.headers = headers
        self.pinned = pinned
        self.request = request
        self.loop = loop
        self.body = body
        self.target = target
        self.requestID = requestID
        self.clientID = clientID
        self.copy = copy
        self.completion = completion
    }

    /// Sends the request, then its mirror copy (after, so that the caller's bytes go out
    /// first; never retried), on the request's loop.
    func start() {
        if loop.inEventLoop {
            startOnLoop()
        } else {
            loop.execute { self.startOnLoop() }
        }
    }

    private func startOnLoop() {
        send()
        if let copy {
            MirrorExchange(gateway: gateway, model: model, copy: copy).send(request, on: loop)
        }
    }

    /// Sends to `target`, counting it in flight and admitting it to the samples and sketches.
    private func send() {
        let version = target.version
        let statistics = gateway.statistics
        ticket = body == nil ? nil : statistics.admitSample(model: model, version: version)
        sketched = body != nil && gateway.monitoring.admit(model: model, version: version)
        let readsInputs = (sketched && !routes.sketchInputs.isEmpty) || ticket != nil
        inputs = readsInputs ? body?.features(member: "inputs") ?? [] : []
        if let ticket { statistics.storeInputs(ticket, inputs) }
        // The answer is read when something needs it: samples, sketches or feedback.
        readsAnswer = ticket != nil || sketched || gateway.predictions.capacity > 0
        target.begin()
        started = .now()
        gateway.client.send(request, to: target.address, on: loop, timeout: gateway.timeout, exchange: self)
    }

    func upstreamDidFinish(_ result: Result<UpstreamResponse, UpstreamFailure>) {
        let micros = record(result)
        // Nothing was answered: try once more where ``ModelRoutes/retryTarget`` says, by the
        // routes as they are now (the spec may have moved on while the request was in flight:
        // a version removed and stopped at its drain timeout).
        if !retried, case .failure(let failure) = result, failure.unanswered {
            let current = gateway.routes.current.models[model] ?? routes
            if let retry = current.retryTarget(after: target, pinned: pinned, header: { self.headers.first(name: $0) }) {
                retried = true
                target = retry
                return send()
            }
        }
        completion(gateway.response(to: result, from: target, model: model, requestID: requestID, clientID: clientID))
        // Only once the caller has its answer: read it for the copy to be compared with.
        if let copy, let pair = copy.pair { gateway.settle(pair, of: copy, stable: Gateway.shadowAnswer(result, micros: micros)) }
    }

    /// Records the attempt's outcome; returns the time it took in microseconds.
    private func record(_ result: Result<UpstreamResponse, UpstreamFailure>) -> UInt64 {
        let (status, micros) = gateway.ended(target, started: started, result)
        let version = target.version
        var outputs: [(name: String, values: [FeatureValue])] = []
        if body != nil, readsAnswer, case .success(let response) = result, response.status == .ok {
            // The prediction log alone needs only the first feature.
            let limit = ticket != nil || sketched ? 64 : 1
            outputs = InferenceTensors.features(inJSON: response.body, member: "outputs", limit: limit) ?? []
        }
        gateway.statistics.record(model: model, version: version, status: status, latencyMicros: micros, mirrored: false)
        if let ticket, !outputs.isEmpty { gateway.statistics.storeOutputs(ticket, outputs) }
        if body != nil {
            var predicted = 0
            if let first = outputs.first, !first.values.isEmpty {
                gateway.predictions.remember(model: model, requestID: requestID, version: version, values: first.values)
                predicted = first.values.count
            }
            let answered = (200..<300).contains(status)
            let sketchInputs = routes.sketchInputs
            gateway.monitoring.record(
                model: model, version: version, status: status, latencyMicros: micros,
                inputs: sketched && answered ? inputs.filter { sketchInputs.contains($0.name) } : [],
                outputs: sketched ? outputs : [], predictions: predicted)
        }
        return micros
    }
}

/// A mirrored copy of a forwarded request: counted apart in the statistics, feeding neither
/// the samples, the monitoring buckets nor the prediction log (analysis and monitors judge
/// the traffic clients were served); its answer settles the candidate's half of a pair.
final class MirrorExchange: UpstreamExchange {
    private let gateway: Gateway
    private let model: String
    private let copy: MirrorCopy
    private var started = NIODeadline.uptimeNanoseconds(0)

    init(gateway: Gateway, model: String, copy: MirrorCopy) {
        self.gateway = gateway
        self.model = model
        self.copy = copy
    }

    /// Sends `request` to the copy's target; must be called on `loop`.
    func send(_ request: UpstreamRequest, on loop: any EventLoop) {
        copy.target.begin()
        started = .now()
        gateway.client.send(request, to: copy.target.address, on: loop, timeout: gateway.timeout, exchange: self)
    }

    func upstreamDidFinish(_ result: Result<UpstreamResponse, UpstreamFailure>) {
        let (status, micros) = gateway.ended(copy.target, started: started, result)
        gateway.statistics.record(model: model, version: copy.target.version, status: status, latencyMicros: micros, mirrored: true)
        gateway.statistics.release(copy.slot)
        if let pair = copy.pair { gateway.settle(pair, of: copy, candidate: Gateway.shadowAnswer(result, micros: micros)) }
    }
}
