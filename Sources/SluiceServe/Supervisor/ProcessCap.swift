/// Shares the operator's cap on model-server processes (`serve.maxProcesses`) among the
/// versions that want them, fairly and predictably: first one replica to each version with
/// a weight, then each of those up to its `minReplicas`, then one to each version without
/// weight (kept warm for an abort, or a mirror target), then the rest of every want, one
/// replica per version in turn. Ties go by spec order.
enum ProcessCap {
    /// What one version asks for.
    struct Want: Equatable {
        /// Replicas its bounds and load ask for.
        var replicas: Int
        var minReplicas: Int
        /// Whether its route weight is above 0.
        var weighted: Bool
    }

    /// Replicas granted per want (same order), summing to at most `cap`.
    static func share(_ wants: [Want], cap: Int) -> [Int] {
        var granted = Array(repeating: 0, count: wants.count)
        var left = cap
        func raise(_ index: Int, to level: Int) {
            let wanted = min(level, wants[index].replicas)
            let more = min(max(0, wanted - granted[index]), left)
            granted[index] += more
            left -= more
        }
        for index in wants.indices where wants[index].weighted { raise(index, to: 1) }
        for index in wants.indices where wants[index].weighted { raise(index, to: wants[index].minReplicas) }
        for index in wants.indices where !wants[index].weighted { raise(index, to: 1) }
        var raised = true
        while left > 0 && raised {
            raised = false
            for index in wants.indices where left > 0 && granted[index] < wants[index].replicas {
                granted[index] += 1
                left -= 1
                raised = true
            }
        }
        return granted
    }
}
