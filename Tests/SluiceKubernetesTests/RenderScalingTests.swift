import Foundation
import SluiceConfig
import SluiceCore
import SluiceKubernetes
import Testing

/// A version's `scaling` as each driver renders it: Deployment replicas or an autoscaling/v2
/// HorizontalPodAutoscaler (`gateway-api`), KServe's predictor fields (`kserve`). The golden
/// files `fixed-replicas` and `autoscaling-canary` pin the whole objects; these tests name the
/// fields and the errors.
@Suite("Rendering: replica scaling becomes Deployment replicas, an HPA, or KServe's predictor fields", .timeLimit(.minutes(10)))
struct RenderScalingTests {
    static let autoscaling = RenderFixtures.scalingStates[1].model

    static func objects(_ driver: KubernetesDriver, _ model: ModelRuntime, mode: KServeDeploymentMode = .serverless) throws -> [KubernetesObject] {
        try KubernetesRenderer(context: RenderFixtures.context(driver, mode: mode)).objects(for: model, revision: nil)
    }

    static func error(_ driver: KubernetesDriver, _ model: ModelRuntime) -> KubernetesRenderError? {
        do {
            _ = try objects(driver, model)
            return nil
        } catch let error as KubernetesRenderError {
            return error
        } catch {
            return nil
        }
    }

    static func model(_ scaling: ReplicaScaling) -> ModelRuntime {
        RenderFixtures.fraud([RenderFixtures.scaled(RenderFixtures.v1, scaling)], ["v1": 100])
    }

