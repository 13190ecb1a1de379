import NIOCore
import NIOHTTP1
import SluiceCore

extension Gateway {
    /// Counts an attempt on `target` in flight and looks up what its answer will be recorded
    /// into: the version's statistics and, for an `inference` (its body checked as JSON)
    /// clients see (not a mirrored copy), its monitoring ring. What the request feeds is
    /// decided when the answer is in (``record(_:_:requestID:body:sketchInputs:)``), under the
    /// locks the recording takes anyway.
    func beginAttempt(to target: UpstreamTarget, mirrored: Bool, inference: Bool) -> UpstreamAttempt {
        let versionStatistics = target.statisticsMemo.value(at: statistics.generation) { statistics.statistics(target.key) }
        let ring = !inference || mirrored ? nil : target.ringMemo.value(at: monitoring.generation) { monitoring.ring(target.key) }
        target.begin()
        return UpstreamAttempt(target: target, statistics: versionStatistics, ring: ring, mirrored: mirrored, started: .now())
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

    /// Records the outcome of `attempt` and returns the time it took, in microseconds: the
    /// statistics always; for an inference clients see (the attempt has a ring), the sample
    /// reservoir's admission, the prediction under `requestID`, the monitoring counts and the
    /// sketch budget's admission. The features of `body` (the request) and of the answer feed
    /// the reservoir and the sketches of an admitted request. A mirrored copy is counted apart
    /// in the statistics and feeds neither the samples nor the monitoring buckets: analysis and
    /// monitors judge the traffic clients were served. Only inputs named in `sketchInputs` are
    /// sketched, and only for a request the model answered with 2xx: a caller cannot crowd the
    /// real features out of a bucket with made-up names, nor with requests the model refused.
    func record(
        _ attempt: UpstreamAttempt, _ result: Result<UpstreamResponse, UpstreamFailure>, requestID: RequestID?, body: CheckedJSONObject?,
        sketchInputs: Set<String>
    ) -> UInt64 {
        let target = attempt.target
        target.end()
        let micros = UInt64(max(0, (NIODeadline.now() - attempt.started).nanoseconds / 1000))
        let status: Int
        var answer: ByteBuffer?
        switch result {
        case .success(let response):
            status = Int(response.status.code)
            if response.status == .ok { answer = response.body }
        case .failure(let error):
            status = 0
            if case .connect = error { onConnectFailure(target) }
        }
        statistics.record(attempt.statistics, status: status, latencyMicros: micros, mirrored: attempt.mirrored)
        guard let ring = attempt.ring else { return micros }
        let ticket = statistics.admitSample(attempt.statistics)
        // The answer's features: all of them for a sample, else the first feature's values
        // alone for the prediction log (no names, no other features).
        var outputs: [(name: String, values: [FeatureValue])] = []
        var firstValues = FeatureValueList.many([])
        if let answer {
            if ticket != nil {
                outputs = InferenceTensors.features(inJSON: answer, member: "outputs", limit: 64) ?? []
                firstValues = FeatureValueList(outputs.first?.values ?? [])
            } else if requestID != nil, predictions.capacity > 0 {
                firstValues = InferenceTensors.firstFeature(inJSON: answer, member: "outputs") ?? .many([])
            }
        }
        // A sample's inputs, read once: a sketch of the same request takes its named ones.
        let sampledInputs = ticket == nil ? nil : body?.features(member: "inputs") ?? []
        if let ticket { statistics.store(ticket, inputs: sampledInputs ?? [], outputs: outputs) }
        var predicted = 0
        if let requestID, firstValues.count > 0 {
            predictions.remember(model: target.model, issued: requestID, version: target.version, values: firstValues)
            predicted = firstValues.count
        }
        let now = monitoring.now
        guard monitoring.recordAdmitting(ring, at: now, status: status, latencyMicros: micros, predictions: predicted) else { return micros }
        if ticket == nil, let answer { outputs = InferenceTensors.features(inJSON: answer, member: "outputs", limit: 64) ?? [] }
        let answered = (200..<300).contains(status)
        let inputs = answered && !sketchInputs.isEmpty
            ? (sampledInputs ?? body?.features(member: "inputs") ?? []).filter { sketchInputs.contains($0.name) } : []
        monitoring.sketch(ring, at: now, inputs: inputs, outputs: outputs)
        return micros
    }
}
