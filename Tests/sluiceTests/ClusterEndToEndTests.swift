import Foundation
import SluiceKubernetes
import SluiceTestSupport
import Testing

/// The real `sluice controller` binary driving a cluster. Tier: processes, TLS, kubeconfig,
/// watches, leases and server-side apply against the loopback **fake** API server (no real
/// cluster here; `ClusterRealTests` runs the same flow on a real one when given a kubeconfig).
@Suite("sluice controller on the fake API server: kill -9 mid-rollout, two replicas with leader election", .serialized, .timeLimit(.minutes(10)))
struct ClusterEndToEndTests {
    static let slowCanary = """
          rollout:
            steps:
              - weight: 10
              - pause: 1h

        """

    @Test("kill -9 mid-rollout: the restarted controller resumes the canary at its step; traffic never jumps")
    func killMidRollout() async throws {
        let server = try await FakeKubernetesAPIServer.start()
        let harness = try ClusterControllerHarness(server: server)
        defer { Task { await server.stop() } }
        try harness.repo.commit("v1", files: ["manifests/fraud.yaml": ClusterControllerHarness.fraud(["v1"], traffic: ["v1": 100])])
        try harness.start(0)
        try await harness.waitUntil("v1 at 100%") { harness.routeWeights() == ["v1": 100] }
        try harness.repo.commit("v2", files: ["manifests/fraud.yaml": ClusterControllerHarness.fraud(["v1", "v2"], traffic: ["v1": 0, "v2": 100], rollout: Self.slowCanary)])
        try await harness.waitUntil("10% on v2") { harness.routeWeights() == ["v1": 90, "v2": 10] }
        harness.kill9(0)
        try harness.start(0)
        try await harness.waitUntil("the restarted controller reports the canary") {
            let model = try await harness.get(0, "/v1/models/fraud").1
            return model["candidate"] is [String: Any]
        }
        #expect(harness.routeWeights() == ["v1": 90, "v2": 10])
        // Its own lease from before the kill must expire before it acts again.
        try await harness.waitUntil("the restarted controller leads") { await harness.isLeader(0) }
        #expect(harness.routeWeights() == ["v1": 90, "v2": 10], "the rollout resumed at its step, not as a first deployment")
        #expect(try await harness.command(0, "promote", query: "?full=true") == 200)
        try await harness.waitUntil("v2 promoted") { harness.routeWeights() == ["v2": 100] }
        try harness.repo.commit("drop v1", files: ["manifests/fraud.yaml": ClusterControllerHarness.fraud(["v2"], traffic: ["v2": 100])])
        try await harness.waitUntil("v1 pruned") {
            !server.objects(kind: .deployment, namespace: "models").contains { $0.labels[KubernetesLabels.version] == "v1" }
        }
    }

    @Test("two replicas: one leads; kill -9 of the leader makes the other take over within the lease and finish the rollout")
    func leaderFailover() async throws {
        let server = try await FakeKubernetesAPIServer.start()
        let harness = try ClusterControllerHarness(server: server, leaseSeconds: 4)
        defer { Task { await server.stop() } }
        try harness.repo.commit("v1", files: ["manifests/fraud.yaml": ClusterControllerHarness.fraud(["v1"], traffic: ["v1": 100])])
        try harness.start(0)
        try await harness.waitUntil("replica 0 leads") { await harness.isLeader(0) }
        try harness.start(1)
        try await harness.waitUntil("v1 at 100%") { harness.routeWeights() == ["v1": 100] }
        try await harness.waitUntil("replica 1 is up") { (try? await harness.get(1, "/healthz").0) == 200 }
        #expect(await harness.isLeader(1) == false, "only one replica acts")
        #expect(try await harness.command(1, "abort") == 503, "a follower refuses commands")
        try harness.repo.commit("v2", files: ["manifests/fraud.yaml": ClusterControllerHarness.fraud(["v1", "v2"], traffic: ["v1": 0, "v2": 100], rollout: Self.slowCanary)])
        try await harness.waitUntil("10% on v2") { harness.routeWeights() == ["v1": 90, "v2": 10] }
        harness.kill9(0)
        let killed = Date()
        try await harness.waitUntil("replica 1 takes over", seconds: 120) { await harness.isLeader(1) }
        // Expected within the lease (4 s) plus a retry period, but a wall-clock bound is not
        // asserted on a shared machine: the figure is printed for whoever reads the log.
        print("leader failover: replica 1 led \(Date().timeIntervalSince(killed)) s after the kill of replica 0 (lease 4 s)")
        try await harness.waitUntil("replica 1 reports the canary it took over") {
            (try await harness.get(1, "/v1/models/fraud").1["candidate"] as? [String: Any]) != nil
        }
        #expect(harness.routeWeights() == ["v1": 90, "v2": 10], "the new leader keeps the step; it does not redeploy v2 at 100%")
        #expect(try await harness.command(1, "promote", query: "?full=true") == 200)
        try await harness.waitUntil("v2 promoted by the new leader") { harness.routeWeights() == ["v2": 100] }
    }
}