    @Test("without scaling the Deployment keeps the runtime's replica count and no HPA is rendered")
    func noScaling() throws {
        let objects = try Self.objects(.gatewayAPI, RenderFixtures.states[0].model)
        #expect(objects.map(\.kind) == ["Service", "Deployment", "HTTPRoute"])
        #expect(objects[1]["spec", "replicas"] == .int(1))
        let isvc = try #require(try Self.objects(.kserve, RenderFixtures.states[0].model).first)
        for field in ["minReplicas", "maxReplicas", "scaleMetric", "scaleTarget"] { #expect(isvc["spec", "predictor", field] == nil) }
    }

    @Test("fixed bounds set the Deployment's replicas and render no HPA")
    func fixedReplicas() throws {
        let objects = try Self.objects(.gatewayAPI, Self.model(.fixed(3)))
        #expect(objects.map(\.kind) == ["Service", "Deployment", "HTTPRoute"])
        #expect(objects[1]["spec", "replicas"] == .int(3))
    }

    @Test("autoscaling renders an HPA per version after its Deployment, which leaves spec.replicas to it")
    func autoscalingObjects() throws {
        let objects = try Self.objects(.gatewayAPI, Self.autoscaling)
        #expect(objects.map(\.kind) == ["Service", "Deployment", "HorizontalPodAutoscaler", "Service", "Deployment", "HorizontalPodAutoscaler", "HTTPRoute"])
        for deployment in objects where deployment.kind == "Deployment" { #expect(deployment["spec", "replicas"] == nil) }
        let stable = objects[2]
        #expect(stable.apiVersion == "autoscaling/v2")
        #expect(stable.name == "fraud-detector-v1" && stable.name == objects[1].name)
        #expect(stable.labels[KubernetesLabels.managedBy] == "sluice" && stable.labels[KubernetesLabels.version] == "v1")
        #expect(stable["spec"] == (try JSONParser.parse(Array("""
            {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "fraud-detector-v1"},
             "minReplicas": 2, "maxReplicas": 8,
             "metrics": [{"type": "Pods", "pods": {"metric": {"name": "sluice_requests_in_flight"},
                                                   "target": {"type": "AverageValue", "averageValue": "4"}}}],
             "behavior": {"scaleDown": {"stabilizationWindowSeconds": 120}}}
            """.utf8))))
        // The canary of an artifact change (`v1~canary`): the HPA is named like its Deployment.
        let canary = objects[5]
        #expect(canary.name == KubernetesNames.versionObject(model: "fraud-detector", version: "v1~canary") && canary.name == objects[4].name)
        #expect(canary["spec", "scaleTargetRef", "name"] == .string(canary.name))
        #expect(canary.annotations[KubernetesAnnotations.version] == "v1~canary")
        #expect(canary["spec", "metrics"]?.arrayValue?.first?["pods"]?["metric"]?["name"] == .string("sluice_requests_per_second"))
        #expect(canary["spec", "metrics"]?.arrayValue?.first?["pods"]?["target"]?["averageValue"] == .string("2500m"))
        #expect(canary["spec", "behavior", "scaleDown", "stabilizationWindowSeconds"] == .int(90))
    }

    @Test("targets are written as canonical quantities, so the read-back is not drift", arguments: [
        (4.0, "4"), (2.5, "2500m"), (0.25, "250m"), (2000, "2k"), (1500, "1500"), (3_000_000, "3M"), (0.0001, "1m"),
    ])
    func quantities(_ value: Double, _ text: String) throws {
        let objects = try Self.objects(.gatewayAPI, Self.model(ReplicaScaling(minReplicas: 1, maxReplicas: 3, target: .rps(value))))
        let hpa = try #require(objects.first { $0.kind == "HorizontalPodAutoscaler" })
        #expect(hpa["spec", "metrics"]?.arrayValue?.first?["pods"]?["target"]?["averageValue"] == .string(text))
    }

    @Test("a fractional scaleDownDelay is rounded up to whole seconds")
    func windowRoundsUp() throws {
        let scaling = ReplicaScaling(minReplicas: 1, maxReplicas: 2, scaleDownDelay: Duration(milliseconds: 90_500))
        let hpa = try #require(try Self.objects(.gatewayAPI, Self.model(scaling)).first { $0.kind == "HorizontalPodAutoscaler" })
        #expect(hpa["spec", "behavior", "scaleDown", "stabilizationWindowSeconds"] == .int(91))
    }

    @Test("KServe Serverless: the predictor gets minReplicas, maxReplicas, scaleMetric and scaleTarget rounded up")
    func kserveServerless() throws {
        let isvc = try #require(try Self.objects(.kserve, Self.autoscaling).first)
        // The predictor is the newest version (the canary, rps 2.5 → 3).
        #expect(isvc["spec", "predictor", "minReplicas"] == .int(1))
        #expect(isvc["spec", "predictor", "maxReplicas"] == .int(2))
        #expect(isvc["spec", "predictor", "scaleMetric"] == .string("rps"))
        #expect(isvc["spec", "predictor", "scaleTarget"] == .int(3))
        let stable = try #require(try Self.objects(.kserve, Self.model(ReplicaScaling(minReplicas: 2, maxReplicas: 8, target: .concurrency(4)))).first)
        #expect(stable["spec", "predictor", "scaleMetric"] == .string("concurrency"))
        #expect(stable["spec", "predictor", "scaleTarget"] == .int(4))
    }

    @Test("KServe Standard: bounds on the predictor and each canary, no request metric (its HPA reads cpu or memory only)")
    func kserveStandard() throws {
        let isvc = try #require(try Self.objects(.kserve, Self.autoscaling, mode: .rawDeployment).first)
        #expect(isvc["spec", "predictor", "minReplicas"] == .int(2))
        #expect(isvc["spec", "predictor", "maxReplicas"] == .int(8))
        #expect(isvc["spec", "predictor", "scaleMetric"] == nil && isvc["spec", "predictor", "scaleTarget"] == nil)
        let canary = try #require(isvc["spec", "canary"]?.arrayValue?.first?["predictor"])
        #expect(canary["minReplicas"] == .int(1) && canary["maxReplicas"] == .int(2) && canary["scaleMetric"] == nil)
    }

    @Test("bounds that cannot be rendered are an error naming the version and the field")
    func errors() throws {
        let window = Self.error(.gatewayAPI, Self.model(ReplicaScaling(minReplicas: 1, maxReplicas: 4, scaleDownDelay: .seconds(7200))))
        #expect(window?.version == "v1")
        #expect(window?.detail.hasPrefix("scaling.scaleDownDelay: a HorizontalPodAutoscaler waits at most 3600s (1h)") == true)
        // Fixed bounds make no HPA, so its window does not matter.
        #expect(Self.error(.gatewayAPI, Self.model(ReplicaScaling(minReplicas: 2, maxReplicas: 2, scaleDownDelay: .seconds(7200)))) == nil)
        let huge = Self.error(.gatewayAPI, Self.model(ReplicaScaling(minReplicas: 1, maxReplicas: 4, target: .rps(1e16))))
        #expect(huge?.detail.hasPrefix("scaling.target.rps: ") == true && huge?.detail.contains("Kubernetes quantity") == true)
        let kserve = Self.error(.kserve, Self.model(ReplicaScaling(minReplicas: 1, maxReplicas: 4, target: .concurrency(3e9))))
        #expect(kserve?.detail.hasPrefix("scaling.target.concurrency: ") == true && kserve?.detail.contains("scaleTarget") == true)
        let bounds = Self.error(.gatewayAPI, Self.model(ReplicaScaling(minReplicas: 3, maxReplicas: 2)))
        #expect(bounds?.description == "model fraud-detector, version v1: scaling.maxReplicas: expected at least minReplicas (3), found 2")
        let zero = Self.error(.kserve, Self.model(ReplicaScaling(minReplicas: 0, maxReplicas: 2)))
        #expect(zero?.detail.hasPrefix("scaling.minReplicas: expected a whole number from 1 to 1000") == true)
    }
}
