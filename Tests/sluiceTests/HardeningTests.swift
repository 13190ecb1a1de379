import Foundation
import Testing
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Attacks on a real `sluice serve` over loopback (issue 11, items 3, 4, 9 and 13): slow
/// and idle connections, connection floods, bodies sent before authentication,
/// pipelining, guessed request ids, borrowed request ids, anonymous feedback and made-up
/// feature names. Each test performs the attack and checks that it fails.
@Suite("hardening", .serialized, .timeLimit(.minutes(10)))
struct HardeningTests {
    static let shortLimits = "  limits:\n    maxConnections: 6\n    idleTimeout: 2s\n    headerTimeout: 1s\n    bodyTimeout: 1s"

    // MARK: - exhaustion before authentication

    @Test("a dribbled head, a stalled body and an idle connection are closed; the listener keeps serving")
    func slowClientsAreClosed() async throws {
        let serve = try ServeHarness(extraConfig: Self.shortLimits)
        try await serve.start()
        defer { serve.forceStop() }
        let port = try #require(serve.inferenceURL.port)

        // Slowloris: a header line every 300 ms, never the blank line that ends the head.
        let dribble = try RawConnection(port: port)
        await dribble.send("POST /v2/models/fraud/infer HTTP/1.1\r\nHost: x\r\n")
        var closed = false
        for index in 0..<100 where !closed {
            let sent = await dribble.send("x-pad-\(index): y\r\n")
            closed = !sent
            if !closed { closed = await dribble.receive(seconds: 0.3).closed }
        }
        #expect(closed, "a head dribbled for 30 s was still being read")

        // A body that stops: 10 of 1000 promised bytes.
        let stalled = try RawConnection(port: port)
        await stalled.send("POST /v2/models/fraud/infer HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n0123456789")
        #expect(await stalled.closes(within: 30), "a stalled body kept its connection")

        // A connection that never sends anything.
        let idle = try RawConnection(port: port)
        #expect(await idle.closes(within: 30), "an idle connection was kept")

        let live = try await serve.request("GET", serve.inferenceURL.appendingPathComponent("/v2/health/live"))
        #expect(live.status == 200)
    }

    @Test("after answered requests, the same connection is still closed when it goes idle, dribbles its next head or stalls its next body")
    func slowClientsAfterAnswersAreClosed() async throws {
        let serve = try ServeHarness(extraConfig: Self.shortLimits)
        try await serve.start()
        defer { serve.forceStop() }
        let port = try #require(serve.inferenceURL.port)
        /// A connection that has been answered twice (each answer moves its deadline later).
        /// Both requests go in one write: with a 2 s idle limit, a pause between them on a
        /// loaded machine would let the server close the connection, rightly.
        func answeredTwice() async throws -> RawConnection {
            let connection = try RawConnection(port: port)
            await connection.send(String(repeating: "GET /v2/health/live HTTP/1.1\r\nHost: x\r\n\r\n", count: 2))
            let answer = await connection.receive(seconds: 10) { $0.components(separatedBy: "{\"live\":true}").count == 3 }
            #expect(answer.text.hasPrefix("HTTP/1.1 200 OK"), "\(answer.text)")
            #expect(answer.text.components(separatedBy: "HTTP/1.1 200 OK").count == 3, "\(answer.text)")
            return connection
        }

        let idle = try await answeredTwice()
        #expect(await idle.closes(within: 30), "an idle connection was kept after its answers")

        let dribble = try await answeredTwice()
        await dribble.send("POST /v2/models/fraud/infer HTTP/1.1\r\nHost: x\r\n")
        var closed = false
        for index in 0..<100 where !closed {
            closed = !(await dribble.send("x-pad-\(index): y\r\n"))
            if !closed { closed = await dribble.receive(seconds: 0.3).closed }
        }
        #expect(closed, "a head dribbled for 30 s after answers was still being read")

        let stalled = try await answeredTwice()
        await stalled.send("POST /v2/models/fraud/infer HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n0123456789")
        #expect(await stalled.closes(within: 30), "a stalled body after answers kept its connection")

        let live = try await serve.request("GET", serve.inferenceURL.appendingPathComponent("/v2/health/live"))
        #expect(live.status == 200)
    }

