import Foundation
import SluiceCore
import SluiceKubernetes

/// Where one object of the fake API server lives.
struct FakeKubernetesKey: Hashable, Sendable {
    var kind: ResourceKind
    var namespace: String
    var name: String
}

/// What one field manager owns of an object (`metadata.managedFields` entry).
struct FakeKubernetesManager: Sendable {
    /// Server-side apply, or an update (create, replace, an edit).
    var operation: Operation
    var apiVersion: String
    var time: String
    /// Leaf paths owned; lists are atomic leaves here.
    var paths: Set<[String]>
}

extension FakeKubernetesManager {
    /// `metadata.managedFields[].operation`.
    enum Operation: String, Sendable {
        case apply = "Apply"
        case update = "Update"
    }
}

/// One stored object and its field ownership.
struct FakeKubernetesStored: Sendable {
    var json: JSONValue
    var managers: [String: FakeKubernetesManager]
}

/// One change in the bounded watch history.
struct FakeKubernetesRecord: Sendable {
    var resourceVersion: Int
    var type: FakeKubernetesEventType
    var key: FakeKubernetesKey
    var object: JSONValue
    /// The object before a MODIFIED change: a label selector may have stopped or started matching.
    var previous: JSONValue?
}

/// One request the fake received (for "requests per pass" counts and assertions).
public struct FakeKubernetesRequestRecord: Sendable, Hashable {
    /// `GET`, `PATCH`, …
    public var method: String
    /// The path without the query.
    public var path: String
    /// The query, decoded (`watch=1&resourceVersion=12` → two entries).
    public var query: [String: String]
}

/// The whole mutable state of the fake, behind one lock.
struct FakeKubernetesState: Sendable {
    var objects: [FakeKubernetesKey: FakeKubernetesStored] = [:]
    /// The global resourceVersion counter (etcd's revision).
    var resourceVersion = 1000
    var history: [FakeKubernetesRecord] = []
    /// A watch from a resourceVersion below this answers 410 Expired.
    var oldestWatchable = 1000
    var watchers: [Int: FakeKubernetesWatcher] = [:]
    var nextWatcherID = 0
    var faults: [FakeKubernetesFault] = []
    var rejections: [ResourceKind: FakeKubernetesRejection] = [:]
    var requestLog: [FakeKubernetesRequestRecord] = []
    var requestCount = 0
    var automaticStatus = true
    /// Objects whose "controller" keeps them not ready.
    var heldUnready: Set<FakeKubernetesKey> = []
    /// The HTTPRoutes whose backendRefs name each Service (so a Service change wakes only those).
    var routesByService: [FakeKubernetesKey: Set<FakeKubernetesKey>] = [:]
    /// KServe revisions of each InferenceService.
    var revisions: [FakeKubernetesKey: FakeKServeRevisions] = [:]
    /// What each HorizontalPodAutoscaler's metric recommends (scripted by tests).
    var autoscalerRecommendations: [FakeKubernetesKey: FakeAutoscalerRecommendation] = [:]
}

/// Times as the API server writes them (RFC 3339, seconds).
enum FakeKubernetesClock {
    /// A value-type format style: no formatter is built per call (that dominated a 1,000-model pass).
    private static let style = Date.ISO8601FormatStyle()

    static func now() -> String {
        Date().formatted(style)
    }
}
