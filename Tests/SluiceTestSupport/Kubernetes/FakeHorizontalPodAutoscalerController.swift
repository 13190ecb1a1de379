import SluiceCore
import SluiceKubernetes

/// What the HorizontalPodAutoscaler controller does (kubernetes/kubernetes
/// pkg/controller/podautoscaler/horizontal.go `reconcileAutoscaler`), compared with the upstream
/// example in Tests/SluiceKubernetesTests/Fixtures/upstream/hpa-status.json: it keeps the target
/// Deployment's `spec.replicas` between `minReplicas` and `maxReplicas` at the count its metric
/// recommends, writing it as an update by `kube-controller-manager` (which takes the field's
/// ownership, as a scale-subresource update does), and writes `status` with observedGeneration,
/// currentReplicas, desiredReplicas, lastScaleTime, currentMetrics and the conditions
/// AbleToScale, ScalingActive and ScalingLimited.
///
/// The fake has no metrics pipeline: the recommendation is what a test scripted with
/// ``FakeKubernetesAPIServer/recommendReplicas(namespace:name:replicas:load:)`` (none: the current
/// count, at load 0), and the controller acts when its HPA changes or a recommendation is
/// scripted, not on a 15-second resync.
enum FakeHorizontalPodAutoscalerController {
    /// The field manager the HPA controller's scale updates are recorded under.
    static let manager = "kube-controller-manager"

    static func reconcile(_ key: FakeKubernetesKey, hpa: JSONValue, old: JSONValue?, in state: inout FakeKubernetesState, cluster: FakeKubernetesCluster) -> JSONValue {
        let spec = hpa["spec"]
        let minimum = spec?["minReplicas"]?.intValue ?? 1
        let maximum = spec?["maxReplicas"]?.intValue ?? minimum
        let metricName = spec?["metrics"]?.arrayValue?.first?["pods"]?["metric"]?["name"]?.stringValue ?? ""
        let generation = hpa["metadata"]?["generation"]?.intValue ?? 1
        let target = FakeKubernetesKey(kind: .deployment, namespace: key.namespace, name: spec?["scaleTargetRef"]?["name"]?.stringValue ?? "")
        let oldConditions = old?["conditions"]
        let now = FakeKubernetesClock.now()
        func condition(_ type: String, _ status: String, _ reason: String, _ message: String) -> JSONValue {
            .object([
                ("type", .string(type)), ("status", .string(status)),
                ("lastTransitionTime", .string(FakeConditions.transitionTime(type, status: status, in: oldConditions))),
                ("reason", .string(reason)), ("message", .string(message)),
            ])
        }
        guard var deployment = state.objects[target] else {
            return .object([
                ("observedGeneration", .int(generation)), ("currentReplicas", .int(0)), ("desiredReplicas", .int(0)),
                ("conditions", .array([
                    condition("AbleToScale", "False", "FailedGetScale",
                              "the HPA controller was unable to get the target's current scale: deployments/scale.apps \"\(target.name)\" not found"),
                ])),
            ])
        }
        let current = deployment.json["spec"]?["replicas"]?.intValue ?? 1
        let recommendation = state.autoscalerRecommendations[key]
        // Out of bounds, the count is brought within them first (no metric needed, no limit reported).
        let wanted = recommendation?.replicas ?? min(max(current, minimum), maximum)
        let desired = min(max(wanted, minimum), maximum)
        var lastScaleTime = old?["lastScaleTime"]
        if desired != current {
            var json = deployment.json
            var deploymentSpec = json["spec"] ?? .object([])
            deploymentSpec.fakeSet("replicas", .int(desired))
            json.fakeSet("spec", deploymentSpec)
            FakeKubernetesCluster.bumpGeneration(.deployment, old: deployment.json, new: &json)
            deployment = FakeKubernetesCluster.updated(deployment, to: json, by: manager, apiVersion: ResourceKind.deployment.apiVersion)
            cluster.commit(target, deployment, type: .modified, in: &state)
            lastScaleTime = .string(now)
        }
        let limited: JSONValue =
            if wanted > maximum {
                condition("ScalingLimited", "True", "TooManyReplicas", "the desired replica count is more than the maximum replica count")
            } else if wanted < minimum {
                condition("ScalingLimited", "True", "TooFewReplicas", "the desired replica count is less than the minimum replica count")
            } else {
                condition("ScalingLimited", "False", "DesiredWithinRange", "the desired replica count is within the acceptable range")
            }
        var members: [(String, JSONValue)] = [("observedGeneration", .int(generation))]
        if let lastScaleTime { members.append(("lastScaleTime", lastScaleTime)) }
        members += [
            ("currentReplicas", .int(desired)), ("desiredReplicas", .int(desired)),
            ("currentMetrics", .array([.object([
                ("type", .string("Pods")),
                ("pods", .object([
                    ("metric", .object([("name", .string(metricName))])),
                    ("current", .object([("averageValue", .string(recommendation?.load ?? "0"))])),
                ])),
            ])])),
            ("conditions", .array([
                condition("AbleToScale", "True", "ReadyForNewScale", "the last scale time was sufficiently old as to warrant a new scale"),
                condition("ScalingActive", "True", "ValidMetricFound", "the HPA was able to successfully calculate a replica count from pods metric \(metricName)"),
                limited,
            ])),
        ]
        return .object(members)
    }
}

/// A replica count and the per-pod load (a quantity) a test makes an HPA's metric recommend.
struct FakeAutoscalerRecommendation: Sendable {
    var replicas: Int
    var load: String
}
