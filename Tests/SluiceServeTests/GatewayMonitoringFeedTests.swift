import Foundation
import SluiceCore
import Testing
@testable import SluiceServe

/// What the gateway's requests feed besides the counts, over a real data plane and real
/// model-server processes: the version's sample reservoir (inputs and outputs of each sampled
/// request) and the monitoring buckets' sketches (the named inputs, the outputs, the
/// predictions made), all decided and filled when the answer is in.
@Suite("gateway: samples and sketches from served requests", .serialized, .timeLimit(.minutes(10)))
struct GatewayMonitoringFeedTests {
    /// Model `m`, one version, its input `x` sketched.
    static let spec = #"""
        {"revision":"r1","models":[{"name":"m","versions":[{"name":"v1","runtime":"test","artifact":"model.json"}],
          "route":{"weights":{"v1":100}},"sketchInputs":["x"]}]}
        """#

    @Test("every served request's input and output reach the reservoir and the bucket's sketches, and its prediction is counted")
    func servedRequestsFeedSamplesAndSketches() async throws {
        try await DataPlaneFixture.with { plane in
            try await plane.apply(Self.spec)
            try await plane.stepUntil("ready") { await plane.ready("v1") }
            let calls = 12
            for _ in 0..<calls {
                let answer = try await plane.infer()
                #expect(answer.status == 200)
            }
            // Under the sample reservoir's size and the sketch budget: every request is in both.
            let stats = try await plane.request(.GET, port: plane.adminPort, "/v1/stats?window=60", headers: ["authorization": "Bearer \(plane.token)"])
            let snapshot = try WireJSON.decode(StatsSnapshot.self, from: Array(stats.text.utf8))
            let samples = try #require(snapshot.models["m"]?["v1"]?.samples)
            #expect(samples.seen == calls && samples.rows == calls)
            #expect(samples.inputs["x"] == Array(repeating: .number(1), count: calls))
            #expect(samples.outputs["predict"] == Array(repeating: .number(1), count: calls))

            var buckets: [MonitoringBucket] = []
            try await plane.stepUntil("the buckets holding the requests ended") {
                let answer = try await plane.request(
                    .GET, port: plane.adminPort, "/v1/monitoring?after=0", headers: ["authorization": "Bearer \(plane.token)"])
                buckets = try WireJSON.decode(MonitoringBatch.self, from: Array(answer.text.utf8)).buckets
                return buckets.reduce(0) { $0 + $1.requests } == calls
            }
            #expect(buckets.reduce(0) { $0 + ($1.inputs.numeric["x"]?.count ?? 0) } == calls)
            #expect(buckets.reduce(0) { $0 + ($1.outputs.numeric["predict"]?.count ?? 0) } == calls)
            #expect(buckets.reduce(0) { $0 + $1.labels.predictions } == calls)
            #expect(buckets.allSatisfy { $0.inputs.names.allSatisfy { $0 == "x" } })
        }
    }
}
