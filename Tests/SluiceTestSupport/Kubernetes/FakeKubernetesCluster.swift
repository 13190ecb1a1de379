import Foundation
import NIOConcurrencyHelpers
import NIOCore
import SluiceCore
import SluiceKubernetes

/// The store of the fake API server: objects, the resourceVersion counter, the watch history
/// and open watches, scripted faults, and the status "controllers". Every change goes through
/// ``commit(_:_:type:in:)`` under one lock, so watchers see changes in resourceVersion order.
final class FakeKubernetesCluster: Sendable {
    let state = NIOLockedValueBox(FakeKubernetesState())
    let options: FakeKubernetesAPIServer.Options
    /// Runs the status controllers and watch timers.
    let eventLoop: any EventLoop

    init(options: FakeKubernetesAPIServer.Options, eventLoop: any EventLoop) {
        self.options = options
        self.eventLoop = eventLoop
    }

    /// The kinds the fake stores, when their API group/version is served.
    static let kinds: [ResourceKind] = [.deployment, .service, .httpRoute, .grpcRoute, .inferenceService, .horizontalPodAutoscaler, .configMap, .lease, .event]

    /// Kinds whose server bumps `metadata.generation` on spec changes (the apps/v1 and
    /// autoscaling/v2 strategies and every CRD with a status subresource); core Services,
    /// Leases and Events carry none.
    static func hasGeneration(_ kind: ResourceKind) -> Bool {
        kind == .deployment || kind == .httpRoute || kind == .grpcRoute || kind == .inferenceService || kind == .horizontalPodAutoscaler
    }

    /// Built-in kinds: their list items carry no `apiVersion`/`kind` on the wire (the typed
    /// list encoder drops them); CRD (unstructured) list items keep them.
    static func isBuiltIn(_ kind: ResourceKind) -> Bool {
        kind != .httpRoute && kind != .grpcRoute && kind != .inferenceService
    }

    /// Runs `body` under the lock; its typed error passes through (the lock's API is untyped).
    func locked<T>(_ body: (inout FakeKubernetesState) throws(FakeKubernetesFailure) -> T) throws(FakeKubernetesFailure) -> T {
        try state.withLockedValue { state in Result { () throws(FakeKubernetesFailure) -> T in try body(&state) } }.get()
    }

    /// Stores `stored` (nil: deletes) at a new resourceVersion, records the change in the watch
    /// history, hands it to open watches, and wakes the status controllers. Returns the object as stored.
    @discardableResult
    func commit(_ key: FakeKubernetesKey, _ stored: FakeKubernetesStored?, type: FakeKubernetesEventType, in state: inout FakeKubernetesState) -> JSONValue {
        state.resourceVersion += 1
        let previous = state.objects[key]?.json
        var object: JSONValue
        if var stored {
            stored.json = Self.withManagedFields(stored)
            var metadata = stored.json["metadata"] ?? .object([])
            metadata.fakeSet("resourceVersion", .string(String(state.resourceVersion)))
            stored.json.fakeSet("metadata", metadata)
            state.objects[key] = stored
            object = stored.json
        } else {
            state.objects[key] = nil
            object = previous ?? .object([])
            var metadata = object["metadata"] ?? .object([])
            metadata.fakeSet("resourceVersion", .string(String(state.resourceVersion)))
            object.fakeSet("metadata", metadata)
        }
        state.indexRoute(key, old: previous, new: stored == nil ? nil : object)
        let record = FakeKubernetesRecord(resourceVersion: state.resourceVersion, type: type, key: key, object: object, previous: previous)
        state.history.append(record)
        if state.history.count > options.historyLimit {
            // Trim in batches (a tenth of the limit) so a full history is not shifted on every change.
            let drop = min(state.history.count, state.history.count - options.historyLimit + options.historyLimit / 10)
            state.oldestWatchable = state.history[drop - 1].resourceVersion
            state.history.removeFirst(drop)
        }
        for watcher in state.watchers.values { watcher.deliver(record) }
        scheduleControllers(after: key)
        return object
    }

