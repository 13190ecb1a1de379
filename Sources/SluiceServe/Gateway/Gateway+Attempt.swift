import NIOCore
import NIOHTTP1
import SluiceCore

extension Gateway {
    /// Counts an attempt on `target` in flight and decides what its request feeds. For
    /// inference (`body` present) the features of the request and the answer feed the sample
    /// reservoir and the monitoring sketches, and the prediction is remembered under
    /// `requestID` for feedback (never for a mirrored copy, whose answer nobody sees).
    /// A mirrored copy is counted apart in the statistics and feeds neither the samples nor
    /// the monitoring buckets: analysis and monitors judge the traffic clients were served.
    /// Only inputs named in `sketchInputs` are sketched, and only for a request the model
    /// answered with 2xx: a caller cannot crowd the real features out of a bucket with
    /// made-up names, nor with requests the model refused.
    func beginAttempt(
        to target: UpstreamTarget, requestID: RequestID?, body: CheckedJSONObject?, sketchInputs: Set<String>, mirrored: Bool
    ) -> UpstreamAttempt {
        let versionStatistics = target.statisticsMemo.value(at: statistics.generation) { statistics.statistics(target.key) }
        let ring = body == nil || mirrored ? nil : target.ringMemo.value(at: monitoring.generation) { monitoring.ring(target.key) }
        let ticket = ring == nil ? nil : statistics.admitSample(versionStatistics)
        let sketched = ring.map(monitoring.admit) ?? false
        let readsInputs = (sketched && !sketchInputs.isEmpty) || ticket != nil
        let inputs = readsInputs ? body?.features(member: "inputs") ?? [] : []
        if let ticket { statistics.storeInputs(ticket, inputs) }
        target.begin()
        return UpstreamAttempt(
            target: target, statistics: versionStatistics, ring: ring, ticket: ticket, sketched: sketched, inputs: inputs,
            // The answer is read when something needs it: samples, sketches or feedback.
            readsAnswer: ticket != nil || sketched || (requestID != nil && predictions.capacity > 0),
            inference: body != nil, mirrored: mirrored, started: .now())
    }

    /// Sends `request` to `target` on `loop`, the request's, where forward runs: no promise,
    /// no future, no hop per request.
    func dispatch(_ request: UpstreamRequest, to target: UpstreamTarget, loop: any EventLoop, exchange: any UpstreamExchange) {
        if loop.inEventLoop {
            client.send(request, to: target.pooledAddress, on: loop, timeout: timeout, exchange: exchange)
        } else {
            loop.execute { self.client.send(request, to: target.pooledAddress, on: loop, timeout: self.timeout, exchange: exchange) }
        }
    }

    /// Records the outcome of `attempt` (statistics, samples, sketches, the prediction under
    /// `requestID`) and returns the time it took, in microseconds.
    func record(
        _ attempt: UpstreamAttempt, _ result: Result<UpstreamResponse, UpstreamFailure>, requestID: RequestID?, sketchInputs: Set<String>
    ) -> UInt64 {
        let target = attempt.target
        target.end()
        let micros = UInt64(max(0, (NIODeadline.now() - attempt.started).nanoseconds / 1000))
        let status: Int
        var outputs: [(name: String, values: [FeatureValue])] = []
        // The first feature's values: what the prediction log keeps.
        var firstValues = FeatureValueList.many([])
        switch result {
        case .success(let response):
            status = Int(response.status.code)
            if attempt.inference, attempt.readsAnswer, response.status == .ok {
                if attempt.ticket != nil || attempt.sketched {
                    outputs = InferenceTensors.features(inJSON: response.body, member: "outputs", limit: 64) ?? []
                    firstValues = FeatureValueList(outputs.first?.values ?? [])
                } else {
                    // The prediction log alone: no names, no other features.
                    firstValues = InferenceTensors.firstFeature(inJSON: response.body, member: "outputs") ?? .many([])
                }
            }
        case .failure(let error):
            status = 0
            if case .connect = error { onConnectFailure(target) }
        }
        statistics.record(attempt.statistics, status: status, latencyMicros: micros, mirrored: attempt.mirrored)
        if let ticket = attempt.ticket, !outputs.isEmpty { statistics.storeOutputs(ticket, outputs) }
        if let ring = attempt.ring {
            var predicted = 0
            if let requestID, firstValues.count > 0 {
                predictions.remember(model: target.model, issued: requestID, version: target.version, values: firstValues)
                predicted = firstValues.count
            }
            let answered = (200..<300).contains(status)
            monitoring.record(
                ring, status: status, latencyMicros: micros,
                inputs: attempt.sketched && answered ? attempt.inputs.filter { sketchInputs.contains($0.name) } : [],
                outputs: attempt.sketched ? outputs : [], predictions: predicted)
        }
        return micros
    }
}
