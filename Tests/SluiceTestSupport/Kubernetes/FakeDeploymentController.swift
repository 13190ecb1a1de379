import SluiceCore

/// The status the Deployment controller writes (kubernetes/kubernetes pkg/controller/deployment,
/// `sync.go` `calculateStatus` and `progress.go`), compared with the upstream example in
/// Tests/SluiceKubernetesTests/Fixtures/upstream/deployment-status.json:
/// observedGeneration, replicas, updatedReplicas, readyReplicas, availableReplicas and the
/// conditions Available (MinimumReplicasAvailable) and Progressing (NewReplicaSetAvailable).
/// Held unready: no ready/available replicas, Available False (MinimumReplicasUnavailable),
/// Progressing True (ReplicaSetUpdated).
enum FakeDeploymentController {
    static func status(of object: JSONValue, ready: Bool, old: JSONValue?) -> JSONValue {
        let replicas = object["spec"]?["replicas"]?.intValue ?? 1
        let generation = object["metadata"]?["generation"]?.intValue ?? 1
        let name = object["metadata"]?["name"]?.stringValue ?? ""
        let replicaSet = "\(name)-\(FakeConditions.hash(object["spec"]?["template"] ?? .null))"
        var members: [(String, JSONValue)] = [("observedGeneration", .int(generation))]
        if replicas > 0 {
            members += [("replicas", .int(replicas)), ("updatedReplicas", .int(replicas))]
            if ready {
                members += [("readyReplicas", .int(replicas)), ("availableReplicas", .int(replicas))]
            } else {
                members.append(("unavailableReplicas", .int(replicas)))
            }
        }
        let oldConditions = old?["conditions"]
        let now = FakeKubernetesClock.now()
        func condition(_ type: String, _ status: String, _ reason: String, _ message: String) -> JSONValue {
            .object([
                ("type", .string(type)), ("status", .string(status)), ("lastUpdateTime", .string(now)),
                ("lastTransitionTime", .string(FakeConditions.transitionTime(type, status: status, in: oldConditions))),
                ("reason", .string(reason)), ("message", .string(message)),
            ])
        }
        let conditions: [JSONValue] =
            ready || replicas == 0
            ? [
                condition("Available", "True", "MinimumReplicasAvailable", "Deployment has minimum availability."),
                condition("Progressing", "True", "NewReplicaSetAvailable", "ReplicaSet \"\(replicaSet)\" has successfully progressed."),
            ]
            : [
                condition("Available", "False", "MinimumReplicasUnavailable", "Deployment does not have minimum availability."),
                condition("Progressing", "True", "ReplicaSetUpdated", "ReplicaSet \"\(replicaSet)\" is progressing."),
            ]
        members.append(("conditions", .array(conditions)))
        return .object(members)
    }
}
