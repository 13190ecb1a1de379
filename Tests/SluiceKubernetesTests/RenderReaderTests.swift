import SluiceConfig
import SluiceCore
import SluiceKubernetes
import Testing

/// Observed state from objects whose statuses are shaped like the upstream examples
/// (Kubernetes Deployment status, Gateway API RouteParentStatus, KServe InferenceService status).
@Suite("Readers: what runs, and why not, from Deployment, HTTPRoute and InferenceService statuses", .timeLimit(.minutes(10)))
struct RenderReaderTests {
    static let canary = RenderFixtures.states[1].model

    /// A Deployment status as the deployment controller writes it.
    static func rolledOut(_ object: KubernetesObject, available: Int? = nil, generation: Int = 1, observed: Int = 1) -> KubernetesObject {
        let desired = object["spec", "replicas"]?.intValue ?? 1
        let ready = available ?? desired
        return object.replacing(["metadata", "generation"], with: .int(generation)).replacing(["status"], with: .object([
            ("observedGeneration", .int(observed)), ("replicas", .int(desired)), ("updatedReplicas", .int(desired)),
            ("readyReplicas", .int(ready)), ("availableReplicas", .int(ready)),
            ("conditions", .array([
                .object([("type", .string("Available")), ("status", .string(ready == desired ? "True" : "False")), ("reason", .string("MinimumReplicasAvailable"))]),
                .object([("type", .string("Progressing")), ("status", .string("True")), ("reason", .string("NewReplicaSetAvailable"))]),
            ])),
        ]))
    }

    /// An HTTPRoute status as a Gateway controller writes it for our parentRef.
    static func routed(_ route: KubernetesObject, accepted: (String, String) = ("True", "Accepted"), observed: Int = 1) -> KubernetesObject {
        route.replacing(["metadata", "generation"], with: .int(1)).replacing(["status"], with: .object([("parents", .array([.object([
            ("parentRef", .object([("group", .string("gateway.networking.k8s.io")), ("kind", .string("Gateway")), ("name", .string("inference")),
                                   ("namespace", .string("gateways")), ("sectionName", .string("http"))])),
            ("controllerName", .string("gateway.envoyproxy.io/gatewayclass-controller")),
            ("conditions", .array([
                .object([("type", .string("Accepted")), ("status", .string(accepted.0)), ("reason", .string(accepted.1)), ("observedGeneration", .int(observed))]),
                .object([("type", .string("ResolvedRefs")), ("status", .string("True")), ("reason", .string("ResolvedRefs")), ("observedGeneration", .int(observed))]),
            ])),
        ])]))]))
    }

    static func gatewayObjects(_ model: ModelRuntime, available: [String: Int] = [:]) throws -> [KubernetesObject] {
        try KubernetesRenderer(context: RenderFixtures.context(.gatewayAPI)).objects(for: model, revision: "r").map { object in
            switch object.kind {
            case "Deployment": return rolledOut(object, available: available[object.annotations["sluice.dev/version"] ?? ""])
            case "HTTPRoute": return routed(object)
            default: return object
            }
        }
    }

    @Test("gateway-api: rolled-out Deployments and an accepted route serve the configured weights")
    func gatewayReady() throws {
        let observed = ObservedStateReader(context: RenderFixtures.context(.gatewayAPI)).observed(model: Self.canary, objects: try Self.gatewayObjects(Self.canary))
        #expect(observed.ready)
        #expect(observed.effectiveWeights == ["v1": 90, "v2": 10])
        #expect(observed.versions.map(\.state) == [.ready, .ready])
        #expect(observed.version("v2")?.endpoint == "http://\(KubernetesNames.versionObject(model: "fraud-detector", version: "v2")).models.svc:8080")
    }

