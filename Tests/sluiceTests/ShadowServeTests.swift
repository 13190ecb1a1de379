import Foundation
import SluiceCore
import SluiceTestSupport
import Testing

/// Shadow pairing in `sluice serve` end to end: a route whose mirror has `pairing` (what a
/// shadow step applies), real python model servers, loopback HTTP. Callers only ever get the
/// stable version's answers; the candidate's answers to the copies are compared with them.
@Suite("sluice serve: shadow pairing", .serialized, .timeLimit(.minutes(10)))
struct ShadowServeTests {
    /// Iris measurements (sepal length, sepal width, petal length, petal width): four of each
    /// species from the Iris data set.
    static let irisInputs: [[Double]] = [
        [5.1, 3.5, 1.4, 0.2], [4.9, 3.0, 1.4, 0.2], [4.7, 3.2, 1.3, 0.2], [5.0, 3.6, 1.4, 0.2],
        [7.0, 3.2, 4.7, 1.4], [6.4, 3.2, 4.5, 1.5], [5.5, 2.3, 4.0, 1.3], [5.7, 2.8, 4.5, 1.3],
        [6.3, 3.3, 6.0, 2.5], [5.8, 2.7, 5.1, 1.9], [7.1, 3.0, 5.9, 2.1], [6.5, 3.0, 5.8, 2.2],
    ]

    /// House features (rooms, area m², age in years).
    static let houseInputs: [[Double]] = [[3, 85, 12], [5, 160, 3], [2, 48, 40], [4, 120, 25], [6, 210, 1]]

