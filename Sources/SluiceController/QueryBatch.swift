import SluiceCore

/// The distinct queries of one pass, run together with at most `limit` in flight, so a
/// pass with a thousand checks costs a few round trips of wall time rather than a thousand.
struct QueryBatch: Sendable {
    /// One query at one evaluation time.
    struct Key: Sendable, Hashable {
        var query: String
        var time: Double?
    }

    private(set) var keys: [Key] = []
    private var seen: Set<Key> = []

    /// Adds `query` (once: checks that render to the same text share one answer).
    mutating func add(_ query: String, at time: Double?) -> Key {
        let key = Key(query: query, time: time)
        if seen.insert(key).inserted { keys.append(key) }
        return key
    }

    var isEmpty: Bool { keys.isEmpty }

    /// Every query's outcome; a failure is an outcome, never a thrown error. `observe` is
    /// told each query's duration and failure kind (the controller's metrics).
    func run(
        on client: any MetricQuerying, limit: Int,
        observe: @escaping @Sendable (Swift.Duration, MetricQueryError.Kind?) -> Void = { _, _ in }
    ) async -> [Key: QueryOutcome] {
        await withTaskGroup(of: (Key, QueryOutcome).self, returning: [Key: QueryOutcome].self) { group in
            var pending = keys[...]
            func start(_ key: Key) {
                group.addTask {
                    let started = ContinuousClock.now
                    do throws(MetricQueryError) {
                        let outcome = try await client.query(key.query, at: key.time).outcome
                        observe(ContinuousClock.now - started, nil)
                        return (key, outcome)
                    } catch {
                        observe(ContinuousClock.now - started, error.kind)
                        return (key, .failed(error))
                    }
                }
            }
            for key in pending.prefix(max(1, limit)) { start(key) }
            pending = pending.dropFirst(max(1, limit))
            var outcomes: [Key: QueryOutcome] = [:]
            outcomes.reserveCapacity(keys.count)
            while let (key, outcome) = await group.next() {
                outcomes[key] = outcome
                if let next = pending.first {
                    pending = pending.dropFirst()
                    start(next)
                }
            }
            return outcomes
        }
    }
}
