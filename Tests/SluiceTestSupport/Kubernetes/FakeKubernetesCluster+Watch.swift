import NIOCore
import SluiceCore
import SluiceKubernetes

/// Watch: events after a resourceVersion from the bounded history, then live; 410 Expired for a
/// resourceVersion older than the history (k8s.io/apiserver/pkg/storage/cacher/watch_cache.go
/// `getAllEventsSinceLocked`); BOOKMARK events when allowed.
extension FakeKubernetesCluster {
    /// Opens a watch. With no resourceVersion (or "0") every current object comes first as ADDED
    /// (the "any" semantics of https://kubernetes.io/docs/reference/using-api/api-concepts/#semantics-for-watch).
    /// Returns the watch's id, or nil when it ended at once (an ERROR event).
    func startWatch(
        _ kind: ResourceKind, namespace: String, selector: FakeKubernetesLabelSelector?, resourceVersion: String?, bookmarks: Bool,
        sink: FakeKubernetesWatchSink
    ) throws(FakeKubernetesFailure) -> Int? {
        var from: Int?
        if let resourceVersion, !resourceVersion.isEmpty, resourceVersion != "0" {
            guard let number = Int(resourceVersion), number >= 0 else {
                throw .badRequest("resourceVersion: Invalid value: \"\(resourceVersion)\": must be a non-negative integer")
            }
            from = number
        }
        return state.withLockedValue { state in
            state.nextWatcherID += 1
            let watcher = FakeKubernetesWatcher(
                id: state.nextWatcherID, kind: kind, namespace: namespace, selector: selector, bookmarks: bookmarks, sink: sink)
            if let from {
                guard from >= state.oldestWatchable else {
                    let failure = FakeKubernetesFailure.expired(requested: from, oldest: state.oldestWatchable)
                    sink.send(FakeKubernetesWatcher.line(type: .error, object: failure.status))
                    sink.finish()
                    return nil
                }
                for record in state.history where record.resourceVersion > from { watcher.deliver(record) }
            } else {
                for (key, stored) in state.objects.sorted(by: { $0.key.name < $1.key.name })
                where key.kind == kind && key.namespace == namespace && watcher.matches(stored.json) {
                    sink.send(FakeKubernetesWatcher.line(type: .added, object: stored.json))
                }
            }
            state.watchers[watcher.id] = watcher
            return watcher.id
        }
    }

    /// Forgets a watch whose connection closed.
    func stopWatch(_ id: Int) {
        _ = state.withLockedValue { $0.watchers.removeValue(forKey: id) }
    }

    /// A BOOKMARK at the current resourceVersion to the watch `id` (nil: every watch that allows them).
    func sendBookmarks(to id: Int? = nil) {
        state.withLockedValue { state in
            for watcher in state.watchers.values where id == nil || watcher.id == id {
                watcher.bookmark(at: state.resourceVersion)
            }
        }
    }

    /// Drops the history: a watch from any older resourceVersion now answers 410 Expired.
    func compactHistory() {
        state.withLockedValue { state in
            state.history.removeAll()
            state.oldestWatchable = state.resourceVersion
        }
    }

    /// Ends every open watch, as an API server does on timeout or restart.
    func closeWatches() {
        let watchers = state.withLockedValue { state in
            defer { state.watchers.removeAll() }
            return Array(state.watchers.values)
        }
        for watcher in watchers { watcher.sink.finish() }
    }
}