    /// A runtime spec: model `name` with v1 serving every request and v2 sent a copy of each,
    /// its answers paired with v1's at `tolerances`.
    static func spec(
        _ name: String, stable: String, candidate: String, candidateRuntime: String = "python-v2", tolerances: [Double] = [0], revision: String = "r1"
    ) -> String {
        let list = tolerances.map { "\($0)" }.joined(separator: ",")
        return #"""
            {"revision":"\#(revision)","models":[{"name":"\#(name)","versions":[
              {"name":"v1","runtime":"python-v2","artifact":"models/\#(stable)"},
              {"name":"v2","runtime":"\#(candidateRuntime)","artifact":"models/\#(candidate)"}],
             "route":{"weights":{"v1":100,"v2":0},"mirror":{"version":"v2","percent":100,"pairing":{"tolerances":[\#(list)]}}}}]}
            """#
    }

    static func body(_ features: [Double]) -> Data {
        Data(#"{"inputs":[{"name":"input-0","shape":[1,\#(features.count)],"datatype":"FP64","data":[\#(features.map { "\($0)" }.joined(separator: ","))]}]}"#.utf8)
    }

    /// Sends `count` requests cycling through `inputs`; every answer must be v1's 200.
    static func send(_ serve: ServeHarness, _ model: String, _ inputs: [[Double]], count: Int) async throws {
        for index in 0..<count {
            let response = try await serve.request(
                "POST", serve.inferenceURL.appendingPathComponent("/v2/models/\(model)/infer"), body: body(inputs[index % inputs.count]))
            #expect(response.status == 200, "\(response.text)")
            #expect(response.header("x-sluice-version") == "v1", "a caller got an answer from \(response.header("x-sluice-version") ?? "nobody")")
        }
    }

    /// `/v1/stats` decoded as the controller reads it.
    static func stats(_ serve: ServeHarness, window: Int = 300) async throws -> StatsSnapshot {
        // Not `admin(_:_:)`: a path with a query would have its "?" escaped.
        let url = try #require(URL(string: "\(serve.adminURL.absoluteString)/v1/stats?window=\(window)"))
        let response = try await serve.request("GET", url, headers: ["Authorization": "Bearer \(serve.token)"])
        return try JSONDecoder().decode(StatsSnapshot.self, from: response.body)
    }

    /// Waits until `pairs` copies of `model`'s v2 have both answers in, and returns v2's statistics.
    static func waitForAnswers(_ serve: ServeHarness, _ model: String, answered: Int) async throws -> VersionStats {
        var found: VersionStats?
        try await serve.waitUntil("\(answered) copies answered", seconds: 120) {
            found = try await stats(serve).models[model]?["v2"]
            return found?.shadow?.answered == answered
        }
        return try #require(found)
    }

    static func metrics(_ serve: ServeHarness) async throws -> ParsedExposition {
        let text = try await serve.request("GET", serve.inferenceURL.appendingPathComponent("/metrics")).text
        let parsed = ParsedExposition(text)
        #expect(parsed.problems == [], "\(text)")
        return parsed
    }

    /// iris-v1's class for `features`: the largest linear score (softmax keeps the order).
    static func irisClass(_ features: [Double]) throws -> String {
        let url = SluiceBinary.packageRoot.appendingPathComponent("examples/models/iris-v1.json")
        let model = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        let coef = try #require(model["coef"] as? [[Double]]), intercept = try #require(model["intercept"] as? [Double])
        let classes = try #require(model["classes"] as? [String])
        let scores = coef.indices.map { row in zip(coef[row], features).reduce(intercept[row]) { $0 + $1.0 * $1.1 } }
        let best = try #require(scores.indices.max { scores[$0] < scores[$1] })
        return classes[best]
    }

    @Test("a candidate identical to stable agrees on every pair at tolerance 0, and no caller got its answer: its served requests stay 0")
    func identicalCandidate() async throws {
        let serve = try ServeHarness()
        try await serve.start()
        defer { serve.forceStop() }
        try await serve.apply(Self.spec("iris", stable: "iris-v1.json", candidate: "iris-v1.json"))
        try await serve.waitReady("iris", ["v1", "v2"])
        let calls = 36
        try await Self.send(serve, "iris", Self.irisInputs, count: calls)

        let v2 = try await Self.waitForAnswers(serve, "iris", answered: calls)
        let shadow = try #require(v2.shadow)
        #expect(shadow.copies == calls && shadow.pairs == calls && shadow.shed == 0 && shadow.candidateErrors == 0 && shadow.incomparable == 0)
        #expect(shadow.agreement(tolerance: 0) == 1.0)
        #expect(shadow.meanAbsoluteError == nil, "class labels have no MAE")
        #expect(shadow.candidateLatency.count == calls && shadow.stableLatency.count == calls)
        #expect(v2.requests == 0 && v2.window.requests == 0, "no caller got the candidate's answer")
        #expect(v2.mirrored == calls)
        let snapshot = try await Self.stats(serve)
        #expect(snapshot.models["iris"]?["v1"]?.requests == calls && snapshot.models["iris"]?["v1"]?.shadow == nil)

        let metrics = try await Self.metrics(serve)
        let labels = ["model": "iris", "version": "v2"]
        #expect(metrics.value("sluice_shadow_copies_total", labels) == Double(calls))
        #expect(metrics.value("sluice_shadow_pairs_total", labels) == Double(calls))
        #expect(metrics.value("sluice_shadow_agreements_total", labels.merging(["tolerance": "0"]) { $1 }) == Double(calls))
        #expect(metrics.value("sluice_shadow_shed_total", labels) == 0)
        #expect(metrics.value("sluice_shadow_candidate_errors_total", labels) == 0)
    }

    @Test("a candidate with two classes swapped agrees only where stable answers the class it kept: the share of setosa among the inputs sent")
    func swappedCandidate() async throws {
        let serve = try ServeHarness()
        try await serve.start()
        defer { serve.forceStop() }
        try await serve.apply(Self.spec("iris", stable: "iris-v1.json", candidate: "iris-v2-swapped.json"))
        try await serve.waitReady("iris", ["v1", "v2"])
        let calls = 48
        try await Self.send(serve, "iris", Self.irisInputs, count: calls)
        let setosa = try (0..<calls).count(where: { try Self.irisClass(Self.irisInputs[$0 % Self.irisInputs.count]) == "setosa" })
        #expect(setosa > 0 && setosa < calls, "the inputs cover setosa and the swapped classes")

        let v2 = try await Self.waitForAnswers(serve, "iris", answered: calls)
        let shadow = try #require(v2.shadow)
        #expect(shadow.pairs == calls && shadow.candidateErrors == 0)
        #expect(shadow.agreement(tolerance: 0) == Double(setosa) / Double(calls), "\(shadow.agreements)")
        #expect(try #require(shadow.agreement(tolerance: 0)) < 0.5)
        #expect(v2.requests == 0)
    }

    @Test("a regression candidate 0.005 above stable: output_mae_vs_stable is 0.005; it agrees at tolerance 0.01 and not at 0")
    func regressionOffset() async throws {
        let serve = try ServeHarness()
        try await serve.start()
        defer { serve.forceStop() }
        try await serve.apply(Self.spec("house", stable: "house-price-v1.json", candidate: "house-price-v2-offset.json", tolerances: [0.01]))
        try await serve.waitReady("house", ["v1", "v2"])
        let calls = 25
        try await Self.send(serve, "house", Self.houseInputs, count: calls)

        let v2 = try await Self.waitForAnswers(serve, "house", answered: calls)
        let shadow = try #require(v2.shadow)
        #expect(shadow.pairs == calls && shadow.comparedValues == calls)
        let mae = try #require(shadow.meanAbsoluteError)
        #expect(abs(mae - 0.005) < 1e-6, "MAE \(mae)")
        #expect(shadow.agreement(tolerance: 0.01) == 1.0)
        #expect(shadow.agreement(tolerance: 0) == 0.0, "exact agreement is always counted")
        let metrics = try await Self.metrics(serve)
        #expect(metrics.value("sluice_shadow_agreements_total", ["model": "house", "version": "v2", "tolerance": "0.01"]) == Double(calls))
        #expect(metrics.value("sluice_shadow_agreements_total", ["model": "house", "version": "v2", "tolerance": "0"]) == 0)
    }

    @Test("a slow candidate (200 ms) under load: copies over the cap are shed and counted, every caller gets stable's 2xx, and memory stays flat between two load phases")
    func slowCandidate() async throws {
        let serve = try ServeHarness(extraConfig: "  maxMirroredInFlight: 2")
        try await serve.start()
        defer { serve.forceStop() }
        try await serve.apply(Self.spec("iris", stable: "iris-v1.json", candidate: "iris-v1.json", candidateRuntime: "slow"))
        try await serve.waitReady("iris", ["v1", "v2"])
        let pid = try #require(serve.process?.processIdentifier)
        let url = serve.inferenceURL.appendingPathComponent("/v2/models/iris/infer")

        func phase(_ requests: Int) async throws -> [(Int, String?)] {
            let load = LoadGenerator(url: url, body: Self.body(Self.irisInputs[0]), clients: 6)
            try await serve.waitUntil("\(requests) answers", seconds: 300) { load.answered.count >= requests }
            return await load.stop()
        }
        let first = try await phase(150)
        let afterFirst = try #require(Self.residentBytes(pid))
        let second = try await phase(450)
        let afterSecond = try #require(Self.residentBytes(pid))

        let answers = first + second
        #expect(answers.allSatisfy { $0.0 == 200 && $0.1 == "v1" }, "\(answers.filter { $0.0 != 200 || $0.1 != "v1" }.prefix(5))")
        // Generous: pair state lives only while a copy is in flight (at most 2 here).
        #expect(afterSecond < afterFirst + 48 << 20, "RSS grew from \(afterFirst >> 20) MiB to \(afterSecond >> 20) MiB")

        // Every caller's request was either copied or shed: the counts add up exactly.
        var v2: VersionStats?
        try await serve.waitUntil("every copy answered", seconds: 60) {
            v2 = try await Self.stats(serve).models["iris"]?["v2"]
            return v2?.shadow.map { $0.answered == $0.copies } ?? false
        }
        let shadow = try #require(v2?.shadow)
        #expect(shadow.shed > 0, "with 6 clients and copies taking 200 ms, a cap of 2 sheds")
        #expect(shadow.pairs == shadow.copies && shadow.agreement(tolerance: 0) == 1.0)
        #expect(v2?.requests == 0)
        // The counters since the start (the windows may not reach back that far).
        let metrics = try await Self.metrics(serve)
        let labels = ["model": "iris", "version": "v2"]
        let copies = try #require(metrics.value("sluice_shadow_copies_total", labels))
        let shed = try #require(metrics.value("sluice_shadow_shed_total", labels))
        #expect(copies + shed == Double(answers.count), "copies \(copies) + shed \(shed) against \(answers.count) calls")
        #expect(v2.map { Double($0.mirroredShed) } == shed)
    }

    @Test("a candidate that fails every copy, is killed, or never gets ready costs callers nothing: copies are candidate errors or not sent")
    func candidateDown() async throws {
        let serve = try ServeHarness()
        try await serve.start()
        defer { serve.forceStop() }
        // Failing: every copy answered 500 is a candidate error, no pair.
        try await serve.apply(Self.spec("iris", stable: "iris-v1.json", candidate: "iris-v1.json", candidateRuntime: "failing"))
        try await serve.waitReady("iris", ["v1", "v2"])
        try await Self.send(serve, "iris", Self.irisInputs, count: 12)
        let failing = try #require(try await Self.waitForAnswers(serve, "iris", answered: 12).shadow)
        #expect(failing.candidateErrors == 12 && failing.pairs == 0 && failing.candidateErrorRate == 1)

        // Killed: copies in the gap before the restart fail to connect or are not sent.
        let failingPid = try await serve.version("iris", "v2")["pid"] as? Int
        try await serve.apply(Self.spec("iris", stable: "iris-v1.json", candidate: "iris-v1.json", revision: "r2"))
        try await serve.waitUntil("v2 serves the healthy runtime", seconds: 120) {
            let v2 = try await serve.version("iris", "v2")
            return v2["ready"] as? Bool == true && (v2["pid"] as? Int).map { $0 > 0 && $0 != failingPid } == true
        }
        let before = try #require(try await Self.stats(serve).models["iris"]?["v2"]?.shadow)
        let victim = try #require(try await serve.version("iris", "v2")["pid"] as? Int)
        // A child of `sluice serve`, not ours: signalled only while the pid still names it.
        #expect(ForeignProcess(Int32(victim))?.signal(SIGKILL) == true)
        try await Self.send(serve, "iris", Self.irisInputs, count: 24)
        var after: ShadowTally?
        try await serve.waitUntil("every copy sent after the kill answered", seconds: 120) {
            after = try await Self.stats(serve).models["iris"]?["v2"]?.shadow
            return after.map { $0.answered == $0.copies } ?? false
        }
        let killed = try #require(after)
        #expect(killed.copies - before.copies <= 24, "copies are sent only while the candidate is up")
        #expect(killed.copies - before.copies == (killed.pairs - before.pairs) + (killed.candidateErrors - before.candidateErrors))

        // Never ready: no copy is sent at all.
        let neverReady = try ServeHarness()
        try await neverReady.start()
        defer { neverReady.forceStop() }
        try await neverReady.apply(Self.spec("iris", stable: "iris-v1.json", candidate: "iris-v1.json", candidateRuntime: "never-ready"))
        try await neverReady.waitReady("iris", ["v1"])
        try await Self.send(neverReady, "iris", Self.irisInputs, count: 12)
        let v2 = try await Self.stats(neverReady).models["iris"]?["v2"]
        #expect(v2?.shadow == nil && (v2?.mirrored ?? 0) == 0 && (v2?.requests ?? 0) == 0)
    }

    /// The resident set size of process `pid`, from /proc.
    static func residentBytes(_ pid: Int32) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kilobytes = Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
        else { return nil }
        return kilobytes * 1024
    }
}