    @Test("connections beyond a listener's cap are closed at once; an authenticated admin client still works, and inference again after the flood")
    func connectionCap() async throws {
        let serve = try ServeHarness(extraConfig: "  limits:\n    maxConnections: 4")
        try await serve.start()
        defer { serve.forceStop() }
        let port = try #require(serve.inferenceURL.port)
        // Fill the cap with connections that were answered once and stay open.
        var held: [RawConnection] = []
        for _ in 0..<4 {
            let connection = try RawConnection(port: port)
            await connection.send("GET /v2/health/live HTTP/1.1\r\nHost: x\r\n\r\n")
            let answer = await connection.receive(seconds: 10) { $0.contains("{\"live\":true}") }
            #expect(answer.text.hasPrefix("HTTP/1.1 200 OK"), "\(answer.text)")
            held.append(connection)
        }
        // The flood: every further connection is closed without an answer.
        for _ in 0..<6 {
            let extra = try RawConnection(port: port)
            await extra.send("GET /v2/health/live HTTP/1.1\r\nHost: x\r\n\r\n")
            let answer = await extra.receive(seconds: 10)
            #expect(answer.closed && !answer.text.contains("200 OK"), "a connection beyond the cap was served: \(answer.text)")
        }
        let state = try await serve.admin("GET", "/v1/state")
        #expect(state.status == 200, "the admin listener has its own cap")
        held.removeAll()
        try await serve.waitUntil("inference serves again") {
            try await serve.request("GET", serve.inferenceURL.appendingPathComponent("/v2/health/live")).status == 200
        }
    }

    @Test("request bodies held at once are bounded per listener: beyond serve.limits.bufferedMiB a body is answered 503, and the budget comes back")
    func bufferedBodiesAreBounded() async throws {
        let serve = try ServeHarness(extraConfig: "  limits:\n    bufferedMiB: 16\n    bodyTimeout: 60s")
        try await serve.start()
        defer { serve.forceStop() }
        let port = try #require(serve.inferenceURL.port)
        /// Sends a 4 MiB body on a new connection and returns the status line of the answer.
        func fourMiB() async throws -> String {
            let connection = try RawConnection(port: port)
            await connection.send("POST /v2/models/fraud/infer HTTP/1.1\r\nHost: x\r\nContent-Length: \(4 << 20)\r\n\r\n")
            await connection.send([UInt8](repeating: 0x20, count: 4 << 20))
            return await connection.receive(seconds: 15) { $0.contains("\r\n") }.text.components(separatedBy: "\r\n").first ?? ""
        }
        #expect(try await fourMiB().hasPrefix("HTTP/1.1 404"), "a body within the budget is read (for a model not served here)")
        // Two callers each send 7.5 MiB of a 10 MiB body and stall; once the server has read
        // what they sent, a third body does not fit. (A third sent while the second is still
        // arriving may win the race instead, so the scene is set again until it is clean.)
        var holders: [RawConnection] = []
        try await serve.waitUntil("a body beyond the budget is refused") {
            holders = []
            for _ in 0..<2 {
                let connection = try RawConnection(port: port)
                await connection.send("POST /v2/models/fraud/infer HTTP/1.1\r\nHost: x\r\nContent-Length: \(10 << 20)\r\n\r\n")
                await connection.send([UInt8](repeating: 0x20, count: 15 << 19))
                holders.append(connection)
            }
            try await Task.sleep(for: .milliseconds(300))
            return try await fourMiB().hasPrefix("HTTP/1.1 503 Service Unavailable")
        }
        // The holders give up: their bytes come back.
        holders.removeAll()
        try await serve.waitUntil("a body fits again") { try await fourMiB().hasPrefix("HTTP/1.1 404") }
    }