    /// `metadata.managedFields` rendered from the ownership sets (FieldsV1: `f:` keys, `{}` leaves).
    static func withManagedFields(_ stored: FakeKubernetesStored) -> JSONValue {
        var json = stored.json
        var metadata = json["metadata"] ?? .object([])
        let entries: [JSONValue] = stored.managers.sorted { $0.key < $1.key }.compactMap { name, manager in
            guard !manager.paths.isEmpty else { return nil }
            var tree = JSONValue.object([])
            for path in manager.paths.sorted(by: { $0.joined(separator: ".") < $1.joined(separator: ".") }) {
                tree.fakeSet(.object([]), at: ArraySlice(path.map { "f:\($0)" }))
            }
            return .object([
                ("manager", .string(name)), ("operation", .string(manager.operation.rawValue)), ("apiVersion", .string(manager.apiVersion)),
                ("time", .string(manager.time)), ("fieldsType", .string("FieldsV1")), ("fieldsV1", tree),
            ])
        }
        metadata.fakeSet("managedFields", .array(entries))
        json.fakeSet("metadata", metadata)
        return json
    }

    /// Builds the stored form of a new object: server metadata first, in the upstream order.
    static func newObject(_ kind: ResourceKind, namespace: String, name: String, from body: JSONValue) -> JSONValue {
        var metadata: [(String, JSONValue)] = [
            ("name", .string(name)), ("namespace", .string(namespace)), ("uid", .string(UUID().uuidString.lowercased())),
            ("resourceVersion", .string("")),
        ]
        if hasGeneration(kind) { metadata.append(("generation", .int(1))) }
        metadata.append(("creationTimestamp", .string(FakeKubernetesClock.now())))
        for (key, value) in body["metadata"]?.fakeMembers ?? [] where userMetadataKeys.contains(key) {
            metadata.append((key, value))
        }
        var json = JSONValue.object([("apiVersion", .string(kind.apiVersion)), ("kind", .string(kind.kind)), ("metadata", .object(metadata))])
        for (key, value) in body.fakeMembers ?? [] where !["apiVersion", "kind", "metadata", "status"].contains(key) {
            json.fakeSet(key, value)
        }
        applyDefaults(kind, to: &json)
        return json
    }

    /// The metadata fields a client may set; the rest (uid, resourceVersion, generation,
    /// creationTimestamp, managedFields) belong to the server.
    static let userMetadataKeys: Set<String> = ["labels", "annotations", "ownerReferences", "finalizers"]

    /// The field paths a document sets, for ownership: `status` and the server's metadata are not fields a writer owns.
    static func ownedPaths(_ body: JSONValue) -> Set<[String]> {
        var paths: Set<[String]> = []
        for (key, value) in body.fakeMembers ?? [] {
            switch key {
            case "apiVersion", "kind", "status": continue
            case "metadata":
                for (field, inner) in value.fakeMembers ?? [] where userMetadataKeys.contains(field) {
                    paths.formUnion(inner.fakeLeafPaths(prefix: ["metadata", field]))
                }
            default: paths.formUnion(value.fakeLeafPaths(prefix: [key]))
            }
        }
        return paths
    }

    /// The defaults the API server fills in that Sluice's tests depend on: a Deployment's
    /// `spec.replicas` is 1 when absent (k8s.io/kubernetes pkg/apis/apps/v1 `SetDefaults_Deployment`).
    /// A defaulted field belongs to no field manager.
    static func applyDefaults(_ kind: ResourceKind, to json: inout JSONValue) {
        guard kind == .deployment, var spec = json["spec"], spec["replicas"] == nil else { return }
        spec.fakeSet("replicas", .int(1))
        json.fakeSet("spec", spec)
    }

    /// Bumps `metadata.generation` when `spec` changed, as the registry strategies do.
    static func bumpGeneration(_ kind: ResourceKind, old: JSONValue, new: inout JSONValue) {
        guard hasGeneration(kind), old["spec"] != new["spec"] else { return }
        var metadata = new["metadata"] ?? .object([])
        metadata.fakeSet("generation", .int((old["metadata"]?["generation"]?.intValue ?? 0) + 1))
        new.fakeSet("metadata", metadata)
    }
}

extension Swift.Duration {
    /// As a NIO time amount (whole nanoseconds).
    var fakeTimeAmount: TimeAmount {
        .nanoseconds(components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000)
    }
}
