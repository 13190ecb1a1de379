import Foundation
import SluiceTestSupport
import Testing

/// Replicas and autoscaling of `sluice serve`, end to end: the real binary, the example V2
/// server as model server, load from client threads, state read from `GET /v1/state`.
@Suite("sluice serve: replicas and autoscaling", .serialized, .timeLimit(.minutes(10)))
struct ReplicaTests {
    /// A spec of model `fraud` whose versions run `runtime` with `scaling` (JSON).
    static func spec(_ weights: [String: Int], runtime: String = "python-v2", scaling: String, revision: String = "r1") -> String {
        let versions = weights.keys.sorted().map {
            #"{"name":"\#($0)","runtime":"\#(runtime)","artifact":"models/fraud-v2.1.json","scaling":\#(scaling)}"#
        }.joined(separator: ",")
        let route = weights.keys.sorted().map { #""\#($0)":\#(weights[$0, default: 0])"# }.joined(separator: ",")
        return #"{"revision":"\#(revision)","models":[{"name":"fraud","versions":[\#(versions)],"route":{"weights":{\#(route)}}}]}"#
    }

    static func replicas(_ serve: ServeHarness, _ version: String = "v1") async throws -> [String: Any] {
        try await serve.version("fraud", version)["replicas"] as? [String: Any] ?? [:]
    }

    static func scaleEvents(_ serve: ServeHarness) async throws -> [[String: Any]] {
        try await serve.admin("GET", "/v1/state").json?["scaleEvents"] as? [[String: Any]] ?? []
    }

    @Test("minReplicas 3 runs three processes; one killed under load fails no more requests than it had in flight and restarts while the other two serve")
    func rebalancing() async throws {
        let serve = try ServeHarness()
        try await serve.start()
        defer { serve.forceStop() }
        try await serve.apply(Self.spec(["v1": 100], scaling: #"{"minReplicas":3,"maxReplicas":3}"#))
        try await serve.waitUntil("three replicas ready") { try await Self.replicas(serve)["ready"] as? Int == 3 }
        let processes = try await Self.replicas(serve)["processes"] as? [[String: Any]] ?? []
        #expect(Set(processes.compactMap { $0["pid"] as? Int }).count == 3)
        #expect(Set(processes.compactMap { $0["port"] as? Int }).count == 3)
        let victim = try #require(processes.first { $0["index"] as? Int == 1 }?["pid"] as? Int)

        let clients = 6
        let load = LoadGenerator(url: serve.inferenceURL.appendingPathComponent("/v2/models/fraud/infer"), body: ServeHarness.fraudBody, clients: clients)
        try await serve.waitUntil("load flowing") { load.answered.count >= 30 }
        // A child of `sluice serve`, not ours: signalled only while the pid still names it.
        #expect(ForeignProcess(Int32(victim))?.signal(SIGKILL) == true)
        let answeredAtKill = load.answered.filter { $0.0 == 200 }.count
        try await serve.waitUntil("replica 1 restarted and all three ready") {
            let replicas = try await Self.replicas(serve)
            let restarted = (replicas["processes"] as? [[String: Any]] ?? []).first { $0["index"] as? Int == 1 }
            return replicas["ready"] as? Int == 3 && restarted?["restarts"] as? Int == 1 && restarted?["pid"] as? Int != victim
        }
        let answeredAtRecovery = load.answered.filter { $0.0 == 200 }.count
        let answers = await load.stop()
        let failed = answers.filter { $0.0 != 200 }
        // Each client has one request in flight at a time: the killed replica held at most
        // `clients`; the gateway retries an unanswered one on another replica, so usually none fail.
        #expect(failed.count <= clients, "failed: \(failed.count) of \(answers.count)")
        #expect(answeredAtRecovery > answeredAtKill, "requests kept succeeding while replica 1 restarted")
        let version = try await serve.version("fraud", "v1")
        #expect(version["restarts"] as? Int == 1)
        #expect(version["state"] as? String == "Ready")
    }

    @Test("load above one replica's concurrency target adds replicas; when it stops they fall back to one after scaleDownDelay")
    func autoscaling() async throws {
        let serve = try ServeHarness()
        try await serve.start()
        defer { serve.forceStop() }
        let scaling = #"{"minReplicas":1,"maxReplicas":4,"target":{"concurrency":1},"scaleDownDelay":"3s"}"#
        try await serve.apply(Self.spec(["v1": 100], runtime: "slow", scaling: scaling))
        try await serve.waitReady("fraud", ["v1"])
        #expect(try await Self.replicas(serve)["desired"] as? Int == 1)

        let load = LoadGenerator(url: serve.inferenceURL.appendingPathComponent("/v2/models/fraud/infer"), body: ServeHarness.fraudBody, clients: 6)
        try await serve.waitUntil("more than one replica ready", seconds: 120) {
            let replicas = try await Self.replicas(serve)
            return (replicas["desired"] as? Int ?? 0) > 1 && (replicas["ready"] as? Int ?? 0) > 1
        }
        let up = try await Self.scaleEvents(serve)
        #expect(!up.isEmpty && up.allSatisfy { $0["reason"] as? String == "load" }, "\(up)")
        #expect((up.first?["message"] as? String)?.hasPrefix("v1: 1 → ") == true, "\(up)")
        let answers = await load.stop()
        #expect(answers.allSatisfy { $0.0 == 200 }, "failed: \(answers.filter { $0.0 != 200 }.count)")

        try await serve.waitUntil("back to one replica", seconds: 120) {
            let replicas = try await Self.replicas(serve)
            return replicas["desired"] as? Int == 1 && (replicas["processes"] as? [Any])?.count == 1
        }
        let events = try await Self.scaleEvents(serve)
        #expect(events.last?["reason"] as? String == "idle", "\(events)")
        #expect(events.last?["to"] as? Int == 1)
        let sequences = events.compactMap { $0["sequence"] as? Int }
        #expect(sequences == Array(1...sequences.count))
        let metrics = try await serve.request("GET", serve.inferenceURL.appendingPathComponent("/metrics"))
        #expect(metrics.text.contains(#"sluice_replicas{model="fraud",version="v1",state="desired"} 1"#))
        #expect(metrics.text.contains(#"sluice_scale_events_total{model="fraud",version="v1",direction="down"}"#))
    }

    @Test("serve.maxProcesses 3 with two versions wanting 2 each runs 3 processes and reports the limit")
    func cap() async throws {
        let serve = try ServeHarness(extraConfig: "  maxProcesses: 3")
        try await serve.start()
        defer { serve.forceStop() }
        try await serve.apply(Self.spec(["v1": 50, "v2": 50], scaling: #"{"minReplicas":2,"maxReplicas":2}"#))
        try await serve.waitUntil("three processes ready") {
            let v1 = try await Self.replicas(serve, "v1")["ready"] as? Int ?? 0
            let v2 = try await Self.replicas(serve, "v2")["ready"] as? Int ?? 0
            return v1 + v2 == 3
        }
        let state = try #require(try await serve.admin("GET", "/v1/state").json)
        let processes = try #require(state["processes"] as? [String: Any])
        #expect(processes["running"] as? Int == 3)
        #expect(processes["maximum"] as? Int == 3)
        #expect(processes["withheld"] as? Int == 1)
        #expect(try await Self.replicas(serve, "v2")["limitedBy"] as? String == "maxProcesses")
        #expect(try await Self.replicas(serve, "v1")["limitedBy"] == nil)
        #expect(serve.serveLog.contains("serve.maxProcesses (3) reached"))
        let metrics = try await serve.request("GET", serve.inferenceURL.appendingPathComponent("/metrics"))
        #expect(metrics.text.contains("sluice_model_processes 3\n"))
        #expect(metrics.text.contains("sluice_model_processes_max 3\n"))
    }

    @Test("a runtime spec with bad scaling is refused naming the field, and the running spec is undisturbed")
    func badScaling() async throws {
        let serve = try ServeHarness()
        try await serve.start()
        defer { serve.forceStop() }
        try await serve.apply(Self.spec(["v1": 100], scaling: #"{"minReplicas":1,"maxReplicas":1}"#))
        try await serve.waitReady("fraud", ["v1"])
        let response = try await serve.admin(
            "PUT", "/v1/spec", body: Self.spec(["v1": 100], scaling: #"{"minReplicas":3,"maxReplicas":2}"#, revision: "r2"))
        #expect(response.status == 400)
        let issues = (response.json?["issues"] as? [[String: String]] ?? []).map { "\($0["field"] ?? ""): \($0["message"] ?? "")" }
        #expect(issues == ["models[0].versions[0].scaling.maxReplicas: expected at least minReplicas (3), found 2"])
        let spec = try await serve.admin("GET", "/v1/spec")
        #expect(spec.text.contains("\"revision\": \"r1\""))
        #expect(try await Self.replicas(serve)["desired"] as? Int == 1)
        #expect(try await serve.infer("fraud").status == 200)
    }
}