    @Test("gateway-api: a candidate with no available replica is Starting and its share goes to the stable")
    func gatewayCandidateStarting() throws {
        let objects = try Self.gatewayObjects(Self.canary, available: ["v2": 0])
        let observed = ObservedStateReader(context: RenderFixtures.context(.gatewayAPI)).observed(model: Self.canary, objects: objects)
        #expect(observed.version("v2")?.state == .starting)
        #expect(observed.version("v2")?.message == "Deployment 0 of 1 replicas available, 1 updated")
        #expect(observed.effectiveWeights == ["v1": 100])
    }

    @Test("gateway-api: a route the Gateway refuses says why, and nothing serves")
    func gatewayRouteRefused() throws {
        let objects = try Self.gatewayObjects(Self.canary).map {
            $0.kind == "HTTPRoute" ? Self.routed($0, accepted: ("False", "NotAllowedByListeners")) : $0
        }
        let observed = ObservedStateReader(context: RenderFixtures.context(.gatewayAPI)).observed(model: Self.canary, objects: objects)
        #expect(!observed.ready)
        #expect(observed.version("v1")?.message == "HTTPRoute not Accepted: NotAllowedByListeners")
    }

    @Test("gateway-api: a stale route status or Deployment generation is not ready yet; a missing Deployment is Missing")
    func gatewayStaleAndMissing() throws {
        var objects = try Self.gatewayObjects(Self.canary).map { $0.kind == "HTTPRoute" ? Self.routed($0).replacing(["metadata", "generation"], with: .int(2)) : $0 }
        let reader = ObservedStateReader(context: RenderFixtures.context(.gatewayAPI))
        #expect(reader.observed(model: Self.canary, objects: objects).version("v1")?.message == "HTTPRoute Accepted is for generation 1, not 2 yet")
        objects = try Self.gatewayObjects(Self.canary).filter { !($0.kind == "Deployment" && $0.annotations["sluice.dev/version"] == "v2") }
        let observed = reader.observed(model: Self.canary, objects: objects)
        #expect(observed.version("v2")?.state == .missing)
        #expect(observed.version("v2")?.message?.hasPrefix("Deployment fraud-detector-v2") == true)
        let stale = try Self.gatewayObjects(Self.canary).map { $0.kind == "Deployment" ? Self.rolledOut($0, generation: 2, observed: 1) : $0 }
        #expect(reader.observed(model: Self.canary, objects: stale).version("v1")?.state == .starting)
    }

    @Test("gateway-api: a mirror the Gateway cannot do is reported on its version")
    func mirrorNotRendered() throws {
        let model = RenderFixtures.states[2].model
        let context = RenderFixtures.context(.gatewayAPI, requestMirror: false)
        let objects = try KubernetesRenderer(context: context).objects(for: model, revision: "r")
        #expect(objects.last?["spec", "rules"]?.arrayValue?.last?["filters"] == nil)
        let observed = ObservedStateReader(context: context).observed(model: model, objects: objects)
        #expect(observed.version("v2")?.message?.contains("mirror not rendered: backend.requestMirror is false") == true)
    }

    /// An InferenceService status as KServe writes it in Serverless mode (docs: canary rollout example).
    static func serverless(_ object: KubernetesObject, created: Int, ready: Int, rolledOut: Int, previous: Int?, traffic: [(Int, Int, String)]) -> KubernetesObject {
        let revision = { (n: Int) in JSONValue.string("fraud-detector-predictor-0000\(n)") }
        var predictor: [(String, JSONValue)] = [
            ("latestCreatedRevision", revision(created)), ("latestReadyRevision", revision(ready)), ("latestRolledoutRevision", revision(rolledOut)),
        ]
        if let previous { predictor.append(("previousRolledoutRevision", revision(previous))) }
        predictor.append(("traffic", .array(traffic.map {
            .object([("latestRevision", .bool($0.0 == created)), ("percent", .int($0.1)), ("revisionName", revision($0.0)), ("tag", .string($0.2))])
        })))
        return object.replacing(["metadata", "generation"], with: .int(2)).replacing(["status"], with: .object([
            ("components", .object([("predictor", .object(predictor))])),
            ("conditions", .array([
                .object([("type", .string("PredictorReady")), ("status", .string(ready == created ? "True" : "Unknown")), ("reason", .string(ready == created ? "Ready" : "RevisionMissing"))]),
                .object([("type", .string("Ready")), ("status", .string("True"))]),
            ])),
            ("observedGeneration", .int(2)),
        ]))
    }

