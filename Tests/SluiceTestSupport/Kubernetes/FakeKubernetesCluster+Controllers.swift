import NIOCore
import SluiceCore
import SluiceKubernetes

/// The status "controllers": after a change, and asynchronously like real ones (but promptly),
/// each owned object gets the status its upstream controller would write. A status write is a
/// new resourceVersion and a MODIFIED watch event; a status that would not change is not written.
extension FakeKubernetesCluster {
    /// Wakes the controllers of what `key` affects (a Service: the HTTPRoutes of its namespace).
    func scheduleControllers(after key: FakeKubernetesKey) {
        guard [.deployment, .httpRoute, .grpcRoute, .inferenceService, .service, .horizontalPodAutoscaler].contains(key.kind) else { return }
        eventLoop.scheduleTask(in: options.statusDelay.fakeTimeAmount) { self.reconcile(after: key) }
    }

    /// Writes the status of `key` (and of the HTTPRoutes a Service change affects).
    func reconcile(after key: FakeKubernetesKey) {
        state.withLockedValue { state in
            guard state.automaticStatus else { return }
            let targets: [FakeKubernetesKey]
            if key.kind == .service {
                // Only the routes that name this Service (an index): a pass over 1,000 models stays linear.
                targets = Array(state.routesByService[key] ?? [])
            } else {
                targets = [key]
            }
            for target in targets { reconcileOne(target, in: &state) }
        }
    }

    /// Reconciles every object (after `automaticStatus` is turned back on, or readiness changed).
    func reconcileAll() {
        state.withLockedValue { state in
            guard state.automaticStatus else { return }
            for key in state.objects.keys where [.deployment, .httpRoute, .grpcRoute, .inferenceService, .horizontalPodAutoscaler].contains(key.kind) {
                reconcileOne(key, in: &state)
            }
        }
    }

    private func reconcileOne(_ key: FakeKubernetesKey, in state: inout FakeKubernetesState) {
        guard var stored = state.objects[key] else { return }
        let ready = !state.heldUnready.contains(key)
        let old = stored.json["status"]
        let status: JSONValue
        switch key.kind {
        case .deployment: status = FakeDeploymentController.status(of: stored.json, ready: ready, old: old)
        case .httpRoute, .grpcRoute:
            // A GRPCRoute's status is the same RouteStatus (apis/v1/grpcroute_types.go embeds RouteStatus).
            status = FakeHTTPRouteController.status(of: stored.json, ready: ready, old: old) { name in
                state.objects[FakeKubernetesKey(kind: .service, namespace: key.namespace, name: name)] != nil
            }
        case .inferenceService:
            var revisions = state.revisions[key] ?? FakeKServeRevisions()
            status = FakeInferenceServiceController.status(of: stored.json, ready: ready, old: old, revisions: &revisions)
            state.revisions[key] = revisions
        case .horizontalPodAutoscaler:
            status = FakeHorizontalPodAutoscalerController.reconcile(key, hpa: stored.json, old: old, in: &state, cluster: self)
            // Scaling the Deployment committed a change: read the HPA again (its resourceVersion moved on).
            guard let latest = state.objects[key] else { return }
            stored = latest
        default: return
        }
        guard FakeConditions.withoutTimes(status) != FakeConditions.withoutTimes(old ?? .null) else { return }
        stored.json.fakeSet("status", status)
        commit(key, stored, type: .modified, in: &state)
    }
}

extension FakeKubernetesState {
    /// Keeps ``routesByService`` in step with a change of an HTTPRoute or GRPCRoute.
    mutating func indexRoute(_ key: FakeKubernetesKey, old: JSONValue?, new: JSONValue?) {
        guard key.kind == .httpRoute || key.kind == .grpcRoute else { return }
        for service in Self.backendServices(of: old, namespace: key.namespace) { routesByService[service]?.remove(key) }
        for service in Self.backendServices(of: new, namespace: key.namespace) { routesByService[service, default: []].insert(key) }
    }

    /// The Services (in the route's namespace) a route's backendRefs name.
    static func backendServices(of route: JSONValue?, namespace: String) -> [FakeKubernetesKey] {
        (route?["spec"]?["rules"]?.arrayValue ?? []).flatMap { rule in
            (rule["backendRefs"]?.arrayValue ?? []).compactMap { ref in
                ref["name"]?.stringValue.map { FakeKubernetesKey(kind: .service, namespace: namespace, name: $0) }
            }
        }
    }
}

/// Condition helpers shared by the controllers.
enum FakeConditions {
    /// The document without `lastTransitionTime`/`lastUpdateTime`, to compare statuses.
    static func withoutTimes(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(let members):
            return .object(members.filter { $0.0 != "lastTransitionTime" && $0.0 != "lastUpdateTime" }.map { ($0.0, withoutTimes($0.1)) })
        case .array(let items): return .array(items.map(withoutTimes))
        default: return value
        }
    }

    /// The `lastTransitionTime` of the old condition of `type` when its status did not change; now otherwise.
    static func transitionTime(_ type: String, status: String, in old: JSONValue?) -> String {
        let previous = old?.arrayValue?.first { $0["type"]?.stringValue == type }
        if previous?["status"]?.stringValue == status, let time = previous?["lastTransitionTime"]?.stringValue { return time }
        return FakeKubernetesClock.now()
    }

    /// A stable short hash (FNV-1a), like a pod-template-hash.
    static func hash(_ value: JSONValue) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in value.serialized().utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        let alphabet = Array("bcdfghjklmnpqrstvwxz2456789")
        var text = ""
        for _ in 0..<10 {
            text.append(alphabet[Int(hash % UInt64(alphabet.count))])
            hash /= UInt64(alphabet.count)
        }
        return text
    }
}
