/// Concurrent requests for the same artifact share one fetch: the first starts a task, the
/// others await its result. The task is unstructured, so one caller's cancellation does not
/// fail the others.
actor FetchCoalescer {
    private var running: [String: Task<MaterializedArtifact, any Error>] = [:]
    /// Fetches started, and calls that joined one already running: what tests count.
    private(set) var started = 0
    private(set) var joined = 0

    func run(_ key: String, _ work: @escaping @Sendable () async throws -> MaterializedArtifact) async throws -> MaterializedArtifact {
        if let task = running[key] {
            joined += 1
            return try await task.value
        }
        let task = Task { try await work() }
        running[key] = task
        started += 1
        defer { running[key] = nil }
        return try await task.value
    }
}
