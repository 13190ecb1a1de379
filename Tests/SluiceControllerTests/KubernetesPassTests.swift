import Foundation
import NIOConcurrencyHelpers
import SluiceConfig
import SluiceCore
import SluiceKubernetes
import SluiceTestSupport
import Testing
@testable import SluiceController

/// The rollout engine driving a cluster through the kubernetes backend. Tier: the real
/// client, watches, renderers and controller against the loopback **fake** API server (no
/// real cluster here); what the fake answers is pinned to upstream examples in its own tests.
@Suite("kubernetes backend against the fake API server: canaries, rollbacks, pruning, drift, failover", .timeLimit(.minutes(10)))
struct KubernetesPassTests {
    static let canarySteps = "  rollout:\n    steps:\n      - weight: 10\n      - pause: 1m\n      - weight: 50\n      - pause: 1m\n"

    /// v1 deployed, ready and at 100% on the cluster.
    static func deployed(_ driver: KubernetesDriver = .gatewayAPI, server: FakeKubernetesAPIServer? = nil) async throws -> ClusterFixture {
        let fixture = try await ClusterFixture(driver: driver, files: ["manifests/fraud.yaml": ClusterManifests.fraud()], server: server)
        try await fixture.passUntil("v1 healthy") { await fixture.state()?.health == .healthy }
        return fixture
    }

    @Test("a canary on gateway-api: the HTTPRoute's weights follow each step, then v1's Deployment and Service are pruned")
    func gatewayCanary() async throws {
        let fixture = try await Self.deployed()
        defer { Task { await fixture.close(); await fixture.server.stop() } }
        #expect(fixture.routeWeights() == ["v1": 100])
        #expect(fixture.deployedVersions() == ["v1"])
        try fixture.commit("fraud v2", ["fraud": ClusterManifests.fraud(["v1", "v2"], traffic: ["v1": 0, "v2": 100], extra: Self.canarySteps)])
        try await fixture.passUntil("10% on v2") { fixture.routeWeights() == ["v1": 90, "v2": 10] }
        #expect(fixture.deployedVersions() == ["v1", "v2"])
        fixture.advance(60)
        try await fixture.passUntil("50% on v2") { fixture.routeWeights() == ["v1": 50, "v2": 50] }
        fixture.advance(60)
        try await fixture.passUntil("v2 promoted") { await fixture.state()?.reason.rawValue == "Promoted" }
        #expect(fixture.routeWeights() == ["v2": 100])
        #expect(fixture.deployedVersions() == ["v1", "v2"], "v1 stays warm at weight 0 while the manifest lists it")
        #expect(try fixture.kinds() == ["deployed", "rolloutStarted", "step", "step", "promoted"])
        try fixture.commit("drop v1", ["fraud": ClusterManifests.fraud(["v2"], traffic: ["v2": 100])])
        try await fixture.passUntil("v1 pruned") { fixture.deployedVersions() == ["v2"] }
        #expect(fixture.routeWeights() == ["v2": 100])
        #expect(!fixture.objects(.service).contains { $0.labels[KubernetesLabels.version] == "v1" })
    }

    @Test("abort sends every request back to v1 at once; git revert is a fast rollback with no steps")
    func abortAndRevert() async throws {
        let fixture = try await Self.deployed()
        defer { Task { await fixture.close(); await fixture.server.stop() } }
        let v2 = try fixture.commit("fraud v2", ["fraud": ClusterManifests.fraud(["v1", "v2"], traffic: ["v1": 0, "v2": 100], extra: Self.canarySteps)])
        try await fixture.passUntil("10% on v2") { fixture.routeWeights() == ["v1": 90, "v2": 10] }
        #expect(await fixture.execute(.abort(model: "fraud", actor: "alice")) == .done("aborted the rollout of fraud"))
        try await fixture.passUntil("traffic back on v1") { fixture.routeWeights() == ["v1": 100] }
        #expect(await fixture.state()?.health == .degraded)
        _ = try fixture.repo.git(["revert", "--no-edit", v2])
        try await fixture.passUntil("back to v1 alone") { await fixture.state()?.health == .healthy && fixture.deployedVersions() == ["v1"] }
        #expect(fixture.routeWeights() == ["v1": 100])
    }

    @Test("a model removed from git is pruned; the empty-set guard keeps the last model")
    func prune() async throws {
        let fixture = try await Self.deployed()
        defer { Task { await fixture.close(); await fixture.server.stop() } }
        try fixture.commit("iris", ["iris": ClusterManifests.fraud(name: "iris")])
        try await fixture.passUntil("iris deployed") { fixture.deployedVersions("iris") == ["v1"] }
        try fixture.commit("drop iris", [:], remove: ["manifests/iris.yaml"])
        try await fixture.passUntil("iris pruned") { fixture.deployedVersions("iris").isEmpty }
        #expect(!fixture.objects(.httpRoute).contains { $0.labels[KubernetesLabels.model] == "iris" })
        try fixture.commit("drop everything", [:], remove: ["manifests/fraud.yaml"])
        for _ in 0..<5 { await fixture.pass() }
        #expect(fixture.deployedVersions() == ["v1"], "an empty manifest folder must not prune every model")
    }

