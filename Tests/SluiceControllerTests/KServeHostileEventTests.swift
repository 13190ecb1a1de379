import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import SluiceCore
import Testing
@testable import SluiceController

/// Whoever reaches the collector can post anything: bad headers and bodies are refused
/// with the part named, counted, and never recorded; nothing crashes.
@Suite("KServe log collector: hostile events", .timeLimit(.minutes(10)))
struct KServeHostileEventTests {
    typealias Harness = KServeCollectorHarness

    /// The pinned request event with one header changed (nil: removed) or another body.
    static func request(_ change: (name: String, value: String?)? = nil, body: String? = nil) -> KServeLoggerFixture.Message {
        var message = KServeLoggerFixture.message(KServeLoggerFixture.requestEvent)
        if let change {
            let name = HTTPField.Name(change.name)!
            message.headers[name] = change.value
        }
        if let body { message.body = ByteBuffer(string: body) }
        return message
    }

    @Test("bad CloudEvents headers: 400 naming the header")
    func headers() async throws {
        let harness = Harness()
        let cases: [(KServeLoggerFixture.Message, String)] = [
            (Self.request(("ce-type", nil)), "ce-type: missing"),
            (Self.request(("ce-type", "com.example.other")), "ce-type: expected org.kubeflow.serving.inference.request"),
            (Self.request(("ce-specversion", "0.3")), "ce-specversion: expected 1.0, found '0.3'"),
            (Self.request(("ce-specversion", nil)), "ce-specversion: missing"),
            (Self.request(("ce-id", String(repeating: "x", count: 257))), "ce-id: expected the request id (1 to 256 bytes)"),
            (Self.request(("ce-source", nil)), "ce-source: missing"),
        ]
        try await harness.app.test(.live) { client throws in
            for (message, expected) in cases {
                let answer = try await Harness.post(message, client)
                #expect(answer.status == .badRequest)
                #expect(Harness.text(answer).contains(expected), "\(Harness.text(answer))")
            }
        }
        #expect(harness.collector.counters.malformed == UInt64(cases.count))
        #expect(harness.collector.pendingCount == 0)
    }

    @Test("bodies that are not V2 inference payloads: 400 naming the body; malformed tensors are skipped, not fatal")
    func bodies() async throws {
        let harness = Harness()
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        let cases: [(String, String)] = [
            ("{\"inputs\": [", "body: not JSON"),
            (deep, "body: not JSON"),
            ("", "body: not JSON"),
            // KServe's own logger test payload: the V1 protocol, which has no tensors to sketch.
            ("{\"instances\":[[0,0,0]]}", "expected an Open Inference Protocol (V2) request with a \\\"inputs\\\" list"),
            ("[1,2,3]", "with a \\\"inputs\\\" list"),
        ]
        try await harness.app.test(.live) { client throws in
            for (body, expected) in cases {
                let answer = try await Harness.post(Self.request(body: body), client)
                #expect(answer.status == .badRequest)
                #expect(Harness.text(answer).contains(expected), "\(Harness.text(answer).prefix(300))")
            }
            // Tensors that do not add up (shape vs data, nested objects, NaN as text) yield no
            // features, but the call itself is real and counts.
            let odd = "{\"inputs\":[{\"name\":\"amount\",\"shape\":[3],\"datatype\":\"FP32\",\"data\":[1]},{\"name\":\"country\",\"shape\":[1],\"data\":[{\"a\":1}]},{\"shape\":[1],\"data\":[\"NaN\"]}]}"
            #expect(try await Harness.post(Self.request(body: odd), client).status == .accepted)
            #expect(try await Harness.response(client).status == .ok)
        }
        #expect(harness.collector.counters.malformed == UInt64(cases.count))
        let bucket = try #require(harness.closedBuckets().first)
        #expect(bucket.requests == 1)
        #expect(bucket.inputs.isEmpty)
    }

    @Test("the parser reads the pinned headers case-insensitively as the logger's Go client writes them")
    func parse() throws {
        let message = KServeLoggerFixture.message(KServeLoggerFixture.responseEvent)
        let event = try KServeCloudEvent.parse { name in HTTPField.Name(name).flatMap { message.headers[$0] } }
        #expect(event == KServeCloudEvent(id: KServeLoggerFixture.id, kind: .response))
        #expect(message.headers[HTTPField.Name("ce-inferenceservicename")!] == "fraud")
    }

    @Test("/metrics families count every outcome")
    func metrics() async throws {
        let harness = Harness()
        try await harness.app.test(.live) { client throws in
            _ = try await Harness.request(client)
            _ = try await Harness.request(client)
            _ = try await Harness.post(Self.request(body: "nope"), client)
            _ = try await Harness.response(client)
            // Last: a refused path closes the connection.
            _ = try await Harness.request(client, path: "/v1/collector/kserve/fraud/v9")
        }
        let text = harness.collector.metricsText()
        for line in [
            "sluice_kserve_events_total{outcome=\"accepted\"} 2", "sluice_kserve_events_total{outcome=\"duplicate\"} 1",
            "sluice_kserve_events_total{outcome=\"unknown_version\"} 1", "sluice_kserve_events_total{outcome=\"malformed\"} 1",
            "sluice_kserve_joins_total 1", "sluice_kserve_expired_total{half=\"request\"} 0", "sluice_kserve_pending 0",
        ] {
            #expect(text.contains(line + "\n"), "\(line) in\n\(text)")
        }
        #expect(text.contains("# TYPE sluice_kserve_pending gauge"))
    }
}
