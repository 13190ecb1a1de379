import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import SluiceCore

extension KubernetesClient {
    /// The longest watch event line read (8 MiB).
    static let maximumWatchLineBytes = 8 << 20
    /// A watch asks the server to end it after 300 s ± 60 s, so streams recycle and no dead
    /// connection lives long; the client gives up 30 s after that.
    static let watchSeconds = 240...360
    static let watchGraceSeconds: Int64 = 30

    /// Changes of `kind` objects in `namespace` after `resourceVersion`, with bookmarks.
    ///
    /// `GET collection?watch=1&resourceVersion=R&allowWatchBookmarks=true&timeoutSeconds=T`.
    /// The stream finishes when the server ends the watch (resume from the last resourceVersion
    /// seen) and throws ``KubernetesError``: `.gone` for an `ERROR` event with code 410 (relist),
    /// `.unreadable` for a line that is not a watch event or is too long. Ending iteration
    /// closes the connection.
    public func watch(
        _ kind: ResourceKind, namespace: String, labelSelector: String?, resourceVersion: String
    ) -> AsyncThrowingStream<WatchEvent, any Error> {
        AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    try await self.stream(kind, namespace: namespace, labelSelector: labelSelector, resourceVersion: resourceVersion) {
                        continuation.yield($0)
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    private func stream(
        _ kind: ResourceKind, namespace: String, labelSelector: String?, resourceVersion: String,
        yield: @escaping @Sendable (WatchEvent) -> Void
    ) async throws(KubernetesError) {
        let path = kind.collectionPath(namespace: try Self.checkedName(namespace, "namespace"))
        let seconds = Int.random(in: Self.watchSeconds)
        var query = [("watch", "1"), ("allowWatchBookmarks", "true"), ("timeoutSeconds", String(seconds))]
        if !resourceVersion.isEmpty { query.append(("resourceVersion", resourceVersion)) }
        if let labelSelector { query.append(("labelSelector", labelSelector)) }
        let request = try makeRequest(.GET, path, query: query)
        let client = httpClient
        let headTimeout = timeout
        let limit = Self.maximumBodyBytes
        do {
            try await withThrowingTaskGroup(of: Bool.self) { group in
                group.addTask {
                    let response = try await client.execute(request, deadline: .now() + headTimeout)
                    guard response.status.code == 200 else {
                        let body = try await response.body.collect(upTo: min(limit, 1 << 20))
                        throw Self.error(status: response.status, body: body, method: .GET, path: path)
                    }
                    var splitter = WatchLineSplitter(maximumLineBytes: Self.maximumWatchLineBytes)
                    for try await buffer in response.body {
                        let lines: [[UInt8]]
                        do throws(KubernetesError) {
                            lines = try splitter.append(buffer.readableBytesView)
                        } catch {
                            throw KubernetesError(.unreadable, "GET \(path): \(error.detail)")
                        }
                        for line in lines {
                            if let event = try Self.watchEvent(line, kind: kind, path: path) { yield(event) }
                        }
                    }
                    if let line = splitter.finish(), let event = try Self.watchEvent(line, kind: kind, path: path) { yield(event) }
                    return true
                }
                group.addTask {
                    try await Task.sleep(for: .seconds(Int64(seconds) + Self.watchGraceSeconds))
                    return false
                }
                defer { group.cancelAll() }
                _ = try await group.next()
            }
        } catch {
            throw transportError(error, .GET, path)
        }
    }

    /// The event one watch line holds; nil for a blank line.
    /// - Throws: `.gone` for an `ERROR` with code 410, the kind its code means for another
    ///   `ERROR`, `.unreadable` for anything that is not a watch event.
    static func watchEvent(_ line: [UInt8], kind: ResourceKind, path: String) throws(KubernetesError) -> WatchEvent? {
        guard line.contains(where: { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\r") && $0 != UInt8(ascii: "\t") }) else { return nil }
        let document: JSONValue
        do {
            document = try JSONParser.parse(line)
        } catch {
            throw KubernetesError(.unreadable, "GET \(path): a watch event is not JSON (\(error))")
        }
        guard let typeName = document["type"]?.stringValue, let type = WatchEvent.EventType(rawValue: typeName) else {
            throw KubernetesError(.unreadable, "GET \(path): a watch event has no known type (ADDED, MODIFIED, DELETED, BOOKMARK or ERROR)")
        }
        guard let object = document["object"], case .object = object else {
            throw KubernetesError(.unreadable, "GET \(path): a \(typeName) watch event has no object")
        }
        switch type {
        case .error:
            let code = object["code"]?.intValue ?? 0
            let message = statusMessage(object) ?? "the watch failed (\(code))"
            throw KubernetesError(code == 0 ? .unreadable : Self.kind(ofStatus: code), "GET \(path): \(quoted(message))")
        case .bookmark:
            guard let resourceVersion = object["metadata"]?["resourceVersion"]?.stringValue, !resourceVersion.isEmpty else {
                throw KubernetesError(.unreadable, "GET \(path): a BOOKMARK event has no metadata.resourceVersion")
            }
            return .bookmark(resourceVersion: resourceVersion)
        case .added, .modified, .deleted:
            guard let name = object["metadata"]?["name"]?.stringValue, !name.isEmpty else {
                throw KubernetesError(.unreadable, "GET \(path): a \(typeName) event's object has no metadata.name")
            }
            let typed = KubernetesObject(Self.typed(object, as: kind))
            switch type {
            case .added: return .added(typed)
            case .modified: return .modified(typed)
            default: return .deleted(typed)
            }
        }
    }
}