    @Test("someone edits the HTTPRoute's weights: the next timed pass applies them again and records a self-heal")
    func driftHealed() async throws {
        let fixture = try await Self.deployed()
        defer { Task { await fixture.close(); await fixture.server.stop() } }
        let route = try #require(fixture.objects(.httpRoute).first)
        fixture.server.edit(kind: .httpRoute, namespace: fixture.namespace, name: route.name) { json in
            json = Self.zeroingWeights(json)
        }
        try await fixture.passUntil("weights restored") {
            await fixture.pass(.interval)
            return fixture.routeWeights() == ["v1": 100]
        }
        #expect(try fixture.store.history(of: "fraud").contains { $0.kind == .selfHeal })
    }

    @Test("an object of the same name that Sluice did not create is never overwritten; the model says why")
    func notOwnedConflict() async throws {
        let server = try await FakeKubernetesAPIServer.start()
        let name = KubernetesNames.versionObject(model: "fraud", version: "v1")
        _ = try server.put(
            KubernetesObject(.object([
                ("apiVersion", .string("apps/v1")), ("kind", .string("Deployment")),
                ("metadata", .object([("name", .string(name)), ("namespace", .string("models"))])),
                ("spec", .object([("replicas", .int(3))])),
            ])), manager: "kubectl")
        let fixture = try await ClusterFixture(files: ["manifests/fraud.yaml": ClusterManifests.fraud()], server: server)
        defer { Task { await fixture.close(); await server.stop() } }
        let result = await fixture.pass()
        let message = try #require(result.failure?.message)
        #expect(message.contains("is not managed by Sluice"))
        #expect(message.contains(name))
        #expect(server.object(kind: .deployment, namespace: "models", name: name)?["spec", "replicas"]?.intValue == 3)
    }

    @Test("admission refuses a new spec on the dry run: nothing of it is applied, the model keeps v1, the error names the webhook's reason")
    func admissionRefused() async throws {
        let fixture = try await Self.deployed()
        defer { Task { await fixture.close(); await fixture.server.stop() } }
        fixture.server.rejectAdmission(kind: .deployment, message: "admission webhook \"policy.example.com\" denied the request: image registry not allowed")
        try fixture.commit("fraud v2", ["fraud": ClusterManifests.fraud(["v2"], traffic: ["v2": 100])])
        var failure: String?
        for _ in 0..<10 where failure == nil { failure = await fixture.pass().failure?.message }
        #expect(failure?.contains("image registry not allowed") == true)
        #expect(fixture.deployedVersions() == ["v1"])
        #expect(fixture.routeWeights() == ["v1": 100])
    }

    @Test("a 403 from RBAC fails the pass with the permission hint, and nothing is lost")
    func forbidden() async throws {
        let fixture = try await Self.deployed()
        defer { Task { await fixture.close(); await fixture.server.stop() } }
        fixture.server.failNext(method: "PATCH", pathContains: "/deployments/", status: 403, count: 50)
        try fixture.commit("fraud v2", ["fraud": ClusterManifests.fraud(["v2"], traffic: ["v2": 100])])
        let message = try #require(await fixture.pass().failure?.message)
        #expect(message.contains("403"))
        #expect(message.contains("RBAC"))
        #expect(fixture.routeWeights() == ["v1": 100])
    }

    @Test("requests per pass follow the change: an idle pass sends none; one changed model of ten sends only its own")
    func requestsFollowTheChange() async throws {
        var files: [String: String] = [:]
        for index in 0..<10 { files["manifests/m\(index).yaml"] = ClusterManifests.fraud(name: "m\(index)") }
        let fixture = try await ClusterFixture(files: files)
        defer { Task { await fixture.close(); await fixture.server.stop() } }
        try await fixture.passUntil("ten models healthy") {
            await (0..<10).asyncAllSatisfy { await fixture.state("m\($0)")?.health == .healthy }
        }
        let idleStart = fixture.client.requestCount
        for _ in 0..<5 { await fixture.pass(.rolloutTick) }
        #expect(fixture.client.requestCount - idleStart == 0, "passes that change nothing read the watch caches only")
        try fixture.commit("m3 v2", ["m3": ClusterManifests.fraud(["v2"], traffic: ["v2": 100], name: "m3")])
        let changeStart = fixture.client.requestCount
        await fixture.pass(.rolloutTick)
        let sent = fixture.client.requestCount - changeStart
        #expect(sent > 0)
        #expect(sent <= 12, "one model's objects (dry run + apply of Deployment, Service, route; prune; revision), not ten models': \(sent)")
    }

