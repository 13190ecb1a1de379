/// One change a watch reports.
public enum WatchEvent: Sendable {
    /// An object appeared (or existed when the watch began).
    case added(KubernetesObject)
    /// An object changed.
    case modified(KubernetesObject)
    /// An object was deleted; its last state.
    case deleted(KubernetesObject)
    /// Nothing changed up to this resourceVersion: resume a later watch from it.
    case bookmark(resourceVersion: String)

    /// The resourceVersion the event carries, when any.
    public var resourceVersion: String? {
        switch self {
        case .added(let object), .modified(let object), .deleted(let object): return object.resourceVersion
        case .bookmark(let resourceVersion): return resourceVersion
        }
    }

    /// `type` of a watch event line.
    enum EventType: String {
        case added = "ADDED", modified = "MODIFIED", deleted = "DELETED", bookmark = "BOOKMARK", error = "ERROR"
    }
}