    @Test("kserve Serverless: latest and previous revisions map to the candidate and the stable")
    func kserveCanary() throws {
        let context = RenderFixtures.context(.kserve)
        let isvc = try #require(try KubernetesRenderer(context: context).objects(for: Self.canary, revision: "r").first)
        let reader = ObservedStateReader(context: context)
        let serving = Self.serverless(isvc, created: 2, ready: 2, rolledOut: 1, previous: 1, traffic: [(2, 10, "latest"), (1, 90, "prev")])
        let observed = reader.observed(model: Self.canary, objects: [serving])
        #expect(observed.versions.map(\.state) == [.ready, .ready])
        #expect(observed.effectiveWeights == ["v1": 90, "v2": 10])
        let starting = Self.serverless(isvc, created: 2, ready: 1, rolledOut: 1, previous: 1, traffic: [(1, 100, "prev")])
        let waiting = reader.observed(model: Self.canary, objects: [starting])
        #expect(waiting.version("v2")?.state == .starting)
        #expect(waiting.version("v2")?.message == "revision fraud-detector-predictor-00002 not ready yet: RevisionMissing")
        #expect(waiting.effectiveWeights == ["v1": 100])
        #expect(reader.observed(model: Self.canary, objects: []).version("v1")?.state == .missing)
    }

    @Test("kserve Standard: canaries are read from status.canaryStatuses")
    func kserveStandard() throws {
        let context = RenderFixtures.context(.kserve, mode: .rawDeployment)
        let model = RenderFixtures.standardStates[1].model
        let isvc = try #require(try KubernetesRenderer(context: context).objects(for: model, revision: "r").first)
        let live = isvc.replacing(["status"], with: .object([
            ("conditions", .array([.object([("type", .string("PredictorReady")), ("status", .string("True"))])])),
            ("canaryStatuses", .array([
                .object([("name", .string("v2")), ("ready", .bool(true)), ("trafficPercent", .int(10))]),
                .object([("name", .string("v3")), ("ready", .bool(false)), ("trafficPercent", .int(10))]),
            ])),
        ]))
        let observed = ObservedStateReader(context: context).observed(model: model, objects: [live])
        #expect(observed.versions.map(\.state) == [.ready, .ready, .starting])
        #expect(observed.effectiveWeights["v1"].map { ($0 * 10).rounded() / 10 } == 88.9)
    }

    @Test("drift: an edited weight is reported; fields the server adds are not")
    func drift() throws {
        let model = Self.canary
        let reader = ObservedStateReader(context: RenderFixtures.context(.gatewayAPI))
        let objects = try Self.gatewayObjects(model)
        #expect(reader.drift(model: model, objects: objects) == [])
        let edited = objects.map { object -> KubernetesObject in
            guard object.kind == "HTTPRoute", var rules = object["spec", "rules"]?.arrayValue, let last = rules.popLast() else { return object }
            let refs = (last["backendRefs"]?.arrayValue ?? []).map { ref in
                ref.replacing(["weight"], with: .int(50)).replacing(["group"], with: .string("")).replacing(["kind"], with: .string("Service"))
            }
            return object.replacing(["spec", "rules"], with: .array(rules + [last.replacing(["backendRefs"], with: .array(refs))]))
        }
        let found = reader.drift(model: model, objects: edited)
        #expect(found.map(\.description) == [
            "HTTPRoute/fraud-detector: spec.rules[2].backendRefs[0].weight is 50, rendered 90",
            "HTTPRoute/fraud-detector: spec.rules[2].backendRefs[1].weight is 50, rendered 10",
        ])
        #expect(reader.drift(model: model, objects: []).count == 5)
    }
}