    @Test("an unauthenticated 16 MiB admin PUT or feedback POST is answered 401 from its head, before any body byte is sent, and closed")
    func authenticationBeforeBody() async throws {
        let serve = try ServeHarness()
        try await serve.start()
        defer { serve.forceStop() }
        let admin = try #require(serve.adminURL.port)
        let inference = try #require(serve.inferenceURL.port)
        let huge = 16 << 20
        let attacks = [
            (admin, "PUT /v1/spec HTTP/1.1\r\nHost: x\r\nContent-Length: \(huge)\r\n\r\n"),
            (admin, "PUT /v1/spec HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer wrong\r\nContent-Length: \(huge)\r\n\r\n"),
            (inference, "POST /v2/models/fraud/feedback HTTP/1.1\r\nHost: x\r\nContent-Length: \(huge)\r\n\r\n"),
        ]
        for (port, head) in attacks {
            let connection = try RawConnection(port: port)
            await connection.send(head)
            // Only the head was sent: an answer now means the body was never waited for.
            let answer = await connection.receive(seconds: 15)
            #expect(answer.text.hasPrefix("HTTP/1.1 401 Unauthorized\r\n"), "\(head): \(answer.text)")
            #expect(answer.text.contains("connection: close"))
            #expect(answer.closed, "the connection is closed after the 401")
        }
        // With the token, admin and feedback bodies are still capped at 1 MiB (from the head).
        let feedbackToken = try String(contentsOf: serve.directory.appendingPathComponent("state/feedback-token"), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        for (port, head) in [
            (admin, "PUT /v1/spec HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(serve.token)\r\nContent-Length: \(2 << 20)\r\n\r\n"),
            (inference, "POST /v2/models/fraud/feedback HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(feedbackToken)\r\nContent-Length: \(2 << 20)\r\n\r\n"),
        ] {
            let connection = try RawConnection(port: port)
            await connection.send(head)
            let answer = await connection.receive(seconds: 15)
            #expect(answer.text.hasPrefix("HTTP/1.1 413 Payload Too Large\r\n"), "\(answer.text)")
        }
    }

    @Test("two pipelined requests whose second is too large: the first gets its 200 answer, then the 413")
    func pipelinedRefusalKeepsEarlierAnswer() async throws {
        let serve = try ServeHarness()
        try await serve.start()
        defer { serve.forceStop() }
        let connection = try RawConnection(port: try #require(serve.adminURL.port))
        // The first request is answered asynchronously, so the second is refused while it is in flight.
        await connection.send(
            "GET /v1/state HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(serve.token)\r\n\r\n"
                + "PUT /v1/spec HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(serve.token)\r\nContent-Length: \(17 << 20)\r\n\r\n")
        let answer = await connection.receive(seconds: 15)
        // Responses follow each other directly: a body is not followed by a line break.
        let statusLines = answer.text.components(separatedBy: "HTTP/1.1 ").dropFirst().map { "HTTP/1.1 " + ($0.components(separatedBy: "\r\n").first ?? "") }
        #expect(statusLines == ["HTTP/1.1 200 OK", "HTTP/1.1 413 Payload Too Large"], "\(answer.text)")
        #expect(answer.text.contains("\"models\""), "the first answer is the state")
    }

    // MARK: - tokens

    @Test("the bearer scheme is matched case-insensitively; a wrong token is still refused")
    func bearerSchemeCase() async throws {
        let serve = try ServeHarness()
        try await serve.start()
        defer { serve.forceStop() }
        for scheme in ["Bearer", "bearer", "BEARER", "bEaReR"] {
            let response = try await serve.request("GET", serve.adminURL.appendingPathComponent("/v1/state"), headers: ["Authorization": "\(scheme) \(serve.token)"])
            #expect(response.status == 200, "\(scheme)")
        }
        for value in ["bearer wrong", "Basic \(serve.token)", "Bearer\(serve.token)", serve.token] {
            let response = try await serve.request("GET", serve.adminURL.appendingPathComponent("/v1/state"), headers: ["Authorization": value])
            #expect(response.status == 401, "\(value)")
        }
    }

    @Test("/metrics is open by default and needs its own token when serve.metrics names one")
    func metricsToken() async throws {
        let open = try ServeHarness()
        try await open.start()
        let plain = try await open.request("GET", open.inferenceURL.appendingPathComponent("/metrics"))
        await open.stop()
        #expect(plain.status == 200)

        let guarded = try ServeHarness(extraConfig: "  metrics:\n    tokenFile: metrics-token")
        try "scrape-token-7\n".write(to: guarded.directory.appendingPathComponent("metrics-token"), atomically: true, encoding: .utf8)
        chmod(guarded.directory.appendingPathComponent("metrics-token").path, 0o600)
        try await guarded.start()
        defer { guarded.forceStop() }
        let url = guarded.inferenceURL.appendingPathComponent("/metrics")
        #expect(try await guarded.request("GET", url).status == 401)
        #expect(try await guarded.request("GET", url, headers: ["Authorization": "Bearer wrong"]).status == 401)
        #expect(try await guarded.request("GET", url, headers: ["Authorization": "Bearer \(guarded.token)"]).status == 401, "the admin token is not the metrics token")
        let scraped = try await guarded.request("GET", url, headers: ["Authorization": "bearer scrape-token-7"])
        #expect(scraped.status == 200)
        #expect(scraped.text.contains("sluice_"))
    }
}

/// The controller's API shares the listener code: its token is checked on the head, and
/// its `/metrics` can need a token too.
@Suite("hardening: controller API", .serialized, .timeLimit(.minutes(10)))
struct ControllerAPIHardeningTests {
    @Test("the controller's /metrics needs its token when metricsTokenFile is set; /v1 refuses a 16 MiB body from its head; bearer in any case")
    func controllerAPI() async throws {
        let harness = try ControllerHarness(controllerExtra: "  metricsTokenFile: controller-metrics-token")
        try "controller-scrape-9\n".write(to: harness.directory.appendingPathComponent("controller-metrics-token"), atomically: true, encoding: .utf8)
        chmod(harness.directory.appendingPathComponent("controller-metrics-token").path, 0o600)
        try harness.repo.commit("one model", files: [
            "manifests/fraud.yaml": ControllerHarness.fraud([("v1", "fraud-v2.1.json")], traffic: ["v1": 100]),
        ])
        try harness.start("serve")
        try harness.start("controller")
        defer { harness.forceStop("controller"); harness.forceStop("serve") }
        func get(_ path: String, _ authorization: String?) async throws -> Int {
            var request = URLRequest(url: try harness.url(harness.controllerPort, path))
            if let authorization { request.setValue(authorization, forHTTPHeaderField: "Authorization") }
            let (_, response) = try await ServeHarness.data(for: request)
            return try #require(response as? HTTPURLResponse).statusCode
        }
        try await harness.waitUntil("the controller listens") { try await get("/healthz", nil) == 200 }
        #expect(try await get("/metrics", nil) == 401)
        #expect(try await get("/metrics", "Bearer \(harness.token)") == 401, "the API token is not the metrics token")
        #expect(try await get("/metrics", "BEARER controller-scrape-9") == 200)
        #expect(try await get("/v1/status", "bearer \(harness.token)") == 200)

        let connection = try RawConnection(port: harness.controllerPort)
        await connection.send("POST /v1/models/fraud/abort HTTP/1.1\r\nHost: x\r\nContent-Length: \(16 << 20)\r\n\r\n")
        let answer = await connection.receive(seconds: 15)
        #expect(answer.text.hasPrefix("HTTP/1.1 401 Unauthorized\r\n"), "\(answer.text)")
        #expect(answer.closed)
    }
}
