import Foundation
import SluiceCore
import Testing
@testable import SluiceServe

/// What a caller of the inference gateway gets when a model server is too slow, or the
/// request too large, over a real data plane and real model-server processes.
@Suite("gateway: upstream timeout and request size", .serialized, .timeLimit(.minutes(10)))
struct GatewayUpstreamTests {
    @Test("a model server that does not answer within serve.upstreamTimeout: 504 naming the model, version and timeout, not sent to another version; the version stays Ready and answers again")
    func upstreamTimeout() async throws {
        try await DataPlaneFixture.with(upstreamTimeout: .seconds(1)) { plane in
            try await plane.apply(DataPlaneFixture.spec(["v1": 50, "v2": 50]))
            try await plane.stepUntil("both ready") { await plane.ready("v1", "v2") }
            // One answer first, so the stalled request may go over a kept-alive connection
            // whose deadline was set (and moved) by an earlier exchange.
            #expect(try await plane.infer(version: "v1").status == 200)
            try plane.flag("v1", "hold")
            // Requests until one goes to v1 (about every second one does); v2 answers the others.
            var answeredByV2 = 0
            var timedOut: DataPlaneFixture.Answer?
            for _ in 0..<60 where timedOut == nil {
                let answer = try await plane.infer()
                if answer.status == 200 {
                    #expect(answer.string("model_version") == "v2")
                    answeredByV2 += 1
                } else {
                    timedOut = answer
                }
            }
            let answer = try #require(timedOut, "60 requests at 50% never reached v1")
            #expect(answer.status == 504)
            #expect(answer.servedBy == "v1")
            #expect(answer.string("error") == "model 'm' version 'v1' did not answer within 1000 ms")
            #expect(answer.headers.first(name: "x-request-id")?.count == 32)
            let snapshot = plane.dataPlane.statistics.snapshot()
            #expect(snapshot.models["m"]?["v1"]?.errors == 1, "the timeout counts as an error of v1")
            #expect(snapshot.models["m"]?["v1"]?.status["failed"] == 1, "no status came back from v1")
            #expect(snapshot.models["m"]?["v2"]?.requests ?? 0 == answeredByV2, "a request that may have been acted on is not sent to another version")

            try plane.flag("v1", "hold", false)
            plane.advance(Supervisor.readyProbeInterval)
            await plane.step()
            #expect(await plane.version("v1")?.state == .ready, "a slow answer does not make a version unready")
            let next = try await plane.infer(version: "v1")
            #expect(next.status == 200)
            #expect(next.string("model_version") == "v1")
        }
    }

    @Test("a model server that closes without answering: the request is sent once more to the other version and answered, a pinned one is 502 naming the version; the mirror copy of each is sent once, never retried, counted apart")
    func unansweredRetriedBesideMirror() async throws {
        try await DataPlaneFixture.with { plane in
            try await plane.apply(#"""
                {"revision":"r1","models":[{"name":"m","versions":[
                  {"name":"v1","runtime":"test","artifact":"model.json"},{"name":"v2","runtime":"test","artifact":"model.json"},
                  {"name":"v3","runtime":"test","artifact":"model.json"}],
                  "route":{"weights":{"v1":50,"v2":50,"v3":0},"mirror":{"version":"v3","percent":100}}}]}
                """#)
            try await plane.stepUntil("all ready") { await plane.ready("v1", "v2", "v3") }
            try plane.flag("v1", "drop")
            let calls = 16
            for _ in 0..<calls {
                let answer = try await plane.infer()
                #expect(answer.status == 200 && answer.servedBy == "v2" && answer.string("model_version") == "v2", "\(answer.text)")
                #expect(answer.headers.first(name: "x-request-id")?.count == 32)
            }
            let pinned = try await plane.infer(version: "v1")
            #expect(pinned.status == 502)
            #expect(pinned.servedBy == "v1")
            #expect(pinned.headers.first(name: "x-request-id")?.count == 32)
            #expect(pinned.string("error")?.hasPrefix("model 'm' version 'v1' failed: connection closed before any answer") == true, "\(pinned.text)")
            // Copies are answered after the caller's response: wait until all are counted.
            var snapshot = plane.dataPlane.statistics.snapshot()
            try await plane.stepUntil("copies counted", advancing: .zero) {
                snapshot = plane.dataPlane.statistics.snapshot()
                return snapshot.models["m"]?["v3"]?.mirrored ?? 0 >= calls + 1
            }
            let v1 = try #require(snapshot.models["m"]?["v1"])
            let v2 = try #require(snapshot.models["m"]?["v2"])
            let v3 = try #require(snapshot.models["m"]?["v3"])
            #expect(v2.requests == calls && v2.errors == 0, "every unpinned call was answered by v2, once")
            #expect(v1.requests >= 1 && v1.errors == v1.requests && v1.status["failed"] == v1.requests, "v1's attempts failed with no status")
            #expect(v3.mirrored == calls + 1 && v3.mirroredStatus["2xx"] == calls + 1, "one copy per call, never retried")
            #expect(v3.requests == 0)
            #expect(v1.mirrored == 0 && v2.mirrored == 0)
        }
    }

    @Test("an inference body over 16 MiB is refused with 413 from its Content-Length, before any body byte is sent, and the connection closed; one of 16 MiB is forwarded")
    func requestTooLarge() async throws {
        try await DataPlaneFixture.with { plane in
            try await plane.apply(DataPlaneFixture.spec(["v1": 100]))
            try await plane.stepUntil("v1 ready") { await plane.version("v1")?.state == .ready }
            let connection = try BlockingSocket(port: plane.inferencePort)
            connection.send("POST /v2/models/m/infer HTTP/1.1\r\nHost: x\r\nContent-Length: \(DataPlane.maximumRequestBody + 1)\r\n\r\n")
            let refused = await connection.received(seconds: 60)
            #expect(refused.text.hasPrefix("HTTP/1.1 413 Payload Too Large\r\n"), "\(refused.text.prefix(300))")
            #expect(refused.text.contains("request body larger than \(DataPlane.maximumRequestBody) bytes"), "\(refused.text.prefix(300))")
            #expect(refused.closed, "the body is never read")
            #expect(plane.dataPlane.statistics.snapshot().models["m"]?["v1"]?.requests ?? 0 == 0, "nothing reached the model server")

            // Exactly the limit: a JSON object padded with spaces to 16 MiB.
            let body = #"{"inputs":[{"name":"x","shape":[1],"datatype":"FP64","data":[1]}]}"#
            let padded = body + String(repeating: " ", count: DataPlane.maximumRequestBody - body.utf8.count)
            let accepted = try await plane.request(.POST, port: plane.inferencePort, "/v2/models/m/infer", body: padded)
            #expect(accepted.status == 200, "\(accepted.text.prefix(300))")
            #expect(accepted.string("model_version") == "v1")
        }
    }
}
