import NIOCore
import SluiceCore
import SluiceKubernetes

/// The `type` of a watch event (k8s.io/apimachinery/pkg/watch `EventType`).
enum FakeKubernetesEventType: String, Sendable {
    case added = "ADDED"
    case modified = "MODIFIED"
    case deleted = "DELETED"
    case bookmark = "BOOKMARK"
    case error = "ERROR"
}

/// Where a watch's events go: one open chunked HTTP answer.
struct FakeKubernetesWatchSink: Sendable {
    /// Writes one newline-terminated event line.
    var send: @Sendable (String) -> Void
    /// Ends the answer (the client must resume with a new watch).
    var finish: @Sendable () -> Void
}

/// One open watch: a kind in a namespace, an optional label selector, and whether the client
/// allowed bookmarks.
struct FakeKubernetesWatcher: Sendable {
    var id: Int
    var kind: ResourceKind
    var namespace: String
    var selector: FakeKubernetesLabelSelector?
    var bookmarks: Bool
    var sink: FakeKubernetesWatchSink

    /// Sends `record` as a label-filtered watch cache does (k8s.io/apiserver/pkg/storage/cacher/cache_watcher.go
    /// `convertToWatchEvent`): a MODIFIED object that starts matching the selector is ADDED, one that
    /// stops matching is DELETED.
    func deliver(_ record: FakeKubernetesRecord) {
        guard record.key.kind == kind, record.key.namespace == namespace else { return }
        let now = matches(record.object)
        let before = record.previous.map(matches) ?? false
        let type: FakeKubernetesEventType
        switch record.type {
        case .modified where now && before: type = .modified
        case .modified where now: type = .added
        case .modified where before: type = .deleted
        case .modified: return
        default:
            guard now else { return }
            type = record.type
        }
        sink.send(Self.line(type: type, object: record.object))
    }

    func matches(_ object: JSONValue) -> Bool {
        selector?.matches(KubernetesObject(object).labels) ?? true
    }

    /// Sends a BOOKMARK at `resourceVersion`: the object is only kind, apiVersion and
    /// metadata.resourceVersion (the cacher's bookmark event, cache_watcher.go).
    func bookmark(at resourceVersion: Int) {
        guard bookmarks else { return }
        let object = JSONValue.object([
            ("kind", .string(kind.kind)), ("apiVersion", .string(kind.apiVersion)),
            ("metadata", .object([("resourceVersion", .string(String(resourceVersion))), ("creationTimestamp", .null)])),
        ])
        sink.send(Self.line(type: .bookmark, object: object))
    }

    /// One event of the watch stream: `{"type":…,"object":…}` and a newline.
    static func line(type: FakeKubernetesEventType, object: JSONValue) -> String {
        JSONValue.object([("type", .string(type.rawValue)), ("object", object)]).serialized() + "\n"
    }
}
