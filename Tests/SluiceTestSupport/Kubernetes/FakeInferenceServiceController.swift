import SluiceCore

/// The revisions KServe (through Knative) has made of one InferenceService's predictor.
struct FakeKServeRevisions: Sendable {
    /// How many revisions exist (the next is `{name}-predictor-0000{count+1}`).
    var count = 0
    /// The predictor spec (without canaryTrafficPercent) of the latest revision.
    var latestSpec: JSONValue?
    var latestCreated: String?
    var latestReady: String?
    var latestRolledout: String?
    var previousRolledout: String?
}

/// The status KServe writes on a serverless InferenceService, after kserve/kserve
/// pkg/apis/serving/v1beta1/inference_service_status.go (`PropagateStatus`, the living condition
/// set PredictorReady + IngressReady → Ready) and the Knative traffic its ksvc reconciler asks for
/// (pkg/controller/v1beta1/inferenceservice/reconcilers/knative/ksvc_reconciler.go), compared with
/// the upstream example in Tests/SluiceKubernetesTests/Fixtures/upstream/inferenceservice-status.json:
/// - every change of `spec.predictor` (other than canaryTrafficPercent) creates a revision
///   `{name}-predictor-0000N`; it becomes the latest ready one unless held unready;
/// - with `canaryTrafficPercent` and a rolled-out revision, traffic is split `latest` (the latest
///   ready revision) at that percent and `prev` (latestRolledoutRevision) at the rest; otherwise the
///   latest ready revision takes 100 and becomes latestRolledoutRevision (the one before it
///   previousRolledoutRevision);
/// - `canaryTrafficPercent: 0` on a rolled-out revision pins all traffic back: latestRolledoutRevision
///   is reset to previousRolledoutRevision, as KServe does;
/// - conditions IngressReady, PredictorReady and Ready (knative's alphabetical order, with
///   PredictorConfigurationReady, PredictorRouteReady, LatestDeploymentReady and RoutesReady);
///   `url`, `address`, `components.predictor.{url,address}`.
/// With annotation `serving.kserve.io/deploymentMode: RawDeployment` (or `Standard`) there are no
/// revisions or traffic: the predictor is ready or not.
enum FakeInferenceServiceController {
    static func status(of object: JSONValue, ready: Bool, old: JSONValue?, revisions: inout FakeKServeRevisions) -> JSONValue {
        let name = object["metadata"]?["name"]?.stringValue ?? ""
        let namespace = object["metadata"]?["namespace"]?.stringValue ?? ""
        let generation = object["metadata"]?["generation"]?.intValue ?? 1
        let mode = object["metadata"]?["annotations"]?["serving.kserve.io/deploymentMode"]?.stringValue ?? "Serverless"
        let raw = mode == "RawDeployment" || mode == "Standard"
        var predictor = object["spec"]?["predictor"] ?? .object([])
        let canary = predictor["canaryTrafficPercent"]?.intValue
        predictor.fakeRemove("canaryTrafficPercent")
        if predictor != revisions.latestSpec {
            revisions.count += 1
            revisions.latestSpec = predictor
            revisions.latestCreated = revisionName(name, revisions.count)
        }
        if ready { revisions.latestReady = revisions.latestCreated }
        var traffic: [JSONValue] = []
        if !raw {
            // KServe reconciles until the rolled-out revisions settle (a rollback takes two rounds).
            for _ in 0..<3 {
                traffic = knativeTraffic(name: name, namespace: namespace, canary: canary, revisions: revisions)
                guard propagate(traffic, into: &revisions) else { break }
            }
        }
        let predictorReady = revisions.latestReady != nil && revisions.latestReady == revisions.latestCreated
        let anyReady = revisions.latestReady != nil
        let host = "\(name).\(namespace)"
        var component: [(String, JSONValue)] = []
        if !raw {
            if let value = revisions.latestCreated { component.append(("latestCreatedRevision", .string(value))) }
            if let value = revisions.latestReady { component.append(("latestReadyRevision", .string(value))) }
            if let value = revisions.latestRolledout { component.append(("latestRolledoutRevision", .string(value))) }
            if let value = revisions.previousRolledout { component.append(("previousRolledoutRevision", .string(value))) }
            if !traffic.isEmpty { component.append(("traffic", .array(traffic))) }
        }
        if anyReady {
            component.append(("url", .string("http://\(name)-predictor.\(namespace).example.com")))
            component.append(("address", .object([("url", .string("http://\(name)-predictor.\(namespace).svc.cluster.local"))])))
        }
        let oldConditions = old?["conditions"]
        func condition(_ type: String, _ isTrue: Bool, reason: String, message: String) -> JSONValue {
            let status = isTrue ? "True" : "Unknown"
            var members: [(String, JSONValue)] = [
                ("type", .string(type)), ("status", .string(status)),
                ("lastTransitionTime", .string(FakeConditions.transitionTime(type, status: status, in: oldConditions))),
            ]
            if !isTrue { members += [("reason", .string(reason)), ("message", .string(message))] }
            return .object(members)
        }
        let waiting = "Configuration \"\(name)-predictor\" is waiting for a Revision to become ready."
        var conditions = [
            condition("IngressReady", anyReady, reason: "RevisionMissing", message: waiting),
            condition("PredictorReady", predictorReady, reason: "RevisionMissing", message: waiting),
            condition("Ready", predictorReady && anyReady, reason: "RevisionMissing", message: waiting),
        ]
        if !raw {
            conditions.insert(condition("LatestDeploymentReady", predictorReady, reason: "PredictorConfigurationReady not ready", message: ""), at: 1)
            conditions.insert(condition("PredictorConfigurationReady", predictorReady, reason: "RevisionMissing", message: waiting), at: 2)
            conditions.insert(condition("PredictorRouteReady", anyReady, reason: "RevisionMissing", message: waiting), at: 4)
            conditions.append(condition("RoutesReady", anyReady, reason: "PredictorRouteReady not ready", message: ""))
        }
        var members: [(String, JSONValue)] = [("observedGeneration", .int(generation))]
        if anyReady {
            members.append(("url", .string("http://\(host).example.com")))
            members.append(("address", .object([("url", .string("http://\(name)-predictor.\(namespace).svc.cluster.local"))])))
        }
        members.append(("conditions", .array(conditions)))
        members.append(("components", .object([("predictor", .object(component))])))
        let loaded = predictorReady
        members.append((
            "modelStatus",
            .object([
                ("transitionStatus", .string(loaded ? "UpToDate" : "InProgress")),
                ("states", .object([("activeModelState", .string(anyReady ? "Loaded" : "Pending")), ("targetModelState", .string(loaded ? "Loaded" : "Pending"))])),
                ("copies", .object([("failedCopies", .int(0)), ("totalCopies", .int(anyReady ? 1 : 0))])),
            ])
        ))
        members.append(("deploymentMode", .string(raw ? "RawDeployment" : "Serverless")))
        return .object(members)
    }

