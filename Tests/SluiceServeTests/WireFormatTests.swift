import Foundation
import NIOConcurrencyHelpers
import SluiceCore
import Testing
@testable import SluiceServe

/// The admin API's documents are Codable types shared by the data plane (which encodes them)
/// and every client (which decodes them): what one side writes, the other reads back equal,
/// and a document of the wrong shape is refused with the field that is wrong.
@Suite("wire format", .timeLimit(.minutes(10)))
struct WireFormatTests {
    @Test("statistics with traffic, latency and samples decode back to what was encoded")
    func statisticsRoundTrip() throws {
        let statistics = TrafficStatistics()
        for status in [200, 200, 503] {
            statistics.record(model: "fraud", version: "v1", status: status, latencyMicros: 4_000)
        }
        let ticket = try #require(statistics.admitSample(model: "fraud", version: "v1"))
        statistics.storeInputs(ticket, [("amount", [.number(12.5)]), ("merchant", [.category("books")])])
        let snapshot = statistics.snapshot(windowSeconds: 10)
        let decoded = try WireJSON.decode(StatsSnapshot.self, from: Array(WireJSON.text(snapshot).utf8))
        #expect(decoded == snapshot)
        let version = try #require(decoded.models["fraud"]?["v1"])
        #expect(version.requests == 3 && version.errors == 1)
        #expect(version.samples.inputs["merchant"] == [.category("books")])
        #expect(version.samples.inputs["amount"] == [.number(12.5)])
        // What canary analysis reads: the window's counts and latency by check metric name.
        let window = decoded.window(model: "fraud", version: "v1")
        #expect(window.requests == 3 && window.errors == 1)
        #expect(window.latencyMs["latency_p99_ms"] != nil)
        #expect(window.latencyMs["latency_mean_ms"] != nil)
    }

