/// Field-level differences between two deployments of one model, in the words a reviewer
/// needs. Lists that the spec digest treats as sets (versions, monitors, checks, inputs) are
/// compared as sets here too, so a diff is empty exactly when the digests and labels agree.
public enum SpecDiff {
    /// The differences from `old` to `new`, in spec order.
    public static func differences(from old: ModelDeployment, to new: ModelDeployment) -> [FieldChange] {
        var changes: [FieldChange] = []
        if old.runtime != new.runtime {
            changes.append(FieldChange(.changed, "runtime", old: old.runtime, new: new.runtime))
        }
        changes += versionChanges(old.versions, new.versions)
        changes += trafficChanges(old, new)
        changes += routingChanges(old.routing, new.routing)
        changes += rolloutChanges(old.rollout, new.rollout)
        changes += monitorChanges(old.monitors, new.monitors)
        changes += scalingChanges(old.scaling, new.scaling)
        changes += mapChanges("labels", old.labels, new.labels)
        return changes
    }

    /// The whole deployment as additions (`.added`) or removals (`.removed`), for a model
    /// that appears or disappears.
    public static func describe(_ deployment: ModelDeployment, as operation: FieldChange.Operation) -> [FieldChange] {
        func line(_ field: String, _ value: String) -> FieldChange {
            operation == .removed ? FieldChange(.removed, field, old: value) : FieldChange(.added, field, new: value)
        }
        var changes = [line("runtime", deployment.runtime)]
        changes += deployment.versions.map { line("versions.\($0.name)", summary($0)) }
        changes += deployment.versions.map { line("traffic.\($0.name)", String(deployment.traffic[$0.name] ?? 0)) }
        if let header = deployment.routing.stickyHeader { changes.append(line("routing.stickyHeader", header)) }
        if let mirror = deployment.routing.mirror { changes.append(line("routing.mirror", summary(mirror))) }
        if let rollout = deployment.rollout { changes.append(line("rollout", summary(rollout))) }
        changes += deployment.monitors.map { line("monitors.\($0.name)", summary($0)) }
        if let scaling = deployment.scaling { changes.append(line("scaling", summary(scaling))) }
        changes += sortedKeys(deployment.labels).map { line("labels.\($0)", deployment.labels[$0]!) }
        return changes
    }

    // MARK: - Sections

