import NIOHTTP1
import SluiceCore
import SluiceKubernetes

/// Test hooks: look at the store, act as another client (`kubectl`), script faults and admission
/// denials, steer the status "controllers" and the watch streams.
extension FakeKubernetesAPIServer {
    /// The stored objects of `kind` in `namespace` (nil: every namespace), by name.
    public func objects(kind: ResourceKind, namespace: String?) -> [KubernetesObject] {
        cluster.objects(kind, namespace: namespace)
    }

    /// One stored object.
    public func object(kind: ResourceKind, namespace: String, name: String) -> KubernetesObject? {
        cluster.state.withLockedValue { $0.objects[FakeKubernetesKey(kind: kind, namespace: namespace, name: name)].map { KubernetesObject($0.json) } }
    }

    /// Creates or replaces an object as another client would (an `Update` by `manager`, e.g. one
    /// `kubectl create` made): its fields belong to `manager`, so a later apply by Sluice without
    /// `force` conflicts on them. `status` in `object` is ignored (the controllers write it).
    @discardableResult
    public func put(_ object: KubernetesObject, manager: String = "kubectl") throws -> KubernetesObject {
        guard let kind = ResourceKind.of(object), let namespace = object.namespace else {
            throw FakeKubernetesSetupError(message: "put: the object needs a known apiVersion/kind and metadata.namespace")
        }
        do {
            if self.object(kind: kind, namespace: namespace, name: object.name) == nil {
                return KubernetesObject(try cluster.create(kind, namespace: namespace, body: object.json, manager: manager, dryRun: false))
            }
            var body = object.json
            body.fakeSet("metadata", (object.json["metadata"] ?? .object([])).removingResourceVersion())
            return KubernetesObject(try cluster.replace(kind, namespace: namespace, name: object.name, body: body, manager: manager, dryRun: false))
        } catch {
            throw FakeKubernetesSetupError(message: "put: \(error.message)")
        }
    }

    /// Edits a stored object in place as another client would (drift: someone edits the
    /// weights). The fields the edit changes now belong to `manager`; a spec change bumps the
    /// generation; `status` may be edited too. Returns false when there is no such object.
    @discardableResult
    public func edit(kind: ResourceKind, namespace: String, name: String, manager: String = "kubectl-edit", _ change: (inout JSONValue) -> Void) -> Bool {
        let key = FakeKubernetesKey(kind: kind, namespace: namespace, name: name)
        guard var json = cluster.state.withLockedValue({ $0.objects[key]?.json }) else { return false }
        // The change runs outside the lock, so it may read the fake (a callback into a held lock would deadlock).
        change(&json)
        return cluster.state.withLockedValue { state in
            guard let stored = state.objects[key] else { return false }
            FakeKubernetesCluster.bumpGeneration(kind, old: stored.json, new: &json)
            cluster.commit(key, FakeKubernetesCluster.updated(stored, to: json, by: manager, apiVersion: kind.apiVersion), type: .modified, in: &state)
            return true
        }
    }

    /// The next `count` requests with `method` (nil: any) whose path contains `pathContains` answer
    /// `status` with the upstream Status: 403 in the RBAC wording (`… is forbidden: User
    /// "system:serviceaccount:models:sluice" cannot patch resource "deployments" in API group "apps"
    /// in the namespace "models"`), 409 the optimistic-lock conflict, 410 Expired, 429 with
    /// Retry-After, 500 InternalError, 503.
    public func failNext(method: String? = nil, pathContains: String = "", status: Int, count: Int = 1) {
        script(FakeKubernetesFault(method: method.map { HTTPMethod(rawValue: $0.uppercased()) }, pathContains: pathContains, effect: .status(status), remaining: count))
    }

    /// The next `count` matching requests are read and never answered; their connections stay
    /// open until the client gives up.
    public func silenceNext(method: String? = nil, pathContains: String = "", count: Int = 1) {
        script(FakeKubernetesFault(method: method.map { HTTPMethod(rawValue: $0.uppercased()) }, pathContains: pathContains, effect: .silence, remaining: count))
    }

