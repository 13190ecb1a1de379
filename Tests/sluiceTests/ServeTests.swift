import Foundation
import SluiceTestSupport
import Testing

/// `sluice serve` end to end: the real binary, real python model servers, loopback HTTP.
@Suite("sluice serve", .serialized, .timeLimit(.minutes(10)))
struct ServeTests {
    @Test("90/10 weights route within statistical bounds, and the response names the version")
    func weightedSplit() async throws {
        let serve = try ServeHarness()
        try await serve.start()
        defer { serve.forceStop() }
        try await serve.apply(ServeHarness.fraudSpec(weights: ["v1": 90, "v2": 10]))
        try await serve.waitReady("fraud", ["v1", "v2"])
        var counts: [String: Int] = [:]
        let total = 1000
        try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    var seen: [String] = []
                    for _ in 0..<(total / 8) {
                        let response = try await serve.infer("fraud")
                        guard response.status == 200 else { throw HarnessError("status \(response.status): \(response.text)") }
                        seen.append(response.header("x-sluice-version") ?? "?")
                    }
                    return seen.joined(separator: ",")
                }
            }
            for try await batch in group {
                for version in batch.split(separator: ",") { counts[String(version), default: 0] += 1 }
            }
        }
        // Binomial(1000, 0.1): sd ≈ 9.5; ±5 sd keeps a false failure below one in a million.
        let canary = counts["v2", default: 0]
        #expect(counts["v1", default: 0] + canary == total)
        #expect((52...148).contains(canary), "v2 got \(canary) of \(total)")
    }

    @Test("a sticky key never changes version while the weights hold")
    func stickyKey() async throws {
        let serve = try ServeHarness()
        try await serve.start()
        defer { serve.forceStop() }
        try await serve.apply(ServeHarness.fraudSpec(weights: ["v1": 50, "v2": 50], sticky: "x-user-id"))
        try await serve.waitReady("fraud", ["v1", "v2"])
        var assignment: [String: Set<String>] = [:]
        for round in 0..<5 {
            for user in 0..<40 {
                let response = try await serve.infer("fraud", headers: ["x-user-id": "user-\(user)"])
                #expect(response.status == 200, "round \(round): \(response.text)")
                assignment["user-\(user)", default: []].insert(response.header("x-sluice-version") ?? "?")
            }
        }
        #expect(assignment.values.allSatisfy { $0.count == 1 }, "a user moved: \(assignment.filter { $0.value.count > 1 })")
        let versions = Set(assignment.values.flatMap { $0 })
        #expect(versions == ["v1", "v2"], "40 users at 50/50 should reach both versions")
    }

    @Test("a weight change applies at once and fails no in-flight request")
    func weightChangeUnderLoad() async throws {
        let serve = try ServeHarness()
        try await serve.start()
        defer { serve.forceStop() }
        try await serve.apply(ServeHarness.fraudSpec(weights: ["v1": 100, "v2": 0], runtimes: ["v1": "slow", "v2": "slow"]))
        try await serve.waitReady("fraud", ["v1", "v2"])
        let answered = AnswerCounter()
        let load = Task {
            try await withThrowingTaskGroup(of: [Int].self) { group in
                for _ in 0..<6 {
                    group.addTask {
                        var statuses: [Int] = []
                        for _ in 0..<12 {
                            statuses.append(try await serve.infer("fraud").status)
                            await answered.add()
                        }
                        return statuses
                    }
                }
                var all: [Int] = []
                for try await statuses in group { all += statuses }
                return all
            }
        }
        // The switch comes once the load is under way (and while most of it is still to come).
        try await serve.waitUntil("the load under way", seconds: 120) { await answered.count >= 6 }
        try await serve.apply(ServeHarness.fraudSpec(weights: ["v1": 0, "v2": 100], runtimes: ["v1": "slow", "v2": "slow"], revision: "r2"))
        let after = try await serve.infer("fraud")
        #expect(after.header("x-sluice-version") == "v2")
        let statuses = try await load.value
        #expect(statuses.count == 72)
        #expect(statuses.allSatisfy { $0 == 200 }, "failed during the switch: \(statuses.filter { $0 != 200 })")
    }

    /// Counts answers across the load's tasks.
    actor AnswerCounter {
        private(set) var count = 0
        func add() { count += 1 }
    }

    @Test("a version killed with SIGKILL is restarted and gets no traffic until ready again")
    func killedVersionRestarts() async throws {
        let serve = try ServeHarness()
        try await serve.start()
        defer { serve.forceStop() }
        try await serve.apply(ServeHarness.fraudSpec(weights: ["v1": 50, "v2": 50], runtimes: ["v2": "slow-start"]))
        try await serve.waitReady("fraud", ["v1", "v2"])
        let pid = try #require(try await serve.version("fraud", "v2")["pid"] as? Int)
        // A child of `sluice serve`, not ours: signalled only while the pid still names it.
        #expect(ForeignProcess(Int32(pid))?.signal(SIGKILL) == true)
        // The restarted process takes 1.5 s to become ready: until then v1 serves all.
        var servedBy: [String] = []
        var sawRestartedNotReady = false
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline {
            let response = try await serve.infer("fraud")
            #expect(response.status == 200, "\(response.status): \(response.text)")
            let state = try await serve.version("fraud", "v2")
            let ready = state["ready"] as? Bool ?? false
            let version = response.header("x-sluice-version") ?? "?"
            if !ready {
                #expect(version == "v1", "v2 got traffic while not ready")
                if (state["restarts"] as? Int ?? 0) >= 1 { sawRestartedNotReady = true }
            }
            servedBy.append(version)
            if ready, (state["pid"] as? Int).map({ $0 != pid }) == true, sawRestartedNotReady { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        let state = try await serve.version("fraud", "v2")
        #expect(state["ready"] as? Bool == true)
        #expect(state["restarts"] as? Int == 1)
        #expect(state["lastExit"] as? String == "killed by signal 9")
        #expect(sawRestartedNotReady)
        try #require(state["pid"] as? Int != pid)
        var counts: [String: Int] = [:]
        for _ in 0..<60 { counts[try await serve.infer("fraud").header("x-sluice-version") ?? "?", default: 0] += 1 }
        #expect(counts["v2", default: 0] > 0, "v2 gets traffic again once ready: \(counts)")
    }

    @Test("a version that never becomes ready gets no traffic and is reported")
    func neverReady() async throws {
        let serve = try ServeHarness(startTimeout: "2s")
        try await serve.start()
        defer { serve.forceStop() }
        try await serve.apply(ServeHarness.fraudSpec(weights: ["v1": 50, "v2": 50], runtimes: ["v2": "never-ready"]))
        try await serve.waitReady("fraud", ["v1"])
        for _ in 0..<40 {
            let response = try await serve.infer("fraud")
            #expect(response.status == 200)
            #expect(response.header("x-sluice-version") == "v1")
        }
        let pinned = try await serve.infer("fraud", version: "v2")
        #expect(pinned.status == 503)
        #expect(pinned.json?["error"] as? String == "version 'v2' of model 'fraud' is not ready")
        let header = try await serve.infer("fraud", headers: ["x-sluice-version": "v2"])
        #expect(header.status == 503)
        try await serve.waitUntil("v2 reported as failing its start", seconds: 120) {
            let state = try await serve.version("fraud", "v2")
            return (state["restarts"] as? Int ?? 0) >= 1 && (state["message"] as? String)?.contains("not ready within 2s") == true
        }
        let model = try await serve.state("fraud")
        let effective = model["effectiveWeights"] as? [String: Double]
        #expect(effective?["v1"] == 100)
        #expect(effective?["v2"] == 0)
    }

    @Test("a malformed runtime spec is refused with a clear error and the previous one stays in force")
    func malformedSpec() async throws {
        let serve = try ServeHarness()
        try await serve.start()
        defer { serve.forceStop() }
        try await serve.apply(ServeHarness.fraudSpec(weights: ["v1": 100]))
        try await serve.waitReady("fraud", ["v1"])
        let cases: [(String, String)] = [
            ("{\"models\": [", "not JSON: line 1, column 13"),
            (ServeHarness.fraudSpec(weights: ["v1": 60, "v2": 30]), "models[0].route.weights: weights sum to 90; they must sum to 100"),
            (#"{"models":[{"name":"fraud","versions":[{"name":"v1","runtime":"python-v2","artifact":"../../etc/passwd"}],"route":{"weights":{"v1":100}}}]}"#,
             "models[0].versions[0].artifact: artifact '../../etc/passwd' resolves outside the artifact root"),
            (#"{"models":[{"name":"fraud","versions":[{"name":"v1","runtime":"gpu-triton","artifact":"models/fraud-v2.1.json"}],"route":{"weights":{"v1":100}}}]}"#,
             "models[0].versions[0].runtime: runtime 'gpu-triton' is not defined in the data plane's config"),
            (#"{"models":[{"name":"fraud","versions":[{"name":"v1","runtime":"python-v2","artifact":"models/fraud-v2.1.json"}],"route":{"wieghts":{"v1":100}}}]}"#,
             "models[0].route.wieghts: unknown field"),
        ]
        for (body, expected) in cases {
            let response = try await serve.admin("PUT", "/v1/spec", body: body)
            #expect(response.status == 400)
            let issues = (response.json?["issues"] as? [[String: String]] ?? []).map { "\($0["field"] ?? ""): \($0["message"] ?? "")" }
            let rendered = issues.map { $0.hasPrefix(": ") ? String($0.dropFirst(2)) : $0 }
            #expect(rendered.contains { $0.hasPrefix(expected) }, "\(expected) not in \(rendered)")
        }
        let spec = try await serve.admin("GET", "/v1/spec")
        #expect(spec.text.contains("\"revision\": \"r1\""))
        let response = try await serve.infer("fraud")
        #expect(response.status == 200)
        #expect(response.header("x-sluice-version") == "v1")
    }

    @Test(
        "SIGTERM while requests are under way: each gets its model server's answer, then sluice serve stops its children and exits 0",
        arguments: ["epoll", "nio"])
    func gracefulStopAnswersRequestsUnderWay(engine: String) async throws {
        // Answers take 4.5 s; SIGTERM comes 1 s after the requests are sent, while they wait on
        // the model server. The gateway's drain (drainTimeout 5 s in the harness) holds the
        // model servers' stop until they are answered: stopped at once, a model server would
        // be killed 3 s later (stopTimeout), before its answers. On both gateway engines.
        let runtimes = """
              slower:
                command: [python3, \(ServeHarness.server), --model-file, "{artifact}", --port, "{port}", --name, "{model}", --version, "{version}"]
                env: {SLUICE_FAULT_LATENCY_MS: "4500"}
            """
        let serve = try ServeHarness(extraConfig: "  gatewayEngine: \(engine)", extraRuntimes: runtimes)
        try await serve.start()
        defer { serve.forceStop() }
        try await serve.apply(ServeHarness.fraudSpec(weights: ["v1": 100, "v2": 0], runtimes: ["v1": "slower", "v2": "slower"]))
        try await serve.waitReady("fraud", ["v1", "v2"])
        let pid = try #require(try await serve.version("fraud", "v1")["pid"] as? Int)
        let server = ForeignProcess(Int32(pid))
        let calls = (0..<4).map { _ in Task { try await serve.infer("fraud") } }
        try await Task.sleep(for: .seconds(1))
        let stopped = Task { await serve.stop(signal: SIGTERM) }
        for call in calls {
            let answer = try await call.value
            #expect(answer.status == 200, "\(answer.text)")
            #expect(answer.header("x-sluice-version") == "v1")
            #expect(answer.header("connection")?.lowercased() == "close", "the last answer on its connection says so")
        }
        #expect(await stopped.value == 0, "a graceful stop exits 0")
        if let server { #expect(!server.isRunning, "model server \(server) outlived sluice serve") }
    }

    @Test("a restarted sluice serve restores its routes from disk and stops its children on SIGTERM")
    func restartRestores() async throws {
        let serve = try ServeHarness()
        try await serve.start()
        try await serve.apply(ServeHarness.fraudSpec(weights: ["v1": 0, "v2": 100]))
        try await serve.waitReady("fraud", ["v1", "v2"])
        // Named by pid and start time: once reaped, a pid may be another process's.
        let servers = [try await serve.version("fraud", "v1")["pid"] as? Int, try await serve.version("fraud", "v2")["pid"] as? Int].compactMap { $0.flatMap { ForeignProcess(Int32($0)) } }
        #expect(servers.count == 2)
        #expect(await serve.stop(signal: SIGTERM) == 0, "a graceful stop exits 0")
        for server in servers { #expect(!server.isRunning, "model server \(server) outlived sluice serve") }
        try await serve.start()
        defer { serve.forceStop() }
        try await serve.waitReady("fraud", ["v1", "v2"])
        let response = try await serve.infer("fraud")
        #expect(response.status == 200)
        #expect(response.header("x-sluice-version") == "v2")
        #expect(try await serve.state("fraud")["weights"] as? [String: Int] == ["v1": 0, "v2": 100])
    }

    @Test("sluice serve killed with SIGKILL leaves no model server behind")
    func noOrphans() async throws {
        let serve = try ServeHarness()
        try await serve.start()
        try await serve.apply(ServeHarness.fraudSpec(weights: ["v1": 50, "v2": 50]))
        try await serve.waitReady("fraud", ["v1", "v2"])
        let servers = [try await serve.version("fraud", "v1")["pid"] as? Int, try await serve.version("fraud", "v2")["pid"] as? Int].compactMap { $0.flatMap { ForeignProcess(Int32($0)) } }
        #expect(servers.count == 2)
        await serve.stop(signal: SIGKILL)
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline, servers.contains(where: \.isRunning) {
            try await Task.sleep(for: .milliseconds(50))
        }
        for server in servers { #expect(!server.isRunning, "model server \(server) orphaned") }
    }

    @Test("the admin API refuses a request without the right token, and the inference listener has no admin routes")
    func adminToken() async throws {
        let serve = try ServeHarness()
        try await serve.start()
        defer { serve.forceStop() }
        let missing = try await serve.admin("GET", "/v1/state", token: "")
        #expect(missing.status == 401)
        #expect(missing.header("www-authenticate")?.hasPrefix("Bearer") == true)
        let wrong = try await serve.admin("PUT", "/v1/spec", body: ServeHarness.fraudSpec(weights: ["v1": 100]), token: "guess")
        #expect(wrong.status == 401)
        #expect(try await serve.admin("GET", "/v1/spec").status == 404, "nothing was applied")
        let onInference = try await serve.request("PUT", serve.inferenceURL.appendingPathComponent("/v1/spec"), body: Data("{}".utf8))
        #expect(onInference.status == 404)
        #expect(!serve.serveLog.contains(serve.token))
    }

    @Test("gateway errors: bad JSON 400, unknown model 404, upstream 500 passed on and counted")
    func gatewayErrors() async throws {
        let serve = try ServeHarness()
        try await serve.start()
        defer { serve.forceStop() }
        try await serve.apply(ServeHarness.fraudSpec(weights: ["v1": 100, "v2": 0], runtimes: ["v2": "failing"]))
        try await serve.waitReady("fraud", ["v1", "v2"])
        let bad = try await serve.request("POST", serve.inferenceURL.appendingPathComponent("/v2/models/fraud/infer"), body: Data("{\"inputs\": [1,".utf8))
        #expect(bad.status == 400)
        #expect(bad.json?["error"] as? String == "request body is not JSON: line 1, column 15: expected a value, found the end of the document", "\(bad.text)")
        let unknown = try await serve.infer("nope")
        #expect(unknown.status == 404)
        #expect(unknown.json?["error"] as? String == "model 'nope' is not served here")
        let unknownVersion = try await serve.infer("fraud", version: "v9")
        #expect(unknownVersion.status == 404)
        let failing = try await serve.infer("fraud", version: "v2")
        #expect(failing.status == 500)
        #expect(failing.header("x-sluice-version") == "v2")
        #expect(try await serve.infer("fraud").status == 200)
        let live = try await serve.request("GET", serve.inferenceURL.appendingPathComponent("/v2/health/live"))
        #expect(live.status == 200)
        let ready = try await serve.request("GET", serve.inferenceURL.appendingPathComponent("/v2/models/fraud/ready"))
        #expect(ready.status == 200)
        let metadata = try await serve.request("GET", serve.inferenceURL.appendingPathComponent("/v2/models/fraud"))
        #expect(metadata.status == 200)
        #expect(metadata.json?["name"] as? String == "fraud")
        let stats = try await serve.admin("GET", "/v1/stats")
        let v2 = ((stats.json?["models"] as? [String: Any])?["fraud"] as? [String: Any])?["v2"] as? [String: Any]
        #expect(v2?["errors"] as? Int == 1, "\(stats.text)")
        #expect((v2?["status"] as? [String: Int])?["5xx"] == 1)
        let metrics = try await serve.request("GET", serve.inferenceURL.appendingPathComponent("/metrics"))
        #expect(metrics.text.contains("sluice_version_ready{model=\"fraud\",version=\"v2\"} 1"))
    }

    @Test("mirroring sends copies to a version without returning its answers; copies are counted apart, so served requests sum to the calls made; a version the next spec drops keeps its numbers, marked removed")
    func mirror() async throws {
        let serve = try ServeHarness()
        try await serve.start()
        defer { serve.forceStop() }
        try await serve.apply(ServeHarness.fraudSpec(weights: ["v1": 100, "v2": 0], mirror: ("v2", 100)))
        try await serve.waitReady("fraud", ["v1", "v2"])
        let calls = 20
        for _ in 0..<calls {
            let response = try await serve.infer("fraud")
            #expect(response.header("x-sluice-version") == "v1")
        }
        func versions() async throws -> [String: [String: Any]] {
            let stats = try await serve.admin("GET", "/v1/stats")
            let fraud = (stats.json?["models"] as? [String: Any])?["fraud"] as? [String: Any] ?? [:]
            return fraud.compactMapValues { $0 as? [String: Any] }
        }
        try await serve.waitUntil("mirrored copies counted", seconds: 120) {
            try await versions()["v2"]?["mirrored"] as? Int == calls
        }

        // /v1/stats: served requests over versions sum to the calls made; the copies are apart.
        let stats = try await versions()
        let v1 = try #require(stats["v1"]), v2 = try #require(stats["v2"])
        #expect(stats.values.reduce(0) { $0 + ($1["requests"] as? Int ?? 0) } == calls, "\(stats)")
        #expect(stats.values.reduce(0) { $0 + ((($1["window"] as? [String: Any])?["requests"]) as? Int ?? 0) } == calls)
        #expect(v1["requests"] as? Int == calls && v1["mirrored"] as? Int == 0)
        #expect(v2["requests"] as? Int == 0 && (v2["status"] as? [String: Int])?["2xx"] == 0)
        #expect((v2["mirroredStatus"] as? [String: Int])?["2xx"] == calls && v2["mirroredErrors"] as? Int == 0)
        #expect((v2["window"] as? [String: Any])?["mirrored"] as? Int == calls)

        // /metrics: sluice_requests_total summed over versions and classes is the calls made.
        let text = try await serve.request("GET", serve.inferenceURL.appendingPathComponent("/metrics")).text
        let parsed = ParsedExposition(text)
        let served = parsed.samples.filter { $0.name == "sluice_requests_total" && $0.labels["model"] == "fraud" }.reduce(0) { $0 + $1.value }
        #expect(served == Double(calls), "\(text)")
        #expect(parsed.value("sluice_mirrored_requests_total", ["model": "fraud", "version": "v2"]) == Double(calls))
        #expect(parsed.value("sluice_mirrored_requests_total", ["model": "fraud", "version": "v1"]) == 0)
        #expect(parsed.histogram("sluice_mirrored_request_duration_seconds", ["model": "fraud", "version": "v2"]).count == Double(calls))
        #expect(parsed.histogram("sluice_request_duration_seconds", ["model": "fraud", "version": "v2"]).count == 0)

        // A spec without v2 (as after an aborted candidate): its numbers stay readable, marked removed.
        try await serve.apply(ServeHarness.fraudSpec(weights: ["v1": 100], revision: "r2"))
        let after = try await versions()
        let removed = try #require(after["v2"], "v2's statistics disappeared: \(after)")
        #expect(removed["removed"] as? Bool == true)
        #expect((removed["removedAt"] as? String).flatMap { ISO8601DateFormatter().date(from: $0) } != nil, "\(removed)")
        #expect(removed["mirrored"] as? Int == calls)
        #expect(after["v1"]?["removed"] as? Bool == false && after["v1"]?["requests"] as? Int == calls)
    }

    @Test("a process that keeps exiting is reported as CrashLoopBackOff; a missing program as Failed")
    func crashLoop() async throws {
        let serve = try ServeHarness()
        try await serve.start()
        defer { serve.forceStop() }
        try await serve.apply(ServeHarness.fraudSpec(weights: ["v1": 100, "v2": 0], runtimes: ["v1": "exits", "v2": "missing-program"]))
        try await serve.waitUntil("v1 crash-looping", seconds: 120) {
            try await serve.version("fraud", "v1")["state"] as? String == "CrashLoopBackOff"
        }
        let v1 = try await serve.version("fraud", "v1")
        #expect(v1["lastExit"] as? String == "exit code 3")
        #expect((v1["restarts"] as? Int ?? 0) >= 3)
        let v2 = try await serve.version("fraud", "v2")
        #expect(v2["state"] as? String == "Failed")
        #expect((v2["message"] as? String)?.hasPrefix("cannot start '/nonexistent/model-server': not found") == true, "\(v2)")
        let response = try await serve.infer("fraud")
        #expect(response.status == 503)
        #expect(response.json?["error"] as? String == "model 'fraud' has no ready version")
        let ready = try await serve.request("GET", serve.inferenceURL.appendingPathComponent("/v2/health/ready"))
        #expect(ready.status == 503)
        #expect(try await serve.state("fraud")["ready"] as? Bool == false)
    }

    @Test("a new artifact for a serving version starts a new process; the old one serves until it is ready")
    func handover() async throws {
        let serve = try ServeHarness()
        try await serve.start()
        defer { serve.forceStop() }
        let first = #"{"revision":"r1","models":[{"name":"fraud","versions":[{"name":"v1","runtime":"python-v2","artifact":"models/fraud-v2.1.json"}],"route":{"weights":{"v1":100}}}]}"#
        try await serve.apply(first)
        try await serve.waitReady("fraud", ["v1"])
        let oldPID = try #require(try await serve.version("fraud", "v1")["pid"] as? Int)
        let old = try #require(ForeignProcess(Int32(oldPID)))
        let second = #"{"revision":"r2","models":[{"name":"fraud","versions":[{"name":"v1","runtime":"slow-start","artifact":"models/fraud-v2.2.json"}],"route":{"weights":{"v1":100}}}]}"#
        try await serve.apply(second)
        var statuses: [Int] = []
        var answeredWhileStarting = 0
        var newPID: Int?
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline {
            let status = try await serve.infer("fraud").status
            statuses.append(status)
            let state = try await serve.version("fraud", "v1")
            if state["ready"] as? Bool == true, let pid = state["pid"] as? Int, pid != oldPID {
                newPID = pid
                break
            }
            if status == 200 { answeredWhileStarting += 1 }
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(newPID != nil)
        #expect(answeredWhileStarting > 0, "the old process answers while the new one (1.5 s to become ready) starts")
        #expect(statuses.allSatisfy { $0 == 200 }, "\(statuses.filter { $0 != 200 })")
        try await serve.waitUntil("the old process stopped", seconds: 120) { !old.isRunning }
        let response = try await serve.infer("fraud")
        #expect(response.status == 200)
        #expect(response.json?["model_version"] as? String == "v1")
    }

    @Test("the gateway forwards end-to-end headers, sets Host and a request id, and drops hop-by-hop headers")
    func forwardedHeaders() async throws {
        let serve = try ServeHarness()
        let port = freePortBlock(in: 20000..<26900, size: 1)
        let echo = SpawnedProcess()
        echo.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        echo.arguments = ["python3", SluiceBinary.packageRoot.appendingPathComponent("Tests/sluiceTests/Fixtures/echo_upstream.py").path, String(port)]
        try echo.run()
        // SIGKILL: a child of the test process may inherit a mask that blocks SIGTERM.
        defer { echo.signal(SIGKILL) }
        try await serve.start()
        defer { serve.forceStop() }
        try await serve.apply(#"{"models":[{"name":"echo","versions":[{"name":"ext","endpoint":"http://127.0.0.1:\#(port)"}],"route":{"weights":{"ext":100}}}]}"#)
        try await serve.waitReady("echo", ["ext"])
        let response = try await serve.request(
            "POST", serve.inferenceURL.appendingPathComponent("/v2/models/echo/infer"), body: ServeHarness.fraudBody,
            headers: ["x-request-id": "req-42", "x-tenant": "blue", "proxy-authorization": "Basic c2VjcmV0", "keep-alive": "timeout=5"]
        )
        #expect(response.status == 200)
        let seen = try #require(response.json)
        let headers = try #require(seen["headers"] as? [String: String])
        #expect(headers["host"] == "127.0.0.1:\(port)")
        // The gateway's own id goes upstream; the caller's travels beside it.
        let issued = try #require(headers["x-request-id"])
        #expect(issued.count == 32 && issued != "req-42")
        #expect(headers["x-client-request-id"] == "req-42")
        #expect(headers["x-tenant"] == "blue")
        #expect(headers["x-forwarded-for"] == "127.0.0.1")
        #expect(headers["proxy-authorization"] == nil)
        #expect(headers["keep-alive"] == nil)
        #expect(headers["content-length"] == String(ServeHarness.fraudBody.count))
        #expect(seen["path"] as? String == "/v2/models/echo/infer")
        #expect(seen["body"] as? String == String(decoding: ServeHarness.fraudBody, as: UTF8.self))
        #expect(response.header("x-request-id") == issued)
        #expect(response.header("x-client-request-id") == "req-42")
        #expect(response.header("x-upstream-only") == "yes")
        #expect(response.header("x-sluice-version") == "ext")
        let generated = try await serve.infer("echo")
        #expect(generated.header("x-request-id")?.count == 32)
    }

    @Test("pipelined requests are answered in order on one connection; a malformed request gets 400 and a close")
    func rawHTTP() async throws {
        let serve = try ServeHarness()
        try await serve.start()
        defer { serve.forceStop() }
        let port = try #require(serve.inferenceURL.port)
        /// Sends `payload` on a new connection and returns everything received until it closes.
        func exchange(_ payload: String) async throws -> String {
            let connection = try RawConnection(port: port)
            await connection.send(payload)
            return await connection.receive(seconds: 30).text
        }
        let pipelined = try await exchange("GET /v2/health/live HTTP/1.1\r\nHost: x\r\n\r\nGET /v2 HTTP/1.1\r\nHost: x\r\n\r\nGET /v2/health/live HTTP/1.0\r\n\r\n")
        // Responses follow each other directly: a body is not followed by a line break.
        let statusLines = pipelined.components(separatedBy: "HTTP/1.").dropFirst().map { "HTTP/1." + ($0.components(separatedBy: "\r\n").first ?? "") }
        #expect(statusLines == ["HTTP/1.1 200 OK", "HTTP/1.1 200 OK", "HTTP/1.0 200 OK"])
        #expect(pipelined.contains("{\"live\":true}"))
        let metadata = try #require(pipelined.range(of: "\"name\":\"sluice\""))
        let live = try #require(pipelined.range(of: "{\"live\":true}"))
        #expect(metadata.lowerBound > live.lowerBound)
        #expect(pipelined.hasSuffix("{\"live\":true}"), "HTTP/1.0 closes after its answer")
        let malformed = try await exchange("NOT HTTP AT ALL\r\n\r\n")
        #expect(malformed.hasPrefix("HTTP/1.1 400 Bad Request\r\n"))
        let unharmed = try await serve.request("GET", serve.inferenceURL.appendingPathComponent("/v2/health/live"))
        #expect(unharmed.status == 200, "the listener is unharmed")
    }
}
