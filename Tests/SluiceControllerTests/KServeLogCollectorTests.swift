import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import SluiceCore
import SluiceTestSupport
import Testing
@testable import SluiceController

/// The KServe payload-logger collector over real loopback HTTP: events shaped exactly as
/// KServe v0.15.2's agent sends them, joined in either order into the data plane's own
/// monitoring buckets; expiry, duplicates, unknown versions and the bounds.
@Suite("KServe log collector", .timeLimit(.minutes(10)))
struct KServeLogCollectorTests {
    typealias Harness = KServeCollectorHarness

    @Test("the pinned request then response: one answered call, named inputs and outputs sketched, no latency made up")
    func requestThenResponse() async throws {
        let harness = Harness()
        try await harness.app.test(.live) { client throws in
            let request = try await Harness.request(client)
            #expect(request.status == .accepted)
            #expect(Harness.text(request) == "{\"outcome\":\"pending\"}")
            let response = try await Harness.response(client)
            #expect(response.status == .ok)
            #expect(Harness.text(response) == "{\"outcome\":\"joined\"}")
        }
        #expect(harness.collector.monitoring(after: nil).buckets.isEmpty, "the bucket has not ended yet")
        let bucket = try #require(harness.closedBuckets().first)
        #expect(bucket.model == "fraud")
        #expect(bucket.requests == 1)
        #expect(bucket.errors == 0)
        #expect(bucket.inputs.names == ["amount", "country"], "secret_note is not in sketchInputs")
        #expect(bucket.inputs.numeric["amount"]?.count == 2)
        #expect(bucket.outputs.names == ["label"])
        #expect(bucket.labels.predictions == 2)
        #expect(bucket.latencyMs.count == 0, "the logger reports no latency")
        #expect(harness.collector.counters.joins == 1)
        #expect(harness.collector.counters.accepted == 2)
        #expect(harness.collector.pendingCount == 0)
    }

    @Test("the response before its request joins the same way")
    func responseThenRequest() async throws {
        let harness = Harness()
        try await harness.app.test(.live) { client throws in
            #expect(try await Harness.response(client).status == .accepted)
            #expect(try await Harness.request(client).status == .ok)
        }
        let bucket = try #require(harness.closedBuckets().first)
        #expect(bucket.requests == 1)
        #expect(bucket.errors == 0)
        #expect(bucket.inputs.names == ["amount", "country"])
        #expect(bucket.outputs.names == ["label"])
    }

    @Test("a request whose response never comes counts as a failed call once it expires; a lone response as an answered one")
    func expiry() async throws {
        let harness = Harness { $0.pendingSeconds = 30 }
        try await harness.app.test(.live) { client throws in
            #expect(try await Harness.request(client, id: "lost-answer").status == .accepted)
            #expect(try await Harness.response(client, id: "lost-request").status == .accepted)
        }
        harness.clock.advance(by: 29)
        harness.collector.expire()
        #expect(harness.collector.pendingCount == 2, "still waiting before the TTL")
        harness.clock.advance(by: 1)
        // Expired halves are recorded when swept (each event and each collection sweeps),
        // in the bucket of that moment.
        harness.collector.expire()
        harness.clock.advance(by: 10)
        let buckets = harness.collector.monitoring(after: nil).buckets
        let bucket = try #require(buckets.first)
        #expect(buckets.count == 1)
        #expect(bucket.requests == 2)
        #expect(bucket.errors == 1, "the request the model did not answer 200")
        #expect(bucket.inputs.isEmpty, "inputs are sketched only for answered calls")
        #expect(bucket.outputs.names == ["label"])
        let counters = harness.collector.counters
        #expect(counters.expiredRequests == 1)
        #expect(counters.expiredResponses == 1)
        #expect(counters.joins == 0)
        #expect(harness.collector.pendingCount == 0)
    }

    @Test("a repeated half is dropped, not counted twice")
    func duplicate() async throws {
        let harness = Harness()
        try await harness.app.test(.live) { client throws in
            #expect(try await Harness.request(client).status == .accepted)
            let again = try await Harness.request(client)
            #expect(again.status == .ok)
            #expect(Harness.text(again) == "{\"outcome\":\"duplicate\"}")
            #expect(try await Harness.response(client).status == .ok)
        }
        #expect(harness.closedBuckets().first?.requests == 1)
        #expect(harness.collector.counters.duplicates == 1)
    }

