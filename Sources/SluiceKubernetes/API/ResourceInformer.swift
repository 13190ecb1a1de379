import Logging

/// A cache of the objects of one kind in one namespace, kept current by list and watch.
///
/// It lists once, then watches from the list's resourceVersion and from the last
/// resourceVersion seen (objects and bookmarks) whenever a stream ends; a 410 Gone relists
/// and replaces the cache; other failures back off exponentially (bounded) and retry.
/// Reading the cache costs no request, so a pass over a thousand models asks the server
/// only for what changed.
public actor ResourceInformer {
    /// The first and the longest wait after a failed list or watch.
    static let initialBackoff: Duration = .milliseconds(200)
    static let maximumBackoff: Duration = .seconds(30)

    let client: KubernetesClient
    /// The kind it caches.
    public nonisolated let kind: ResourceKind
    /// The namespace it caches.
    public nonisolated let namespace: String
    /// The label selector of its list and watch; nil: every object.
    public nonisolated let labelSelector: String?
    let logger: Logger

    private var cache: [String: KubernetesObject] = [:]
    private var lastResourceVersion = ""
    private var synced = false
    private var stopped = false
    private var lastListError: KubernetesError?
    private var waiters: [Int: CheckedContinuation<Result<Void, KubernetesError>, Never>] = [:]
    private var nextWaiter = 0

    /// +1 per add, modify or delete applied to the cache, and per (re)list.
    public private(set) var changeCount = 0

    /// An informer that does nothing until ``run()``.
    public init(client: KubernetesClient, kind: ResourceKind, namespace: String, labelSelector: String?, logger: Logger) {
        self.client = client
        self.kind = kind
        self.namespace = namespace
        self.labelSelector = labelSelector
        self.logger = logger
    }

    /// The cached objects, sorted by name.
    public func objects() -> [KubernetesObject] {
        cache.keys.sorted().compactMap { cache[$0] }
    }

    /// The cached object named `named`.
    public func object(named: String) -> KubernetesObject? { cache[named] }

    /// The resourceVersion the next watch resumes from.
    public var resourceVersion: String { lastResourceVersion }

    /// Lists and watches until the task is cancelled.
    public func run() async {
        var needsList = true
        var backoff = Self.initialBackoff
        while !Task.isCancelled {
            if needsList {
                do {
                    let list = try await client.list(kind, namespace: namespace, labelSelector: labelSelector)
                    replace(with: list)
                    needsList = false
                    backoff = Self.initialBackoff
                } catch {
                    failedList(error)
                    guard await pause(&backoff) else { break }
                    continue
                }
            }
            var received = false
            do {
                for try await event in client.watch(kind, namespace: namespace, labelSelector: labelSelector, resourceVersion: lastResourceVersion) {
                    apply(event)
                    received = true
                }
                // The server ended the stream (timeoutSeconds): resume at once from the last
                // resourceVersion; a stream that ended with nothing waits first, lest it spin.
                if received {
                    backoff = Self.initialBackoff
                } else if !(await pause(&backoff)) {
                    break
                }
            } catch let error as KubernetesError where error.kind == .gone {
                logger.info("watch of \(kind) in \(namespace) is too old (410 Gone); relisting")
                needsList = true
            } catch {
                if Task.isCancelled { break }
                logger.warning("watch of \(kind) in \(namespace) failed: \(error)")
                if received { backoff = Self.initialBackoff }
                guard await pause(&backoff) else { break }
            }
        }
        stopped = true
        finishWaiters(.failure(Self.stoppedError(kind, namespace)))
    }

    private static func stoppedError(_ kind: ResourceKind, _ namespace: String) -> KubernetesError {
        KubernetesError(.unreachable, "the informer of \(kind) in \(namespace) stopped before its first list")
    }

    /// Returns once the first list succeeded; throws the list's error when it failed.
    public func waitUntilSynced() async throws(KubernetesError) {
        if synced { return }
        if let lastListError { throw lastListError }
        if stopped { throw Self.stoppedError(kind, namespace) }
        let id = nextWaiter
        nextWaiter += 1
        let result = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                if Task.isCancelled {
                    continuation.resume(returning: Result<Void, KubernetesError>.failure(KubernetesError(.unreachable, "cancelled while waiting for the informer of \(kind)")))
                } else {
                    waiters[id] = continuation
                }
            }
        } onCancel: {
            Task { await self.cancelWaiter(id) }
        }
        try result.get()
    }

    private func cancelWaiter(_ id: Int) {
        waiters.removeValue(forKey: id)?.resume(returning: .failure(KubernetesError(.unreachable, "cancelled while waiting for the informer of \(kind)")))
    }

    private func finishWaiters(_ result: Result<Void, KubernetesError>) {
        let pending = waiters
        waiters = [:]
        for continuation in pending.values { continuation.resume(returning: result) }
    }

    private func replace(with list: KubernetesList) {
        var fresh: [String: KubernetesObject] = [:]
        fresh.reserveCapacity(list.items.count)
        for item in list.items { fresh[item.name] = item }
        cache = fresh
        lastResourceVersion = list.resourceVersion
        changeCount += 1
        synced = true
        lastListError = nil
        finishWaiters(.success(()))
    }

    private func failedList(_ error: KubernetesError) {
        logger.warning("list of \(kind) in \(namespace) failed: \(error)")
        lastListError = error
        if !synced { finishWaiters(.failure(error)) }
    }

    private func apply(_ event: WatchEvent) {
        switch event {
        case .added(let object), .modified(let object):
            cache[object.name] = object
            changeCount += 1
        case .deleted(let object):
            if cache.removeValue(forKey: object.name) != nil { changeCount += 1 }
        case .bookmark:
            break
        }
        if let resourceVersion = event.resourceVersion, !resourceVersion.isEmpty { lastResourceVersion = resourceVersion }
    }

    /// Sleeps `backoff` (jittered), then doubles it up to the maximum; false when cancelled.
    private func pause(_ backoff: inout Duration) async -> Bool {
        do {
            try await Task.sleep(for: backoff * Double.random(in: 0.8...1.2))
        } catch {
            return false
        }
        backoff = min(backoff * 2, Self.maximumBackoff)
        return true
    }
}