    static func versionChanges(_ old: [ModelVersion], _ new: [ModelVersion]) -> [FieldChange] {
        let before = Dictionary(old.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let after = Dictionary(new.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        var changes: [FieldChange] = []
        for version in old where after[version.name] == nil {
            changes.append(FieldChange(.removed, "versions.\(version.name)", old: summary(version)))
        }
        for version in new {
            guard let previous = before[version.name] else {
                changes.append(FieldChange(.added, "versions.\(version.name)", new: summary(version)))
                continue
            }
            if previous.artifact != version.artifact {
                changes.append(FieldChange(
                    .changed, "versions.\(version.name).artifact",
                    old: ArtifactRedaction.display(previous.artifact), new: ArtifactRedaction.display(version.artifact)))
            }
            switch (previous.digest, version.digest) {
            case (nil, let digest?):
                changes.append(FieldChange(.added, "versions.\(version.name).digest", new: digest.description))
            case (let digest?, nil):
                changes.append(FieldChange(.removed, "versions.\(version.name).digest", old: digest.description))
            case (let before?, let after?) where before != after:
                changes.append(FieldChange(.changed, "versions.\(version.name).digest", old: before.description, new: after.description))
            default: break
            }
        }
        return changes
    }

    /// Weight changes per version, in the target's version order, then versions that left.
    static func trafficChanges(_ old: ModelDeployment, _ new: ModelDeployment) -> [FieldChange] {
        var names = new.versions.map(\.name)
        names += old.versions.map(\.name).filter { !names.contains($0) }
        return names.compactMap { name in
            let before = old.traffic[name] ?? 0, after = new.traffic[name] ?? 0
            return before == after ? nil : FieldChange(.changed, "traffic.\(name)", old: String(before), new: String(after))
        }
    }

    static func routingChanges(_ old: Routing, _ new: Routing) -> [FieldChange] {
        optionalChange("routing.stickyHeader", old.stickyHeader, new.stickyHeader)
            + optionalChange("routing.mirror", old.mirror.map(summary), new.mirror.map(summary))
    }

    static func rolloutChanges(_ old: Rollout?, _ new: Rollout?) -> [FieldChange] {
        guard let old, let new else { return optionalChange("rollout", old.map(summary), new.map(summary)) }
        var changes: [FieldChange] = []
        if old.steps != new.steps {
            changes.append(FieldChange(.changed, "rollout.steps", old: summary(old.steps), new: summary(new.steps)))
        }
        changes += analysisChanges(old.analysis, new.analysis)
        changes += scalarChange("rollout.onAbort", old.onAbort.rawValue, new.onAbort.rawValue)
        changes += scalarChange("rollout.progressDeadline", old.progressDeadline.description, new.progressDeadline.description)
        changes += scalarChange("rollout.rollbackWindow", String(old.rollbackWindow), String(new.rollbackWindow))
        return changes
    }

    static func analysisChanges(_ old: Analysis?, _ new: Analysis?) -> [FieldChange] {
        guard let old, let new else {
            return optionalChange("rollout.analysis", old.map(summary), new.map(summary))
        }
        var changes: [FieldChange] = []
        changes += scalarChange("rollout.analysis.interval", old.interval.description, new.interval.description)
        changes += scalarChange("rollout.analysis.minRequests", String(old.minRequests), String(new.minRequests))
        changes += scalarChange("rollout.analysis.failureLimit", String(old.failureLimit), String(new.failureLimit))
        changes += scalarChange("rollout.analysis.inconclusiveLimit", String(old.inconclusiveLimit), String(new.inconclusiveLimit))
        changes += scalarChange(
            "rollout.analysis.consecutiveErrorLimit", String(old.consecutiveErrorLimit), String(new.consecutiveErrorLimit))
        // Checks have no names: compare them as a multiset of their summaries.
        var remaining = old.checks.map(summary)
        var added: [String] = []
        for check in new.checks.map(summary) {
            if let index = remaining.firstIndex(of: check) { remaining.remove(at: index) } else { added.append(check) }
        }
        changes += remaining.map { FieldChange(.removed, "rollout.analysis.checks", old: $0) }
        changes += added.map { FieldChange(.added, "rollout.analysis.checks", new: $0) }
        return changes
    }

    static func monitorChanges(_ old: [Monitor], _ new: [Monitor]) -> [FieldChange] {
        let before = Dictionary(old.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let after = Dictionary(new.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        var changes: [FieldChange] = []
        for monitor in old where after[monitor.name] == nil {
            changes.append(FieldChange(.removed, "monitors.\(monitor.name)", old: summary(monitor)))
        }
        for monitor in new {
            guard let previous = before[monitor.name] else {
                changes.append(FieldChange(.added, "monitors.\(monitor.name)", new: summary(monitor)))
                continue
            }
            let prefix = "monitors.\(monitor.name)."
            changes += scalarChange(prefix + "metric", previous.metric.rawValue, monitor.metric.rawValue)
            changes += optionalChange(prefix + "inputs", inputs(previous.inputs), inputs(monitor.inputs))
            changes += optionalChange(prefix + "test", previous.test?.rawValue, monitor.test?.rawValue)
            changes += optionalChange(prefix + "reference", previous.reference, monitor.reference)
            changes += thresholdChanges(prefix, previous.thresholds, monitor.thresholds)
            changes += scalarChange(prefix + "window", previous.window.description, monitor.window.description)
            changes += scalarChange(prefix + "minSamples", String(previous.minSamples), String(monitor.minSamples))
            changes += scalarChange(
                prefix + "consecutiveWindows", String(previous.consecutiveWindows), String(monitor.consecutiveWindows))
            changes += scalarChange(prefix + "severity", previous.severity.rawValue, monitor.severity.rawValue)
            changes += scalarChange(prefix + "action", previous.action.rawValue, monitor.action.rawValue)
        }
        return changes
    }

    /// One line for the whole object, the bounds first: `scaling: 1–1 replicas (default) →
    /// 2–8 replicas, concurrency 4, scaleDownDelay 5m`. No scaling reads as the one process it runs.
    static func scalingChanges(_ old: ReplicaScaling?, _ new: ReplicaScaling?) -> [FieldChange] {
        guard old != nil || new != nil else { return [] }
        return scalarChange("scaling", scalingSummary(old), scalingSummary(new))
    }

    /// Scaling in one line, or what a model without `spec.scaling` runs: `1–1 replicas (default)`.
    public static func scalingSummary(_ scaling: ReplicaScaling?) -> String {
        scaling.map(summary) ?? "1–1 replicas (default)"
    }

    static func thresholdChanges(_ prefix: String, _ old: Thresholds, _ new: Thresholds) -> [FieldChange] {
        optionalChange(prefix + "max", old.max.map(number), new.max.map(number))
            + optionalChange(prefix + "min", old.min.map(number), new.min.map(number))
            + optionalChange(prefix + "maxRatioToStable", old.maxRatioToStable.map(number), new.maxRatioToStable.map(number))
            + optionalChange(prefix + "minRatioToStable", old.minRatioToStable.map(number), new.minRatioToStable.map(number))
    }

    static func mapChanges(_ prefix: String, _ old: [String: String], _ new: [String: String]) -> [FieldChange] {
        sortedKeys(old.merging(new) { first, _ in first }).flatMap { key in
            optionalChange("\(prefix).\(key)", old[key], new[key])
        }
    }

    // MARK: - Helpers

    static func scalarChange(_ field: String, _ old: String, _ new: String) -> [FieldChange] {
        old == new ? [] : [FieldChange(.changed, field, old: old, new: new)]
    }

    static func optionalChange(_ field: String, _ old: String?, _ new: String?) -> [FieldChange] {
        switch (old, new) {
        case (nil, nil): return []
        case (nil, let value?): return [FieldChange(.added, field, new: value)]
        case (let value?, nil): return [FieldChange(.removed, field, old: value)]
        case (let before?, let after?): return before == after ? [] : [FieldChange(.changed, field, old: before, new: after)]
        }
    }

    static func sortedKeys(_ map: [String: String]) -> [String] {
        map.keys.sorted(by: ModelDeployment.utf8Less)
    }

    // MARK: - Summaries

    /// A version in a few words, with what its artifact resolves to, so a review sees what
    /// will run: `artifact s3://m/v2/ → sha256:…`, or a note that a mutable reference is unpinned.
    /// URIs are shown redacted (no user info or query string).
    public static func summary(_ version: ModelVersion) -> String {
        var text = "artifact \(ArtifactRedaction.display(version.artifact))"
        if let digest = version.digest {
            text += " → \(digest)"
        } else if ArtifactReference.parse(version.artifact).isMutable {
            text += " (unpinned: whatever it holds when fetched)"
        }
        return text
    }

    /// Scaling in one line: `2–8 replicas, concurrency 4, scaleDownDelay 5m`.
    public static func summary(_ scaling: ReplicaScaling) -> String {
        "\(scaling.minReplicas)–\(scaling.maxReplicas) replicas, \(scaling.target.metric.rawValue) \(number(scaling.target.value)), scaleDownDelay \(scaling.scaleDownDelay)"
    }

    /// A mirror in a few words: `5% to v2.2`.
    public static func summary(_ mirror: Mirror) -> String {
        "\(mirror.percent)% to \(mirror.version)"
    }

    /// A step list in one line: `[10%, pause 5m, 50%, approval]` (commas, so that a changed
    /// list reads `[…] → […]`).
    public static func summary(_ steps: [RolloutStep]) -> String {
        "[" + steps.map(\.summary).joined(separator: ", ") + "]"
    }

    /// A rollout in one line: its steps, its analysis and its abort policy.
    public static func summary(_ rollout: Rollout) -> String {
        var text = "\(rollout.steps.count) step\(rollout.steps.count == 1 ? "" : "s") \(summary(rollout.steps))"
        if let analysis = rollout.analysis { text += "; analysis: \(summary(analysis))" }
        text += "; on abort: \(rollout.onAbort.rawValue)"
        return text
    }

    /// An analysis in one line: `4 checks every 30s, failureLimit 1`.
    public static func summary(_ analysis: Analysis) -> String {
        let count = analysis.checks.count
        return "\(count) check\(count == 1 ? "" : "s") every \(analysis.interval), failureLimit \(analysis.failureLimit), minRequests \(analysis.minRequests)"
    }

    /// A check in one line: `latency_p99_ms maxRatioToStable 1.2`,
    /// `input_drift [amount] psi against reference baselines/a.json max 0.2`.
    public static func summary(_ check: AnalysisCheck) -> String {
        var parts = [check.metric.rawValue]
        if let inputs = inputs(check.inputs) { parts.append(inputs) }
        if let test = check.test { parts.append(test.rawValue) }
        if check.metric.isDrift || check.against == .reference { parts.append("against \(check.against.rawValue)") }
        if let reference = check.reference { parts.append(reference) }
        parts.append(summary(check.thresholds))
        // Only values other than the defaults, as the spec digest counts them.
        if let tolerance = check.tolerance, tolerance != 0 { parts.append("tolerance \(number(tolerance))") }
        if let quantile = check.quantile, quantile != AnalysisCheck.defaultQuantile { parts.append("quantile \(number(quantile))") }
        return parts.joined(separator: " ")
    }

    /// A monitor in one line: `error_rate max 0.05 over 5m: rollback (critical)`.
    public static func summary(_ monitor: Monitor) -> String {
        var parts = [monitor.metric.rawValue]
        if let inputs = inputs(monitor.inputs) { parts.append(inputs) }
        if let test = monitor.test { parts.append(test.rawValue) }
        if let reference = monitor.reference { parts.append("vs \(reference)") }
        parts.append(summary(monitor.thresholds))
        parts.append("over \(monitor.window)")
        if monitor.consecutiveWindows > 1 { parts.append("×\(monitor.consecutiveWindows) windows") }
        return parts.joined(separator: " ") + ": \(monitor.action.rawValue) (\(monitor.severity.rawValue))"
    }

    /// Thresholds in one line: `max 80 maxRatioToStable 1.5`.
    public static func summary(_ thresholds: Thresholds) -> String {
        [("max", thresholds.max), ("min", thresholds.min), ("maxRatioToStable", thresholds.maxRatioToStable),
         ("minRatioToStable", thresholds.minRatioToStable)]
            .compactMap { name, value in value.map { "\(name) \(number($0))" } }
            .joined(separator: " ")
    }

    static func inputs(_ names: [String]) -> String? {
        names.isEmpty ? nil : "[" + Array(Set(names)).sorted(by: ModelDeployment.utf8Less).joined(separator: ", ") + "]"
    }

    /// A number as the canonical form writes it (`0.2`, `120`).
    static func number(_ value: Double) -> String {
        ModelDeployment.canonicalNumber(value).serialized()
    }
}
