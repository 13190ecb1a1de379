extension Metric {
    /// Whether an analysis check of this metric is judged during shadow steps: the pairwise
    /// metrics, `error_rate` and the latency quantiles measured on the copies the candidate
    /// answered, and `prometheus` queries (the candidate's own series cover its copies).
    /// Drift, accuracy and MAE judge served traffic, of which the candidate has none then.
    public var isJudgedDuringShadowSteps: Bool {
        !(isDrift || self == .accuracy || self == .mae)
    }

    /// Whether an analysis check of this metric is judged during the other steps (weights,
    /// pauses, approvals), on the traffic the candidate serves: every metric but the pairwise
    /// ones, which need copies of stable's requests.
    public var isJudgedDuringWeightSteps: Bool { !isPairwise }

    /// Whether a check of this metric is measured on the copies during a shadow step rather
    /// than on served traffic (error rate and latency).
    public var isMeasuredOnCopiesDuringShadowSteps: Bool { self == .errorRate || (isLatency && !isPairwise) }
}