    @Test("events for a model or version the collector was not told about are refused (404, body unread) and counted")
    func unknownVersion() async throws {
        let harness = Harness()
        // A refusal closes the connection (the body is never read): one connection each.
        try await harness.app.test(.live) { client throws in
            let unknownVersion = try await Harness.request(client, path: "/v1/collector/kserve/fraud/v9")
            #expect(unknownVersion.status == .notFound)
            #expect(Harness.text(unknownVersion).contains("no version 'v9' of model 'fraud'"))
        }
        try await harness.app.test(.live) { client throws in
            #expect(try await Harness.request(client, path: "/v1/collector/kserve/churn/v1").status == .notFound)
        }
        try await harness.app.test(.live) { client throws in
            #expect(try await Harness.request(client).status == .accepted)
            // The backend's next apply drops v1: its waiting halves and buckets go with it.
            harness.collector.setKnownVersions(["fraud": ["v2"]])
            #expect(harness.collector.pendingCount == 0)
            #expect(try await Harness.response(client).status == .notFound)
        }
        #expect(harness.collector.counters.refusedUnknownVersion == 3)
        #expect(harness.closedBuckets().isEmpty)
    }

    @Test("a body over the cap is refused (413) but its call still counts, without features")
    func bodyCap() async throws {
        let harness = Harness { $0.maximumBody = 200 }
        // A 413 closes the connection (the rest of the body is never read): one connection each.
        try await harness.app.test(.live) { client throws in
            #expect(try await Harness.request(client).status == .contentTooLarge, "the request body is over 200 bytes")
        }
        try await harness.app.test(.live) { client throws in
            #expect(try await Harness.response(client).status == .ok, "the small response joins the oversized request")
        }
        let bucket = try #require(harness.closedBuckets().first)
        #expect(bucket.requests == 1)
        #expect(bucket.errors == 0, "the model answered: an oversized request is not a failure")
        #expect(bucket.inputs.isEmpty)
        #expect(bucket.outputs.names == ["label"])
        #expect(harness.collector.counters.refusedTooLarge == 1)
    }

    @Test("a full pending table refuses new halves (503) while the ones it holds still join")
    func pendingCap() async throws {
        let harness = Harness { $0.pendingCapacity = 2 }
        try await harness.app.test(.live) { client throws in
            #expect(try await Harness.request(client, id: "a").status == .accepted)
            #expect(try await Harness.request(client, id: "b").status == .accepted)
            #expect(try await Harness.request(client, id: "c").status == .serviceUnavailable)
            #expect(try await Harness.response(client, id: "a").status == .ok)
            #expect(try await Harness.request(client, id: "d").status == .accepted, "a join frees a place")
        }
        #expect(harness.collector.counters.refusedPendingFull == 1)
        #expect(harness.collector.pendingCount == 2)
    }

    @Test("the values waiting halves hold are capped as well as their number")
    func valueCap() async throws {
        let harness = Harness { $0.pendingValues = 3 }
        try await harness.app.test(.live) { client throws in
            // Each response holds 2 output values; the request holds 4 sketched input values.
            #expect(try await Harness.response(client, id: "a").status == .accepted)
            #expect(try await Harness.response(client, id: "b").status == .serviceUnavailable)
            #expect(try await Harness.request(client, id: "c").status == .serviceUnavailable)
            #expect(try await Harness.request(client, id: "a").status == .ok, "joining needs no room")
        }
        #expect(harness.collector.counters.refusedPendingFull == 2)
    }

    @Test("beyond sketchedPerSecond, calls are still counted but only a thinning share is sketched")
    func sketchRate() async throws {
        let harness = Harness { $0.sketchedPerSecond = 1 }
        try await harness.app.test(.live) { client throws in
            for index in 0..<30 {
                #expect(try await Harness.request(client, id: "call-\(index)").status == .accepted)
                #expect(try await Harness.response(client, id: "call-\(index)").status == .ok)
            }
        }
        let bucket = try #require(harness.closedBuckets().first)
        #expect(bucket.requests == 30)
        let sketched = try #require(bucket.inputs.numeric["amount"]).count / 2
        #expect(sketched >= 10 && sketched < 30, "\(sketched) calls sketched: the first 10 (1/s × 10 s), then every k-th")
    }
}