/// The `kserve` driver through the binary: the InferenceService's payload logger points at
/// the controller, whose collector takes KServe's CloudEvents without the API token and only
/// for deployed versions. Tier: the fake API server; the events are shaped as KServe v0.15's
/// logger sends them (Tests/SluiceControllerTests/KServeLoggerFixture.swift pins the source).
@Suite("sluice controller with the kserve driver on the fake API server: the payload-logger collector", .timeLimit(.minutes(10)))
struct ClusterKServeCollectorTests {
    static func event(_ type: String, body: String) -> [String: String] {
        [
            "Ce-Id": "5c1b6f3e-8a2d-4c1e-9a57-3e0f2b7d9c41", "Ce-Specversion": "1.0", "Ce-Source": "http://localhost:9081/",
            "Ce-Type": type, "Ce-Time": "2027-01-15T08:00:00.123456789Z", "Ce-Inferenceservicename": "fraud", "Ce-Namespace": "models",
            "Ce-Component": "predictor", "Ce-Endpoint": "default", "Content-Type": "application/json",
        ]
    }

    @Test("the logger URL names the controller; events of a deployed version are joined without a token, others refused; counted in /metrics")
    func collector() async throws {
        let server = try await FakeKubernetesAPIServer.start()
        let harness = try ClusterControllerHarness(server: server, kserve: true)
        defer { Task { await server.stop() } }
        try harness.repo.commit("v1", files: ["manifests/fraud.yaml": ClusterControllerHarness.fraud(["v1"], traffic: ["v1": 100])])
        try harness.start(0)
        try await harness.waitUntil("the InferenceService with its logger") {
            server.objects(kind: .inferenceService, namespace: "models").first?["spec", "predictor", "logger", "url"]?.stringValue
                == "http://127.0.0.1:\(harness.basePort)/v1/collector/kserve/fraud/v1"
        }
        try await harness.waitUntil("replica 0 leads") { await harness.isLeader(0) }
        let request = #"{"inputs":[{"name":"amount","shape":[1],"datatype":"FP32","data":[12.5]}]}"#
        let response = #"{"model_name":"fraud","outputs":[{"name":"label","shape":[1],"datatype":"INT64","data":[1]}]}"#
        #expect(try await harness.post(0, "/v1/collector/kserve/fraud/v1", headers: Self.event("org.kubeflow.serving.inference.request", body: request), body: request) == 202)
        #expect(try await harness.post(0, "/v1/collector/kserve/fraud/v1", headers: Self.event("org.kubeflow.serving.inference.response", body: response), body: response) == 200)
        #expect(try await harness.post(0, "/v1/collector/kserve/fraud/v9", headers: Self.event("org.kubeflow.serving.inference.request", body: request), body: request) == 404)
        #expect(try await harness.post(0, "/v1/feedback/fraud", headers: ["Content-Type": "application/json"], body: "{}") == 401, "feedback needs a token")
        #expect(try await harness.post(0, "/v1/models/fraud/abort", headers: [:], body: "") == 401, "the exemption covers the collector only")
        let metrics = try await harness.metrics(0)
        #expect(metrics.contains("sluice_kserve_joins_total 1"))
    }
}

/// The same flow on a real cluster, only when `SLUICE_E2E_KUBECONFIG` names a kubeconfig.
@Suite("sluice controller on a real cluster (SLUICE_E2E_KUBECONFIG)", .timeLimit(.minutes(10)))
struct ClusterRealTests {
    @Test("deploy, canary and promote on a real cluster")
    func realCluster() async throws {
        guard let kubeconfig = ProcessInfo.processInfo.environment["SLUICE_E2E_KUBECONFIG"], !kubeconfig.isEmpty else {
            print("skipped: no cluster (set SLUICE_E2E_KUBECONFIG to a kubeconfig whose namespace `models` has a Gateway `inference`)")
            return
        }
        let credentials = try KubernetesCredentials.load(.kubeconfig(path: kubeconfig, context: nil), environment: ProcessInfo.processInfo.environment)
        #expect(!credentials.server.isEmpty)
        Issue.record("a real-cluster run was requested, but this suite only checks the credentials so far: see docs/kubernetes.md (Testing tiers)")
    }
}