    @Test("failover: a replica that takes over resumes the canary at its step instead of restarting from its own store")
    func failoverResumes() async throws {
        let server = try await FakeKubernetesAPIServer.start()
        defer { Task { await server.stop() } }
        let leaderA = ManualLeadership(true)
        let leaderB = ManualLeadership(false)
        let first = try await ClusterFixture(files: ["manifests/fraud.yaml": ClusterManifests.fraud()], server: server, leadership: leaderA)
        defer { Task { await first.close() } }
        try await first.passUntil("v1 healthy") { await first.state()?.health == .healthy }
        // The second replica follows the same repository (a clone of the first's).
        let second = try await ClusterFixture(files: nil, server: server, leadership: leaderB, clock: first.clock) { config in
            config = ControllerConfig(
                repository: first.repo.path, path: "manifests", interval: .seconds(30), listen: .tcp(host: "127.0.0.1", port: 1),
                stateDirectory: config.stateDirectory, dataPlane: .tcp(host: "127.0.0.1", port: 1), dataPlaneToken: .generated)
            config.backend = first.config.backend
            config.runtimes = ClusterFixture.runtimes
        }
        defer { Task { await second.close() } }
        #expect(await second.pass().failure?.step == .leadership, "a follower does not act")
        try first.commit("fraud v2", ["fraud": ClusterManifests.fraud(["v1", "v2"], traffic: ["v1": 0, "v2": 100], extra: Self.canarySteps)])
        try await first.passUntil("10% on v2") { first.routeWeights() == ["v1": 90, "v2": 10] }
        let step = await first.state()?.candidate?.step
        leaderA.set(false)
        leaderB.set(true)
        #expect(await first.pass().failure?.step == .leadership)
        for _ in 0..<5 { await second.pass() }
        #expect(await second.state()?.candidate?.step == step, "the rollout resumes at the step the first leader reached")
        #expect(first.routeWeights() == ["v1": 90, "v2": 10], "traffic stays where it was, not a first deployment at 100%")
        #expect(await second.execute(Controller.Command.promote(model: "fraud", full: true, actor: "bob")) == .done("promoting fraud to the end"))
        try await second.passUntil("v2 promoted by the new leader") { await second.state()?.reason.rawValue == "Promoted" }
    }

    @Test("kserve: one InferenceService; canaryTrafficPercent carries the step; abort pins traffic back with 0")
    func kserveCanary() async throws {
        let fixture = try await Self.deployed(.kserve)
        defer { Task { await fixture.close(); await fixture.server.stop() } }
        let services = fixture.objects(.inferenceService)
        #expect(services.count == 1)
        #expect(services.first?["spec", "predictor", "model", "storageUri"]?.stringValue == "s3://models/fraud/v1/")
        try fixture.commit("fraud v2", ["fraud": ClusterManifests.fraud(["v1", "v2"], traffic: ["v1": 0, "v2": 100], extra: Self.canarySteps)])
        try await fixture.passUntil("canary at 10%") {
            fixture.objects(.inferenceService).first?["spec", "predictor", "canaryTrafficPercent"]?.intValue == 10
        }
        #expect(fixture.objects(.inferenceService).first?["spec", "predictor", "model", "storageUri"]?.stringValue == "s3://models/fraud/v2/")
        #expect(await fixture.execute(.abort(model: "fraud", actor: "alice")) == .done("aborted the rollout of fraud"))
        var failures: [String] = []
        try await fixture.passUntil("pinned back to the previous revision \(failures.suffix(2)) \(fixture.objects(.inferenceService).first?["spec"]?.serialized() ?? "")") {
            if let failure = await fixture.pass().failure?.message { failures.append(failure) }
            let service = fixture.objects(.inferenceService).first
            return service?["spec", "predictor", "canaryTrafficPercent"]?.intValue == 0
                || service?["spec", "predictor", "model", "storageUri"]?.stringValue == "s3://models/fraud/v1/"
        }
    }

    /// `json` with every backendRef weight of every rule set to 0 but the first ref's to 100
    /// (what someone editing the route by hand might do).
    static func zeroingWeights(_ json: JSONValue) -> JSONValue {
        guard case .object(var members) = json, let specIndex = members.firstIndex(where: { $0.0 == "spec" }),
              case .object(var spec) = members[specIndex].1, let rulesIndex = spec.firstIndex(where: { $0.0 == "rules" }),
              case .array(let rules) = spec[rulesIndex].1 else { return json }
        spec[rulesIndex].1 = .array(rules.map { rule in
            guard case .object(var fields) = rule, let refsIndex = fields.firstIndex(where: { $0.0 == "backendRefs" }),
                  case .array(let refs) = fields[refsIndex].1 else { return rule }
            fields[refsIndex].1 = .array(refs.map { ref in
                guard case .object(var entries) = ref else { return ref }
                if let weight = entries.firstIndex(where: { $0.0 == "weight" }) { entries[weight].1 = .int(7) }
                return .object(entries)
            })
            return .object(fields)
        })
        members[specIndex].1 = .object(spec)
        return .object(members)
    }
}

/// A leadership a test hands over by hand.
final class ManualLeadership: LeadershipGate {
    private let leading: NIOLockedValueBox<Bool>
    init(_ leading: Bool) { self.leading = NIOLockedValueBox(leading) }
    var isLeader: Bool { leading.withLockedValue { $0 } }
    func set(_ value: Bool) { leading.withLockedValue { $0 = value } }
}

extension Sequence {
    func asyncAllSatisfy(_ predicate: (Element) async throws -> Bool) async rethrows -> Bool {
        for element in self where !(try await predicate(element)) { return false }
        return true
    }
}
