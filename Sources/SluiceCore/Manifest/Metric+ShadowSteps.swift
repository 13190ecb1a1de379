extension Metric {
    /// Whether an analysis check of this metric is judged during shadow steps: the pairwise
    /// metrics, and `error_rate` and the latency quantiles measured on the copies the
    /// candidate answered.
    public var isJudgedDuringShadowSteps: Bool {
        isPairwise || self == .errorRate || self == .latencyP50 || self == .latencyP90 || self == .latencyP95
            || self == .latencyP99
    }

    /// Whether an analysis check of this metric is judged during the other steps (weights,
    /// pauses, approvals), on the traffic the candidate serves: every metric but the pairwise
    /// ones, which need copies of stable's requests.
    public var isJudgedDuringWeightSteps: Bool { !isPairwise }

    /// Whether a check of this metric is measured on the copies during a shadow step rather
    /// than on served traffic (error rate and latency).
    public var isMeasuredOnCopiesDuringShadowSteps: Bool { isJudgedDuringShadowSteps && !isPairwise }
}