    private func script(_ fault: FakeKubernetesFault) {
        cluster.state.withLockedValue { $0.faults.append(fault) }
    }

    /// A validating webhook denies every create, apply and update of `kind` (dry runs included)
    /// until ``allowAdmission(kind:)``: 400/403 as `admission webhook "<webhook>" denied the request:
    /// <message>`, or 422 Invalid. KServe's validator is named after its ValidatingWebhookConfiguration
    /// (kserve/kserve config/webhook/manifests.yaml).
    public func rejectAdmission(
        kind: ResourceKind, message: String, code: Int = 400, webhook: String = "inferenceservice.kserve-webhook-server.validator"
    ) {
        cluster.state.withLockedValue { $0.rejections[kind] = FakeKubernetesRejection(webhook: webhook, message: message, code: code) }
    }

    /// Ends a ``rejectAdmission(kind:message:code:webhook:)``.
    public func allowAdmission(kind: ResourceKind) {
        cluster.state.withLockedValue { $0.rejections[kind] = nil }
    }

    /// Every request received (method, path, query), oldest first.
    public var requestLog: [FakeKubernetesRequestRecord] { cluster.state.withLockedValue { $0.requestLog } }
    /// How many requests were received.
    public var requestCount: Int { cluster.state.withLockedValue { $0.requestCount } }
    /// Empties the request log and zeroes the count (e.g. before measuring one pass).
    public func resetRequestLog() {
        cluster.state.withLockedValue {
            $0.requestLog = []
            $0.requestCount = 0
        }
    }

    /// The current (global) resourceVersion.
    public var resourceVersion: String { String(cluster.state.withLockedValue { $0.resourceVersion }) }

    /// Whether the status "controllers" run (on by default). Turning them back on catches up at once.
    public var automaticStatus: Bool {
        get { cluster.state.withLockedValue { $0.automaticStatus } }
        set {
            cluster.state.withLockedValue { $0.automaticStatus = newValue }
            if newValue { cluster.reconcileAll() }
        }
    }

    /// Keeps an object not ready (a Deployment's pods never become available, an HTTPRoute is
    /// not Accepted, an InferenceService's newest revision never becomes ready) or lets it become ready.
    public func setReady(kind: ResourceKind, namespace: String, name: String, ready: Bool) {
        let key = FakeKubernetesKey(kind: kind, namespace: namespace, name: name)
        cluster.state.withLockedValue { state in
            if ready { state.heldUnready.remove(key) } else { state.heldUnready.insert(key) }
        }
        cluster.scheduleControllers(after: key)
    }

    /// Makes the HorizontalPodAutoscaler `name` recommend `replicas` at a per-pod `load` (a
    /// quantity, e.g. `"9"` or `"2500m"`), as its metric would: it scales its Deployment within
    /// its bounds and reports the load in `status.currentMetrics`.
    public func recommendReplicas(namespace: String, name: String, replicas: Int, load: String) {
        let key = FakeKubernetesKey(kind: .horizontalPodAutoscaler, namespace: namespace, name: name)
        cluster.state.withLockedValue { $0.autoscalerRecommendations[key] = FakeAutoscalerRecommendation(replicas: replicas, load: load) }
        cluster.scheduleControllers(after: key)
    }

    /// `setReady(…, ready: false)`.
    public func holdUnready(kind: ResourceKind, namespace: String, name: String) {
        setReady(kind: kind, namespace: namespace, name: name, ready: false)
    }

    /// A BOOKMARK now to every watch that allows them.
    public func sendBookmarks() { cluster.sendBookmarks() }

    /// Forgets the watch history: a watch from any older resourceVersion answers a 410 Expired ERROR event.
    public func compactHistory() { cluster.compactHistory() }

    /// Ends every open watch stream (clients must resume).
    public func closeWatches() { cluster.closeWatches() }
}

extension JSONValue {
    fileprivate func removingResourceVersion() -> JSONValue {
        var copy = self
        copy.fakeRemove("resourceVersion")
        return copy
    }
}