    static func revisionName(_ name: String, _ number: Int) -> String {
        let digits = String(number)
        return "\(name)-predictor-\(String(repeating: "0", count: max(0, 5 - digits.count)))\(digits)"
    }

    /// The Knative status traffic for the ksvc KServe writes: `latest` follows the latest ready revision.
    static func knativeTraffic(name: String, namespace: String, canary: Int?, revisions: FakeKServeRevisions) -> [JSONValue] {
        guard let latestReady = revisions.latestReady else { return [] }
        func target(tag: String?, revision: String, latest: Bool, percent: Int) -> JSONValue {
            var members: [(String, JSONValue)] = []
            if let tag { members.append(("tag", .string(tag))) }
            members += [("revisionName", .string(revision)), ("latestRevision", .bool(latest)), ("percent", .int(percent))]
            if let tag { members.append(("url", .string("http://\(tag)-\(name)-predictor.\(namespace).example.com"))) }
            return .object(members)
        }
        if let canary, let rolledOut = revisions.latestRolledout {
            let percent = min(100, max(0, canary))
            return [
                target(tag: "latest", revision: latestReady, latest: true, percent: percent),
                target(tag: "prev", revision: rolledOut, latest: false, percent: 100 - percent),
            ]
        }
        return [target(tag: nil, revision: latestReady, latest: true, percent: 100)]
    }

    /// `PropagateStatus`'s bookkeeping of rolled-out revisions; true when it changed them.
    static func propagate(_ traffic: [JSONValue], into revisions: inout FakeKServeRevisions) -> Bool {
        let before = (revisions.latestRolledout, revisions.previousRolledout)
        var perRevision: [String: Int] = [:]
        for entry in traffic {
            if let revision = entry["revisionName"]?.stringValue { perRevision[revision, default: 0] += entry["percent"]?.intValue ?? 0 }
        }
        for entry in traffic {
            guard let revision = entry["revisionName"]?.stringValue, revision == revisions.latestReady,
                entry["latestRevision"]?.boolValue == true, let percent = entry["percent"]?.intValue
            else { continue }
            if revisions.latestRolledout != revision {
                if percent == 100 {
                    revisions.previousRolledout = revisions.latestRolledout
                    revisions.latestRolledout = revision
                }
            } else if revisions.latestReady == revisions.latestCreated, percent < 100, perRevision[revision] == 100,
                let previous = revisions.previousRolledout
            {
                revisions.latestRolledout = previous
            }
        }
        return before != (revisions.latestRolledout, revisions.previousRolledout)
    }
}