    @Test("mirrored counts and a removed version round-trip; every field an older client requires is still written")
    func mirroredAndRemovedRoundTrip() throws {
        let statistics = TrafficStatistics()
        statistics.record(model: "fraud", version: "v1", status: 200, latencyMicros: 4_000)
        statistics.record(model: "fraud", version: "v2", status: 503, latencyMicros: 4_000, mirrored: true)
        statistics.retain(models: ["fraud": ["v1"]])
        let snapshot = statistics.snapshot(windowSeconds: 10)
        let text = WireJSON.text(snapshot)
        let decoded = try WireJSON.decode(StatsSnapshot.self, from: Array(text.utf8))
        #expect(decoded == snapshot)
        let v2 = try #require(decoded.models["fraud"]?["v2"])
        #expect(v2.removed && v2.removedAt != nil)
        #expect(v2.requests == 0 && v2.mirrored == 1 && v2.mirroredErrors == 1 && v2.mirroredStatus["5xx"] == 1)
        #expect(v2.window.requests == 0 && v2.window.mirrored == 1 && v2.window.mirroredErrors == 1)
        #expect(decoded.window(model: "fraud", version: "v2").requests == 0)
        // The first format's fields, which an older controller decodes, are all there.
        let json = try JSONParser.parse(text)
        let version = try #require(json["models"]?["fraud"]?["v2"])
        for key in ["requests", "errors", "mirrored", "errorRate", "status", "latencyMs", "window", "samples"] {
            #expect(version[key] != nil, "\(key) missing")
        }
        for key in ["seconds", "requests", "errors", "errorRate"] { #expect(version["window"]?[key] != nil, "window.\(key) missing") }
    }

    @Test("an older data plane's statistics, without the mirrored split or the removed flag, still read")
    func olderStatisticsRead() throws {
        let old = #"""
            {"models": {"fraud": {"v1": {"requests": 5, "errors": 1, "mirrored": 2, "errorRate": 0.2,
              "status": {"2xx": 4, "5xx": 1}, "latencyMs": {"p50": 1, "p90": 2, "p95": 3, "p99": 4, "max": 5, "mean": 1.5},
              "window": {"seconds": 40, "requests": 5, "errors": 1, "errorRate": 0.2},
              "samples": {"rows": 0, "seen": 0, "inputs": {}, "outputs": {}}}}}}
            """#
        let decoded = try WireJSON.decode(StatsSnapshot.self, from: Array(old.utf8))
        let v1 = try #require(decoded.models["fraud"]?["v1"])
        #expect(v1.requests == 5 && v1.mirrored == 2)
        #expect(v1.mirroredErrors == 0 && v1.mirroredStatus.isEmpty && !v1.removed && v1.removedAt == nil)
        #expect(v1.window.mirrored == 0 && v1.window.mirroredErrors == 0)
        #expect(decoded.window(model: "fraud", version: "v1").requests == 5)
    }

    @Test("a version with no statistics reads as no requests (thin data, Inconclusive), not as an error")
    func missingVersionIsEmpty() {
        let window = StatsSnapshot(models: [:]).window(model: "fraud", version: "v9")
        #expect(window.requests == 0 && window.errors == 0 && window.latencyMs.isEmpty)
    }

    @Test("every latency figure a check may ask for is in the document, written as null when there is no data")
    func nullQuantilesAreWritten() throws {
        let statistics = TrafficStatistics()
        statistics.record(model: "m", version: "v1", status: 200, latencyMicros: 1_000)
        let text = WireJSON.text(statistics.snapshot(windowSeconds: 10), pretty: false)
        let json = try JSONParser.parse(text)
        let latency = try #require(json["models"]?["m"]?["v1"]?["latencyMs"])
        for name in ["p50", "p90", "p95", "p99", "max", "mean"] { #expect(latency[name] != nil, "\(name) missing in \(latency.serialized())") }
        let empty = WireJSON.text(LatencyQuantiles(), pretty: false)
        #expect(empty == #"{"max":null,"mean":null,"p50":null,"p90":null,"p95":null,"p99":null}"#)
    }

    @Test("observed state round-trips, and a phase this client does not know is kept, not refused")
    func observedStateRoundTrip() throws {
        let state = ObservedState(revision: "abc", appliedAt: "2026-12-03T12:00:00Z", models: [
            ObservedModel(
                name: "fraud", ready: true, weights: ["v1": 90, "v2": 10], effectiveWeights: ["v1": 1, "v2": 0],
                versions: [
                    ObservedVersion(name: "v1", runtime: "python-v2", state: .ready, ready: true, serving: true, pid: 42, port: 9000, restarts: 0, inFlight: 1),
                    ObservedVersion(name: "v2", state: VersionPhase(rawValue: "Hibernating"), ready: false),
                ]),
        ])
        let decoded = try WireJSON.decode(ObservedState.self, from: Array(WireJSON.text(state).utf8))
        #expect(decoded == state)
        #expect(decoded.model("fraud")?.version("v2")?.state.rawValue == "Hibernating")
        #expect(decoded.readyVersions == ["fraud": ["v1"]])
    }

    @Test("a data plane answer of the wrong shape is refused with the path of the wrong field")
    func wrongShapeNamesTheField() {
        let cases: [(String, String)] = [
            (#"{"models":[{"name":"fraud","ready":true,"weights":{},"effectiveWeights":{},"versions":[{"name":"v1"}]}]}"#, "models[0].versions[0].state: missing"),
            (#"{"models":[{"name":"fraud","ready":"yes","weights":{},"effectiveWeights":{},"versions":[]}]}"#, "models[0].ready: expected Bool"),
            (#"{"models":{}}"#, "models: expected Array"),
            (#"not json"#, "not valid JSON"),
        ]
        for (text, expected) in cases {
            do {
                _ = try WireJSON.decode(ObservedState.self, from: Array(text.utf8))
                Issue.record("\(text) was accepted")
            } catch {
                #expect("\(error)".contains(expected), "\(error) does not say \(expected)")
            }
        }
    }

    @Test("monitoring batches round-trip through the checked sketch form; a bad bucket length or sketch is refused")
    func monitoringBatch() throws {
        let seconds = NIOLockedValueBox<Int64>(1_000_000)
        let recorder = MonitoringRecorder(bucketSeconds: 10, retainedBuckets: 6, wallClock: { seconds.withLockedValue { $0 } })
        recorder.record(model: "fraud", version: "v1", status: 200, latencyMicros: 2_000, inputs: [("amount", [.number(3)])],
                        outputs: [("predict", [.category("legit")])], predictions: 1)
        seconds.withLockedValue { $0 += 10 }
        let batch = MonitoringBatch(now: recorder.now, bucketSeconds: recorder.bucketSeconds, buckets: recorder.buckets(after: .min))
        let decoded = try WireJSON.decode(MonitoringBatch.self, from: Array(WireJSON.text(batch, pretty: false).utf8))
        #expect(decoded == batch)
        #expect(decoded.collectedUntil == 1_000_010)
        #expect(throws: (any Error).self) {
            try WireJSON.decode(MonitoringBatch.self, from: Array(#"{"now":1,"bucketSeconds":0,"buckets":[]}"#.utf8))
        }
        #expect(throws: (any Error).self) {
            try WireJSON.decode(MonitoringBatch.self, from: Array(#"{"now":1,"bucketSeconds":10,"buckets":[{"model":"m"}]}"#.utf8))
        }
    }

    @Test("a runtime spec decodes through the same checks as PUT /v1/spec: bad weights are refused with their field")
    func runtimeSpecCodable() throws {
        let spec = RuntimeSpec(revision: "r1", models: [
            ModelRuntime(name: "fraud", versions: [VersionRuntime(name: "v1", runtime: "python-v2", artifact: "models/a.json")], route: Route(weights: ["v1": 100])),
        ])
        let decoded = try WireJSON.decode(RuntimeSpec.self, from: Array(WireJSON.text(spec).utf8))
        #expect(decoded == spec)
        let bad = #"{"models":[{"name":"fraud","versions":[{"name":"v1","runtime":"python-v2","artifact":"a.json"}],"route":{"weights":{"v1":60}}}]}"#
        do {
            _ = try WireJSON.decode(RuntimeSpec.self, from: Array(bad.utf8))
            Issue.record("weights summing to 60 were accepted")
        } catch {
            #expect("\(error)".contains("models[0].route.weights"), "\(error)")
        }
    }
}
