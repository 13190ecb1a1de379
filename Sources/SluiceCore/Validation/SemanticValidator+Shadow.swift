extension DiagnosticCode {
    /// A shadow step that no check judges: it passes when its duration is up, whatever the
    /// candidate answered (a warning).
    public static let unjudgedShadowStep = DiagnosticCode(rawValue: "unjudged-shadow-step")
}

extension SemanticValidator {
    /// Shadow steps and pairwise checks belong together: a pairwise check in a rollout with
    /// no shadow step is an error at its metric (it would never be judged, and a check that
    /// can never run must not look like protection); with `rolloutWarnings`, a shadow step
    /// that no check judges is a warning at its first `shadow` key. Parts the schema pass
    /// refused are skipped.
    mutating func checkShadow(_ rollout: YAMLNode) {
        guard let steps = rollout["steps"]?.items else { return }
        let shadowSteps = steps.compactMap { $0.entry("shadow") }
        let checksNode = rollout["analysis"]?["checks"]
        let checks = checksNode?.items ?? []
        let metrics = checks.map { $0.enumeration("metric", as: Metric.self) }
        if shadowSteps.isEmpty {
            for (index, check) in checks.enumerated() {
                guard let metric = metrics[index], metric.isPairwise, let node = check["metric"] else { continue }
                validator.report(
                    node.location, .inconsistent, "spec.rollout.analysis.checks[\(index)].metric",
                    "\(metric.rawValue) is measured only during shadow steps, and spec.rollout.steps has none, so this check would never be judged; add a step such as shadow: {percent: 100, duration: 10m} before the first weight step, or remove the check")
            }
            return
        }
        guard rolloutWarnings, let first = shadowSteps.first else { return }
        if rollout["analysis"] == nil {
            validator.report(
                first.key.location, .unjudgedShadowStep, "spec.rollout.steps",
                "a shadow step without spec.rollout.analysis judges nothing: it passes when its duration is up, whatever the new version answered (pairs and agreement are only shown in sluice status); add analysis with an agreement check to judge it",
                severity: .warning)
            return
        }
        // Only a well-formed list of known metrics is judged on: the schema pass reports the rest.
        guard checksNode?.items != nil, !metrics.isEmpty, metrics.allSatisfy({ $0 != nil }) else { return }
        guard !metrics.contains(where: { $0?.isJudgedDuringShadowSteps == true }) else { return }
        validator.report(
            first.key.location, .unjudgedShadowStep, "spec.rollout.steps",
            "no check of spec.rollout.analysis is judged during shadow steps (drift, accuracy and mae checks judge the traffic the new version serves), so this step passes when its duration is up; add an agreement, output_mae_vs_stable, latency_ratio_paired, error_rate, latency or prometheus check",
            severity: .warning)
    }
}
