import Foundation
import Testing
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Attacks on what monitors learn from traffic (issue 11, items 3 and 9), on a real
/// `sluice serve` with the example fraud model: predicting request ids, borrowing another
/// caller's id, anonymous feedback, and made-up feature names.
@Suite("ground truth and sketches", .serialized, .timeLimit(.minutes(10)))
struct GroundTruthTests {
    static let fraudSpec = #"{"revision":"r1","models":[{"name":"fraud","versions":[{"name":"v1","runtime":"python-v2","artifact":"models/fraud-v2.1.json"}],"route":{"weights":{"v1":100}},"sketchInputs":["amount","merchant_risk","hour","distance_km"]}]}"#

    /// A data plane serving the fraud model, with 1 s buckets; `sketch` adds the spec's
    /// `sketchInputs` (left out where a test is not about sketches).
    static func started(sketch: Bool = false) async throws -> ServeHarness {
        let serve = try ServeHarness(extraConfig: "  monitoring:\n    bucket: 1s")
        try await serve.start()
        try await serve.apply(sketch ? fraudSpec : fraudSpec.replacingOccurrences(of: #","sketchInputs":["amount","merchant_risk","hour","distance_km"]"#, with: ""))
        try await serve.waitReady("fraud", ["v1"])
        return serve
    }

    static func infer(_ serve: ServeHarness, _ request: FraudRequest, headers: [String: String] = [:]) async throws -> ServeHarness.Response {
        try await serve.request("POST", serve.inferenceURL.appendingPathComponent("/v2/models/fraud/infer"), body: request.body, headers: headers)
    }

    static func prediction(_ response: ServeHarness.Response) -> String? {
        let outputs = response.json?["outputs"] as? [[String: Any]] ?? []
        return (outputs.first { $0["name"] as? String == "predict" }?["data"] as? [Any])?.first.map { "\($0)" }
    }

    /// Ended monitoring buckets of the admin API.
    static func buckets(_ serve: ServeHarness) async throws -> [[String: Any]] {
        try await serve.admin("GET", "/v1/monitoring").json?["buckets"] as? [[String: Any]] ?? []
    }

    /// Labels counted over every ended bucket: (labeled, matched).
    static func labels(_ serve: ServeHarness) async throws -> (labeled: Int, matched: Int) {
        try await buckets(serve).reduce((0, 0)) { sum, bucket in
            let labels = bucket["labels"] as? [String: Any] ?? [:]
            return (sum.0 + (labels["labeled"] as? Int ?? 0), sum.1 + (labels["matched"] as? Int ?? 0))
        }
    }

    // MARK: - request ids

    /// splitmix64's output function, the generator that used to issue request ids.
    static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }

    /// Its inverse: recovers the generator's state from one output.
    static func unmix(_ value: UInt64) -> UInt64 {
        func unshift(_ y: UInt64, _ k: UInt64) -> UInt64 {
            var x = y
            for _ in 0..<(64 / k + 1) { x = y ^ (x >> k) }
            return x
        }
        func inverse(_ c: UInt64) -> UInt64 {
            var x = c
            for _ in 0..<6 { x = x &* (2 &- c &* x) }
            return x
        }
        var x = unshift(value, 31)
        x = x &* inverse(0x94d0_49bb_1331_11eb)
        x = unshift(x, 27)
        x = x &* inverse(0xbf58_476d_1ce4_e5b9)
        return unshift(x, 30)
    }

    /// The ids a splitmix64 generator would issue next after issuing `id` (up to `steps` draws ahead).
    static func predictedIDs(after id: String, steps: UInt64) -> Set<String> {
        guard id.count == 32, let low = UInt64(id.suffix(16), radix: 16) else { return [] }
        let state = unmix(low)
        let gamma: UInt64 = 0x9e37_79b9_7f4a_7c15
        var ids: Set<String> = []
        for step in 1...steps {
            let high = mix(state &+ gamma &* step)
            let next = mix(state &+ gamma &* (step + 1))
            ids.insert(String(repeating: "0", count: 16 - String(high, radix: 16).count) + String(high, radix: 16)
                + String(repeating: "0", count: 16 - String(next, radix: 16).count) + String(next, radix: 16))
        }
        return ids
    }

    @Test("request ids are 128-bit hex and distinct, and the ids that follow cannot be predicted from one observed id")
    func requestIDsAreUnpredictable() async throws {
        #expect(Self.unmix(Self.mix(0x1234_5678_9abc_def0)) == 0x1234_5678_9abc_def0, "the attack's inversion is right")
        let serve = try await Self.started()
        defer { serve.forceStop() }
        var ids: [String] = []
        for _ in 0..<40 {
            let response = try await Self.infer(serve, FraudRequest.random(amount: 100))
            #expect(response.status == 200)
            ids.append(response.header("x-request-id") ?? "")
        }
        #expect(ids.allSatisfy { $0.count == 32 && $0.allSatisfy(\.isHexDigit) && UInt64($0.prefix(16), radix: 16) != nil }, "\(ids)")
        #expect(Set(ids).count == ids.count, "ids repeat")
        // The attack: recover the generator from each id and guess the next 64 draws.
        for (index, id) in ids.dropLast().enumerated() {
            let guessed = Self.predictedIDs(after: id, steps: 64)
            #expect(Set(ids[(index + 1)...]).isDisjoint(with: guessed), "an id was predicted from \(id)")
        }
    }

    @Test("a client's x-request-id equal to another caller's id does not replace that caller's stored prediction")
    func borrowedRequestID() async throws {
        let serve = try await Self.started()
        defer { serve.forceStop() }
        let victim = try await Self.infer(serve, FraudRequest(amount: 50, merchantRisk: 0.05, hour: 12, distance: 1))
        let victimID = try #require(victim.header("x-request-id"))
        #expect(Self.prediction(victim) == "legit")
        // The attacker's request would be predicted "fraud"; it names the victim's id.
        let attack = try await Self.infer(
            serve, FraudRequest(amount: 4000, merchantRisk: 1, hour: 3, distance: 900), headers: ["x-request-id": victimID])
        #expect(Self.prediction(attack) == "fraud")
        #expect(attack.header("x-request-id") != victimID, "the gateway issues its own id")
        #expect(attack.header("x-client-request-id") == victimID, "the caller's id is echoed beside it")
        // The victim's label joins the victim's prediction, not the attacker's.
        let posted = try await GroundTruthTests.feedback(serve, body: #"{"request_id":"\#(victimID)","label":"legit"}"#)
        #expect(posted.status == 200)
        #expect(posted.json?["accepted"] as? Int == 1, "\(posted.text)")
        try await serve.waitUntil("the label is counted", seconds: 90) { try await Self.labels(serve).labeled == 1 }
        #expect(try await Self.labels(serve).matched == 1, "the stored prediction was replaced")
    }

    static func feedback(_ serve: ServeHarness, body: String, token: String?? = .none) async throws -> ServeHarness.Response {
        var headers: [String: String] = [:]
        let value: String?
        switch token {
        case .none:
            // The generated token (a missing file sends none, and the data plane answers 401).
            value = (try? String(contentsOf: serve.directory.appendingPathComponent("state/feedback-token"), encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines)
        case .some(let given): value = given
        }
        if let value { headers["Authorization"] = "Bearer \(value)" }
        return try await serve.request("POST", serve.inferenceURL.appendingPathComponent("/v2/models/fraud/feedback"), body: Data(body.utf8), headers: headers)
    }

    @Test("feedback without the token or with a wrong one is 401 and leaves accuracy unchanged; the generated token is 0600")
    func anonymousFeedback() async throws {
        let serve = try await Self.started()
        defer { serve.forceStop() }
        let answer = try await Self.infer(serve, FraudRequest(amount: 50, merchantRisk: 0.05, hour: 12, distance: 1))
        let id = try #require(answer.header("x-request-id"))
        let wrongLabel = #"{"request_id":"\#(id)","label":"fraud"}"#
        for token in [String?.none, "wrong", serve.token] {
            let refused = try await Self.feedback(serve, body: wrongLabel, token: .some(token))
            #expect(refused.status == 401, "token \(token ?? "none"): \(refused.text)")
        }
        let attributes = try FileManager.default.attributesOfItem(atPath: serve.directory.appendingPathComponent("state/feedback-token").path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        // The first label with the token is the one that counts: a refused one, had it been
        // kept, would make this a duplicate (accepted 0) and the counted label the wrong one
        // (matched 0). No waiting for buckets that should stay empty.
        let posted = try await Self.feedback(serve, body: #"{"request_id":"\#(id)","label":"legit"}"#)
        #expect(posted.json?["accepted"] as? Int == 1, "a refused label was kept: \(posted.text)")
        try await serve.waitUntil("the label is counted", seconds: 90) { try await Self.labels(serve).labeled >= 1 }
        let counted = try await Self.labels(serve)
        #expect(counted.labeled == 1 && counted.matched == 1, "a refused label was counted: \(counted)")
    }

    // MARK: - sketches

    @Test("64 made-up input names in a request the model refuses leave the real features sketched; made-up names never reach /v1/monitoring")
    func madeUpFeatureNames() async throws {
        let serve = try await Self.started(sketch: true)
        defer { serve.forceStop() }
        let junk = (0..<64).map { #"{"name":"junk-\#($0)","shape":[1],"datatype":"FP64","data":[1]}"# }.joined(separator: ",")
        let refused = try await serve.request(
            "POST", serve.inferenceURL.appendingPathComponent("/v2/models/fraud/infer"), body: Data(#"{"inputs":[\#(junk)]}"#.utf8))
        #expect(refused.status == 400, "the model refuses unknown inputs: \(refused.text)")
        // Real traffic right after, mostly in the same bucket; and once more with extra junk
        // beside the real features (sent to the model, answered or not, never sketched).
        for _ in 0..<20 { #expect(try await Self.infer(serve, FraudRequest.random(amount: 100)).status == 200) }
        var seen = 0
        try await serve.waitUntil("20 amounts in the sketches", seconds: 90) {
            let buckets = try await Self.buckets(serve)
            seen = buckets.reduce(0) { sum, bucket in
                let numeric = (bucket["inputs"] as? [String: Any])?["numeric"] as? [String: Any]
                return sum + ((numeric?["amount"] as? [String: Any])?["n"] as? Int ?? 0)
            }
            return seen >= 20
        }
        #expect(seen == 20, "every real request is sketched")
        let text = try await serve.admin("GET", "/v1/monitoring").text
        #expect(!text.contains("junk-"), "made-up names reached the sketches")
    }
}
